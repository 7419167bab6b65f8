"""Credentials never reach a terminal or a log: every line mmp or a library prints in this process has the
password of any `scheme://user:password@host` URL masked.

- MLflow's "🏃 View run ... at: <tracking URI>/#/..." links are switched off
  (`MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT`), so the tracking URI is not printed at all;
- every logging record whose text holds such a URL is rewritten when it is created (a record factory:
  it reaches Dagster's event log, its compute logs and any handler a library installed);
- `sys.stdout` / `sys.stderr` are wrapped so a plain `print` or `sys.stdout.write` is masked too.

`install()` is idempotent and cheap (no heavy import): the CLI calls it first thing, each run's resources
when they start, and MLflow's activation before it can print anything.
"""

from __future__ import annotations

import logging
import os
import re
import sys

URL_CREDENTIALS = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^:/?#@\s'\"]+):(?P<password>[^@/?#\s'\"]+)@")
MASK = "***"


def scrub(text: str) -> str:
    """`text` with the password of every URL in it replaced by ***."""
    return URL_CREDENTIALS.sub(lambda m: f"{m.group('head')}:{MASK}@", text) if "@" in text else text


class _ScrubbedStream:
    """A text stream that masks credentials in what is written to it; everything else is the stream's own."""

    def __init__(self, stream):
        self._mmp_stream = stream

    def write(self, text):
        return self._mmp_stream.write(scrub(text) if isinstance(text, str) else text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._mmp_stream, name)


def _scrubbing_factory(previous):
    def make(*args, **kwargs):
        record = previous(*args, **kwargs)
        try:
            text = record.getMessage()
        except Exception:  # a record that cannot format is the library's problem, not ours
            return record
        clean = scrub(text)
        if clean != text:
            record.msg, record.args = clean, None
        return record

    make.mmp_scrubbing = True
    return make


def install() -> None:
    """Mask credentials in this process from now on (idempotent)."""
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "mmp_scrubbing", False):
        logging.setLogRecordFactory(_scrubbing_factory(factory))
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, _ScrubbedStream):
            setattr(sys, name, _ScrubbedStream(stream))

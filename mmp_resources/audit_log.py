"""The append-only, hash-chained audit log shared by model and prompt lifecycle events.

Each entry carries the sha256 of the previous entry and of its own canonical JSON, so changing,
reordering or deleting any entry breaks the chain and `verify()` names the first broken line.
Appends take an exclusive file lock, so two processes never interleave or fork the chain.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


def current_user() -> str:
    """Who is acting: `MMP_USER` when set (CI, service accounts), else the OS user."""
    return os.environ.get("MMP_USER") or getpass.getuser()


class Refused(Exception):
    """A governance rule forbids the request (self-approval, failed gate, ...); the message says which and what to do."""


def same_identity(a: str, b: str) -> bool:
    """Whether two identities name the same person: `Alice@x.com`, `alice` and `team:alice` all match."""

    def forms(who: str) -> set[str]:
        who = who.strip().lower()
        return {who, who.split("@", 1)[0], who.removeprefix("team:")} - {""}

    return bool(forms(a) & forms(b))


def _entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


class AuditLog:
    """JSON lines at `path`; never rewritten, only appended to."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> AuditLog:
        return cls(Path(data_dir) / "audit" / "audit.jsonl")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def append(self, *, kind: str, subject: str, action: str, actor: str | None = None, **details: Any) -> dict[str, Any]:
        """Record one event: `kind` (model/prompt), `subject` (its name), `action` (promote, refuse, ...)."""
        with self._locked():
            last = self._last_entry()
            entry = {
                "seq": (last["seq"] + 1) if last else 1,
                "at": datetime.now(UTC).isoformat(timespec="microseconds"),
                "kind": kind,
                "subject": subject,
                "action": action,
                "actor": actor or current_user(),
                "details": details,
                "prev_hash": last["hash"] if last else GENESIS,
            }
            entry["hash"] = _entry_hash(entry)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, sort_keys=True, default=str) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        return entry

    def _last_entry(self) -> dict[str, Any] | None:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return None
        with open(self.path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            pos = fh.tell() - 1
            while pos > 0:
                fh.seek(pos - 1)
                if fh.read(1) == b"\n":
                    break
                pos -= 1
            fh.seek(max(pos, 0))
            return json.loads(fh.readline())

    def entries(self, *, kind: str | None = None, subject: str | None = None) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        rows = [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [r for r in rows if (kind is None or r["kind"] == kind) and (subject is None or r["subject"] == subject)]

    def verify(self) -> list[str]:
        """Every break in the chain, as one line each; empty when the log is intact."""
        problems: list[str] = []
        if not self.path.exists():
            return problems
        prev, expected_seq = GENESIS, 1
        for lineno, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                problems.append(f"{self.path}:{lineno}: not valid JSON (entry edited by hand?)")
                prev = None
                continue
            if entry.get("seq") != expected_seq:
                problems.append(f"{self.path}:{lineno}: sequence {entry.get('seq')} where {expected_seq} was expected (entry deleted or reordered)")
            if prev is not None and entry.get("prev_hash") != prev:
                problems.append(f"{self.path}:{lineno}: prev_hash does not match the entry before it (entry deleted or reordered)")
            if _entry_hash(entry) != entry.get("hash"):
                problems.append(f"{self.path}:{lineno}: content does not match its hash (entry edited)")
            prev, expected_seq = entry.get("hash"), (entry.get("seq") or expected_seq) + 1
        return problems

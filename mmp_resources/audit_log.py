"""The append-only, hash-chained audit log shared by model and prompt lifecycle events.

Each entry carries the sha256 of the previous entry and of its own canonical JSON, so changing,
reordering or deleting any entry breaks the chain and `verify()` names the first broken line.
Appends take an exclusive file lock, so two processes never interleave or fork the chain.

A chain only proves itself consistent: whoever can write the file can delete its last lines, delete
it, or rewrite an entry and re-hash everything after it. So the callers also record anchors, the
`(seq, hash)` of an entry, where the event happened (MLflow), and `verify(anchors)` checks that the
file still holds every anchored entry with the anchored hash. A torn last line (a write interrupted
by a crash) is reported, never fatal: the next append chains onto the last complete entry.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Anchor:
    """Entry `seq` had hash `hash` when it was written, as recorded `where` (outside the log file)."""

    seq: int
    hash: str
    where: str


@dataclass
class Verification:
    """What `check()` found: `problems` mean tampering (exit 1); `notices` (a torn line) do not."""

    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    entries: int = 0


def _parse(line: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(entry, dict) or type(entry.get("seq")) is not int or not isinstance(entry.get("details"), dict):
        return None  # not an entry mmp wrote; if it stands in the chain, the next entry's prev_hash says so
    return entry if all(isinstance(entry.get(k), str) for k in ("hash", "kind", "subject", "action")) else None


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
            # a torn last line (crash mid-write) stays where it is, ended by a newline; the chain skips it
            torn = self.path.exists() and self.path.stat().st_size > 0 and not self._ends_with_newline()
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(("\n" if torn else "") + json.dumps(entry, sort_keys=True, default=str) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        return entry

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"

    def _last_entry(self) -> dict[str, Any] | None:
        """The last complete entry; reads backwards from the end, skipping a torn line."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return None
        with open(self.path, "rb") as fh:
            end = fh.seek(0, os.SEEK_END)
            chunk, tail = 1 << 16, b""
            while end > 0:
                start = max(0, end - chunk)
                fh.seek(start)
                tail = fh.read(end - start) + tail
                end = start
                lines = tail.split(b"\n")
                # lines[0] may be cut at the chunk boundary unless we reached the start of the file
                for raw in reversed(lines[1:] if end > 0 else lines):
                    entry = _parse(raw.decode("utf-8", errors="replace")) if raw.strip() else None
                    if entry is not None:
                        return entry
                tail = lines[0] if end > 0 else b""
        return None

    def _lines(self) -> list[str]:
        return self.path.read_text(encoding="utf-8", errors="replace").splitlines() if self.path.exists() else []

    def entries(self, *, kind: str | None = None, subject: str | None = None) -> list[dict[str, Any]]:
        """Every complete entry, in order (a torn line is skipped; `check()` reports it)."""
        rows = [e for e in (_parse(line) for line in self._lines() if line.strip()) if e is not None]
        return [r for r in rows if (kind is None or r["kind"] == kind) and (subject is None or r["subject"] == subject)]

    def verify(self, anchors: Iterable[Anchor] = ()) -> list[str]:
        """Every break in the chain or disagreement with an anchor, as one line each; empty when intact."""
        return self.check(anchors).problems

    def check(self, anchors: Iterable[Anchor] = ()) -> Verification:
        """The chain verified line by line, then against each anchor recorded outside the file."""
        found = Verification()
        by_seq: dict[int, dict[str, Any]] = {}
        prev, expected_seq = GENESIS, 1
        lines = self._lines()
        for lineno, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            entry = _parse(line)
            if entry is None:
                found.notices.append(f"{self.path}:{lineno}: torn line ({len(line)} characters, not a complete entry): a write "
                                     "was interrupted; it is not part of the chain and later entries chain past it")
                continue
            if entry.get("seq") != expected_seq:
                found.problems.append(f"{self.path}:{lineno}: sequence {entry.get('seq')} where {expected_seq} was expected "
                                      "(entry deleted or reordered)")
            if entry.get("prev_hash") != prev:
                found.problems.append(f"{self.path}:{lineno}: prev_hash does not match the entry before it (entry deleted or reordered)")
            if _entry_hash(entry) != entry.get("hash"):
                found.problems.append(f"{self.path}:{lineno}: content does not match its hash (entry edited)")
            by_seq.setdefault(entry["seq"], entry)
            prev, expected_seq = entry.get("hash"), (entry.get("seq") or expected_seq) + 1
        found.entries = len(by_seq)
        last = max(by_seq, default=0)
        grouped: dict[tuple[int, str], list[str]] = {}  # one line per anchored entry, however many places record it
        for anchor in sorted(set(anchors), key=lambda a: (-a.seq, a.where)):
            grouped.setdefault((anchor.seq, anchor.hash), []).append(anchor.where)
        if grouped and not self.path.exists():
            (seq, _), wheres = next(iter(grouped.items()))
            found.problems.append(f"{self.path}: missing, but {wheres[0]} records entry {seq} "
                                  f"({sum(map(len, grouped.values()))} anchor(s) in all): the log was deleted")
            return found
        for (seq, digest), wheres in grouped.items():
            entry, where = by_seq.get(seq), wheres[0] + (f" (and {len(wheres) - 1} more)" if len(wheres) > 1 else "")
            if entry is None and seq > last:
                found.problems.append(f"{self.path}: ends at entry {last}, but {where} records entry {seq}: "
                                      "lines were deleted from its end or the file was truncated")
            elif entry is None:
                found.problems.append(f"{self.path}: has no entry {seq}, which {where} records: it was deleted")
            elif entry.get("hash") != digest:
                found.problems.append(f"{self.path}: entry {seq} has hash {str(entry.get('hash'))[:12]}, but {where} "
                                      f"recorded {digest[:12]}: entries were rewritten and the chain re-hashed")
        return found
        for anchor in anchors:
            entry = by_seq.get(anchor.seq)
            if entry is None and anchor.seq > last:
                found.problems.append(f"{self.path}: ends at entry {last}, but {anchor.where} records entry {anchor.seq}: "
                                      "lines were deleted from its end or the file was truncated")
            elif entry is None:
                found.problems.append(f"{self.path}: has no entry {anchor.seq}, which {anchor.where} records: it was deleted")
            elif entry.get("hash") != anchor.hash:
                found.problems.append(f"{self.path}: entry {anchor.seq} has hash {str(entry.get('hash'))[:12]}, but {anchor.where} "
                                      f"recorded {anchor.hash[:12]}: entries were rewritten and the chain re-hashed")
        return found

"""What happened to a prompt, read back from the audit log and the registry: production periods, diffs."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from mmp_assets.prompts.registry import PRODUCTION, VersionInfo


@dataclass(frozen=True)
class Period:
    version: int
    start: str
    end: str | None  # None while it still serves


def production_moves(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Audit entries that moved alias `production`, oldest first."""
    return [e for e in entries if e["action"] == "alias" and e["details"].get("alias") == PRODUCTION]


def production_stack(entries: list[dict[str, Any]]) -> list[int]:
    """Versions that served as production, newest last; a rollback pops the top, so "back one step"
    after v1 → v2 → v3 → rollback is v1, not v3."""
    stack: list[int] = []
    for move in production_moves(entries):
        if move["details"].get("reason") == "rollback":
            stack.pop() if stack else None
        else:
            stack.append(int(move["details"]["version"]))
    return stack


def production_periods(entries: list[dict[str, Any]]) -> list[Period]:
    periods: list[Period] = []
    for move in production_moves(entries):
        if periods and periods[-1].end is None:
            periods[-1] = Period(periods[-1].version, periods[-1].start, move["at"])
        periods.append(Period(int(move["details"]["version"]), move["at"], None))
    return periods


def settings_text(version: VersionInfo) -> str:
    settings = {"model_config": version.model_config or {}, "response_format": version.response_format}
    return json.dumps(settings, indent=2, sort_keys=True, default=str)


def version_diff(old: VersionInfo | None, new: VersionInfo) -> str:
    """A unified diff of template and settings; against nothing for the first version."""
    before = (old.template + "\n" + settings_text(old)) if old else ""
    after = new.template + "\n" + settings_text(new)
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True),
        fromfile=f"{new.name} v{old.version}" if old else "/dev/null", tofile=f"{new.name} v{new.version}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)

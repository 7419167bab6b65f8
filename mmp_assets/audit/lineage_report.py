"""The lineage audit of one registered model version, as plain data, and its verdict.

Every fact the audit gathered sits in a section (`model`, `training_set`, `views`, `sources`,
`dagster_runs`, `mlflow_run`, `evaluation`, `approvals`, `code_versions`); every cross-check is a
`Finding`. A report is *complete* when no piece is missing and *verified* when, in addition, every
recomputed hash and every recorded copy of a version agree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["ok", "mismatch", "missing", "info"]


@dataclass(frozen=True)
class Finding:
    """One cross-check: what was compared (`check`), on what (`subject`), and how it came out."""

    check: str
    subject: str
    status: Status
    detail: str

    def line(self) -> str:
        return f"{self.subject}: {self.check}: {self.detail}"


@dataclass
class LineageReport:
    recipe: str
    version: int | None
    audited_at: str
    model: dict[str, Any] = field(default_factory=dict)
    mlflow_run: dict[str, Any] = field(default_factory=dict)
    training_set: dict[str, Any] = field(default_factory=dict)
    views: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    code_versions: dict[str, dict[str, Any]] = field(default_factory=dict)
    dagster_runs: list[dict[str, Any]] = field(default_factory=list)
    evaluation: dict[str, Any] = field(default_factory=dict)
    approvals: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def add(self, check: str, subject: str, status: Status, detail: str) -> None:
        self.findings.append(Finding(check, subject, status, detail))

    def same(self, check: str, subject: str, expected: Any, actual: Any, *, what: str = "") -> bool:
        """Record ok when the two copies agree, mismatch (naming both) when they do not, missing when one is absent."""
        if expected is None or actual is None:
            self.add(check, subject, "missing", f"{what or check}: {'expected' if expected is None else 'actual'} value not recorded")
            return False
        if str(expected) == str(actual):
            self.add(check, subject, "ok", f"{what or check}: {actual}")
            return True
        self.add(check, subject, "mismatch", f"{what or check}: expected {expected}, found {actual}")
        return False

    @property
    def complete(self) -> bool:
        return not any(f.status == "missing" for f in self.findings)

    @property
    def verified(self) -> bool:
        return self.complete and not any(f.status == "mismatch" for f in self.findings)

    @property
    def verdict(self) -> str:
        if self.verified:
            return "verified"
        return "tampered or inconsistent" if any(f.status == "mismatch" for f in self.findings) else "incomplete"

    def problems(self) -> list[str]:
        return [f.line() for f in self.findings if f.status in ("mismatch", "missing")]

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body.update(complete=self.complete, verified=self.verified, verdict=self.verdict, problems=self.problems())
        return body

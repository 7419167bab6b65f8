"""The schema contract of a feature view, checked on a staged version before it may become current.

Fails on: a missing column, a changed type, a NULL entity key or timestamp, two rows for the same
(entity, timestamp). The expected schema is the declared `schema`, else the first version's.
Changes against the current version are listed column by column whether or not they fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from mmp_assets.feature_store.sql import canonical_type, ident


@dataclass
class ContractReport:
    violations: list[str] = field(default_factory=list)
    changes: list[dict[str, str | None]] = field(default_factory=list)
    null_keys: int = 0
    duplicate_keys: int = 0

    @property
    def passed(self) -> bool:
        return not self.violations


def declared_schema(conn: duckdb.DuckDBPyConnection, declared: dict[str, str] | None) -> dict[str, str] | None:
    return None if declared is None else {column: canonical_type(conn, kind) for column, kind in declared.items()}


def schema_changes(before: dict[str, str] | None, after: dict[str, str]) -> list[dict[str, str | None]]:
    """Column-by-column difference: added, removed or type_changed, in column order."""
    if before is None:
        return []
    changes = [{"column": c, "change": "removed", "before": t, "after": None} for c, t in before.items() if c not in after]
    for column, kind in after.items():
        if column not in before:
            changes.append({"column": column, "change": "added", "before": None, "after": kind})
        elif before[column] != kind:
            changes.append({"column": column, "change": "type_changed", "before": before[column], "after": kind})
    return changes


def check_contract(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, str],
    keys: list[str],
    expected: dict[str, str] | None,
    previous: dict[str, str] | None,
) -> ContractReport:
    """Check a staged table against the expected schema and its key rules."""
    report = ContractReport(changes=schema_changes(previous, columns))
    for change in schema_changes(expected, columns):
        if change["change"] == "removed":
            report.violations.append(f"column {change['column']!r} is missing (expected {change['before']})")
        elif change["change"] == "type_changed":
            report.violations.append(f"column {change['column']!r} changed type from {change['before']} to {change['after']}")
    absent = [k for k in keys if k not in columns]
    if absent:
        report.violations.append(f"key column(s) {', '.join(map(repr, absent))} not in the view's output")
        return report
    quoted = ", ".join(ident(k) for k in keys)
    any_null = " OR ".join(f"{ident(k)} IS NULL" for k in keys)
    report.null_keys = conn.execute(f"SELECT count(*) FROM {ident(table)} WHERE {any_null}").fetchone()[0]
    report.duplicate_keys = conn.execute(
        f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {ident(table)} GROUP BY {quoted} HAVING count(*) > 1)"
    ).fetchone()[0]
    if report.null_keys:
        report.violations.append(f"{report.null_keys} row(s) have a NULL key ({', '.join(keys)})")
    if report.duplicate_keys:
        report.violations.append(f"{report.duplicate_keys} row(s) share their key ({', '.join(keys)}) with another row")
    return report

"""Why a staged uplift training set could train no uplift model: read in DuckDB before it is published.

An uplift model compares two arms, so every row needs a 0/1 (or true/false) treatment, the outcome must
be 0/1, and the training split needs at least `uplift.min_arm_rows` rows in each arm.
"""

from __future__ import annotations

import duckdb

from mmp_assets.feature_store.splits import SPLIT_COLUMN
from mmp_assets.feature_store.sql import ident
from mmp_assets.recipes.model import ModelRecipe

_BINARY = {"0", "1", "0.0", "1.0", "true", "false"}


def _values(conn: duckdb.DuckDBPyConnection, table: str, column: str) -> list[str | None]:
    rows = conn.execute(f"SELECT DISTINCT {ident(column)}::VARCHAR FROM {ident(table)} ORDER BY 1 NULLS FIRST LIMIT 20").fetchall()
    return [r[0] for r in rows]


def _shown(values: list[str | None]) -> str:
    return ", ".join("NULL" if v is None else repr(v) for v in values)


def uplift_reason(conn: duckdb.DuckDBPyConnection, table: str, recipe: ModelRecipe) -> tuple[str, str] | None:
    """(recipe field, why no uplift model can be trained on `table`), or None when one can."""
    spec, label = recipe.uplift, recipe.spine.label
    treatment = spec.treatment
    found = _values(conn, table, treatment)
    if None in found or not {str(v).lower() for v in found} <= _BINARY:
        return "uplift.treatment", (f"treatment column {treatment!r} must hold 0/1 or true/false in every row; it holds {_shown(found)}")
    outcomes = _values(conn, table, label)
    if not {str(v).lower() for v in outcomes if v is not None} <= _BINARY:
        return "spine.label", f"an uplift outcome must be 0/1 or true/false; {label!r} holds {_shown(outcomes)}"
    arms = dict(conn.execute(
        f"SELECT CASE WHEN lower({ident(treatment)}::VARCHAR) IN ('1', '1.0', 'true') THEN 1 ELSE 0 END, count(*) FROM {ident(table)} WHERE {ident(SPLIT_COLUMN)} = 'train' GROUP BY 1").fetchall())
    treated, control = arms.get(1, 0), arms.get(0, 0)
    if min(treated, control) < spec.min_arm_rows:
        return "uplift.min_arm_rows", (f"the train split has {treated} treated and {control} control row(s); each arm needs at "
                                       f"least {spec.min_arm_rows} (uplift.min_arm_rows)")
    return None

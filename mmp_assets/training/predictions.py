"""Batch predictions: score point-in-time feature rows, store them as a new versioned DuckDB table.

Every version is its own table `pred_<recipe>__v<N>` written completely before the view
`pred_<recipe>` is pointed at it, so a failed run never touches an earlier version.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import duckdb
import pandas as pd

from mmp_assets.feature_store.sql import ident as _ident, tables_from_frame


_FLOATS = {"double": "float64", "float": "float32"}


def as_signature_types(rows: pd.DataFrame, input_types: dict[str, str]) -> pd.DataFrame:
    """The input columns cast to the signature's types: MLflow will not widen int64 to double itself, and
    a CSV reader may see numbers in a categorical column; nulls stay nulls."""
    frame = rows[list(input_types)].copy()
    for column, kind in input_types.items():
        if kind in _FLOATS:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(_FLOATS[kind])
        elif kind == "string":
            values = frame[column]
            frame[column] = values.astype(object).where(values.isna(), values.astype(str))
    return frame


def score_rows(
    model, rows: pd.DataFrame, feature_columns: list[str], model_name: str, model_version: str,
    *, input_types: dict[str, str] | None = None, view_versions: dict[str, int] | None = None,
) -> pd.DataFrame:
    """`rows` (spine columns + features) with the pyfunc's outputs, the model version, the feature-view
    versions joined (JSON) and the score time on every row."""
    features = as_signature_types(rows, input_types) if input_types else rows[feature_columns]
    outputs = model.predict(features)
    scored = rows.reset_index(drop=True).copy()
    for column in outputs.columns:
        scored[column] = outputs[column].to_numpy()
    scored["model_name"] = model_name
    scored["model_version"] = str(model_version)
    scored["feature_view_versions"] = json.dumps(view_versions or {}, sort_keys=True)
    scored["scored_at"] = datetime.now(UTC).replace(tzinfo=None)
    return scored


def next_table(conn: duckdb.DuckDBPyConnection, recipe_name: str) -> tuple[str, int]:
    pattern = re.compile(rf"^pred_{re.escape(recipe_name)}__v(\d+)$")
    names = [r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    taken = [int(m.group(1)) for n in names if (m := pattern.match(n))]
    version = max(taken, default=0) + 1
    return f"pred_{recipe_name}__v{version}", version


def write_predictions(conn: duckdb.DuckDBPyConnection, recipe_name: str, scored: pd.DataFrame, keep: int = 10) -> tuple[str, int]:
    """Write `scored` as the next version, point `pred_<recipe>` at it, keep the newest `keep` versions."""
    table, version = next_table(conn, recipe_name)
    tables_from_frame(conn, scored, [
        f"CREATE TABLE {_ident(table)} AS SELECT * FROM __mmp_frame",
        f"CREATE OR REPLACE VIEW {_ident('pred_' + recipe_name)} AS SELECT * FROM {_ident(table)}",
    ])
    for old in range(1, version - keep + 1):  # the view now points at the new table; old ones are history
        conn.execute(f"DROP TABLE IF EXISTS {_ident(f'pred_{recipe_name}__v{old}')}")
    return table, version

"""Batch predictions: score point-in-time feature rows, store them as a new versioned DuckDB table.

Every version is its own table `pred_<recipe>__v<N>` written completely before the view
`pred_<recipe>` is pointed at it, so a failed run never touches an earlier version.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import duckdb
import pandas as pd

from mmp_assets.feature_store.contracts import model_input
from mmp_assets.feature_store.sql import ident as _ident


def score_rows(model, rows: pd.DataFrame, feature_columns: list[str], model_name: str, model_version: str) -> pd.DataFrame:
    """`rows` (spine columns + features) with the pyfunc's outputs and the model version on every row."""
    schema = model.metadata.get_input_schema()
    text = [spec.name for spec in schema.inputs if spec.type.name == "string"] if schema is not None else []
    outputs = model.predict(model_input(rows[feature_columns], text))
    scored = rows.reset_index(drop=True).copy()
    for column in outputs.columns:
        scored[column] = outputs[column].to_numpy()
    scored["model_name"] = model_name
    scored["model_version"] = str(model_version)
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
    conn.register("__mmp_scored", scored)
    try:
        conn.execute("BEGIN TRANSACTION")
        conn.execute(f"CREATE TABLE {_ident(table)} AS SELECT * FROM __mmp_scored")
        conn.execute(f"CREATE OR REPLACE VIEW {_ident('pred_' + recipe_name)} AS SELECT * FROM {_ident(table)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.unregister("__mmp_scored")
    for old in range(1, version - keep + 1):  # the view now points at the new table; old ones are history
        conn.execute(f"DROP TABLE IF EXISTS {_ident(f'pred_{recipe_name}__v{old}')}")
    return table, version

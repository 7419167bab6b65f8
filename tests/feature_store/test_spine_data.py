"""Data a training set cannot be sound on is refused in one line before anything is published (the current
version, its table and rows untouched); data it can live with is published with a recorded warning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from mmp_assets.feature_store import catalog

N = 40
GOOD = pd.DataFrame({
    "user_id": ["a", "b"] * (N // 2), "t": pd.date_range("2024-02-01", periods=N, freq="D"),
    "amount": np.arange(N, dtype=float), "y": [0, 1, 1, 0] * (N // 4),
})
SNAPS = pd.DataFrame({"user_id": ["a", "b"], "t": pd.to_datetime(["2024-01-01", "2024-01-02"]), "spend": [1.5, 2.5]})
SPINE = {"source": "events", "entity": "user_id", "timestamp": "t", "label": "y", "columns": ["amount"]}


def _null_some(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.loc[out.index % 10 == 0, "t"] = pd.NaT
    return out


REFUSED = {
    "all timestamps NULL": (GOOD.assign(t=pd.NaT), {}, "recipes/m.yaml: spine.timestamp: all 40 labelled row(s) of source events have a "
                            "NULL 't'; a training set needs a point in time per row: fill the column or name another one"),
    "numeric timestamp": (GOOD.assign(t=np.arange(N)), {}, "recipes/m.yaml: spine.timestamp: column 't' of source events is BIGINT, not a "
                          "DATE or TIMESTAMP; a point-in-time join needs times: name a time column, or convert it in the source's SQL "
                          "(such as to_timestamp(t))"),
    "entity types differ": (GOOD.assign(user_id=[1, 2] * (N // 2)), {}, "recipes/m.yaml: spine.entity: spine column 'user_id' (source "
                            "events) is BIGINT but view 'spend' keys on 'user_id' VARCHAR; a join key must have one type on both sides: "
                            "cast one of them in SQL (CAST(user_id AS VARCHAR)) or fix the declared schema"),
    "tied timestamps": (GOOD.assign(t=pd.Timestamp("2024-03-01")), {}, "recipes/m.yaml: split: temporal split by 't' gives "
                        "train/validation/test 0%/0%/100% of 40 row(s) instead of 70%/15%/15%: the rows have 1 distinct 't' value(s) "
                        "and rows tied at a boundary go to the later split; use a finer timestamp, or strategy random, stratified or group"),
    "infinite feature": (GOOD.assign(amount=[np.inf, -np.inf, 1.0, 2.0] * (N // 4)), {}, "recipes/m.yaml: features: column 'amount' has "
                         "20 of 40 row(s) +inf or -inf; no model reads infinity: map it to NULL or a bound in the SQL that makes the "
                         "column (CASE WHEN isinf(x) THEN NULL ELSE x END)"),
    "contradicting labels": (pd.concat([GOOD, GOOD.assign(y=1 - GOOD.y)]), {}, "recipes/m.yaml: spine.label: 40 group(s) of spine rows of "
                             "source events are identical in user_id, t, amount but have different 'y' values; one row cannot have two "
                             "labels: remove the contradicting rows or add the column that tells them apart to spine.columns"),
}


def _project(fs_project):
    fs_project.source("snaps", SNAPS)
    fs_project.source("events", GOOD)
    fs_project.view("spend", entity="user_id", timestamp="t", source="snaps")
    fs_project.model("m", spine=SPINE, features=[{"view": "spend"}])


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_spine_data_is_refused_in_one_line_and_the_current_version_stays(fs_project, instance, case):
    _project(fs_project)
    assert fs_project.materialize(instance).success
    frame, _, line = REFUSED[case]
    fs_project.source("events", frame)
    result = fs_project.materialize(instance, selection="m/training_set")
    assert not result.success
    assert result.get_step_failure_events()[0].step_failure_data.user_failure_data.description == line
    with fs_project.connect() as conn:
        assert catalog.current_version(conn, "training_set", "m") == 1
        assert conn.execute("SELECT count(*), sum(y), sum(amount) FROM ts_m").fetchone() == (N, N // 2, float(sum(range(N))))
        tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not any(t.startswith("ts_m__v2") for t in tables)


WARNED = {
    "some timestamps NULL": (_null_some(GOOD), N - 4, ["recipes/m.yaml: spine.timestamp: 4 of 40 labelled row(s) of source events have a "
                                                      "NULL 't' and are left out of the training set"]),
    "duplicate rows": (pd.concat([GOOD, GOOD.head(3)]), N + 3, [
        "recipes/m.yaml: spine.source: 3 duplicate spine row(s) in source events (identical in every kept column and the label); they "
        "are kept and weigh double: remove them in the source's SQL (SELECT DISTINCT)"]),
    "NaN feature": (GOOD.assign(amount=[np.nan, 1.0] * (N // 2)), N, [
        "recipes/m.yaml: features: column 'amount' has 20 of 40 row(s) NaN; they are read as missing and imputed"]),
}


@pytest.mark.parametrize("case", list(WARNED))
def test_doubtful_spine_data_is_published_with_a_recorded_warning(fs_project, instance, case):
    _project(fs_project)
    frame, rows, lines = WARNED[case]
    fs_project.source("events", frame)
    # pandas writes NaN as NULL; the files a user brings (polars, Spark, DuckDB) keep NaN as NaN
    pl.from_pandas(frame, nan_to_null=False).write_parquet(fs_project.root / "data" / "events.parquet")
    result = fs_project.materialize(instance, selection="*")
    assert result.success
    warned = [r.user_message for r in instance.all_logs(result.run_id) if r.level == 30 and not r.is_dagster_event]
    assert warned == lines
    event = result.asset_materializations_for_node("m__training_set")[0]
    assert event.metadata["mmp/warnings"].value == lines
    with fs_project.connect() as conn:
        entry = catalog.find_entry(conn, "training_set", "m")
        assert entry.details["warnings"] == lines
        assert conn.execute("SELECT count(*) FROM ts_m").fetchone()[0] == rows
        assert conn.execute("SELECT count(*) FROM ts_m WHERE t IS NULL").fetchone()[0] == 0


def test_a_split_group_column_the_spine_lacks_is_one_line(fs_project, instance):
    _project(fs_project)
    fs_project.model("m", spine=SPINE, features=[{"view": "spend"}], split={"strategy": "group", "group": "household_id"})
    result = fs_project.materialize(instance)
    assert not result.success
    assert result.get_step_failure_events()[0].step_failure_data.user_failure_data.description == (
        "recipes/m.yaml: split.group: column 'household_id' is not in source events; its columns: user_id, t, amount, y")
    with fs_project.connect() as conn:
        assert not conn.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'ts_m%'").fetchone()[0]

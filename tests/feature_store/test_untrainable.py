"""A training set no model can be trained on is refused before it is published: one line naming the
recipe field and the reason, and the previous version stays current, table and rows untouched."""

from __future__ import annotations

import pandas as pd

from mmp_assets.feature_store import catalog

GOOD = pd.DataFrame({"user_id": ["a", "b"] * 6, "t": pd.date_range("2024-02-01", periods=12, freq="D"), "y": [0, 1] * 6})
SNAPS = pd.DataFrame({"user_id": ["a", "b"], "t": pd.to_datetime(["2024-01-01", "2024-01-02"]), "spend": [1.5, 2.5]})
UNTRAINABLE = {
    "all labels NULL": (GOOD.assign(y=pd.array([None] * 12, dtype="Int64")), "it has no labelled rows (12 spine row(s) have a NULL 'y')"),
    "no rows": (GOOD.head(0), "it has no labelled rows (0 spine row(s) have a NULL 'y')"),
    "one class": (GOOD.assign(y=1), "every train row has y = 1; a classifier needs at least two classes"),
}


def test_an_untrainable_training_set_is_refused_and_the_current_version_stays(fs_project, instance):
    fs_project.source("snaps", SNAPS)
    fs_project.source("events", GOOD)
    fs_project.view("spend", entity="user_id", timestamp="t", source="snaps")
    fs_project.model("m", spine={"source": "events", "entity": "user_id", "timestamp": "t", "label": "y"}, features=[{"view": "spend"}])
    assert fs_project.materialize(instance).success
    for case, (frame, reason) in UNTRAINABLE.items():
        fs_project.source("events", frame)
        result = fs_project.materialize(instance, selection="m/training_set")
        assert not result.success, case
        failure = result.get_step_failure_events()[0].step_failure_data
        assert failure.user_failure_data.description == (
            f"recipes/m.yaml: spine.label: training set m v2 not published, no model can be trained on it: {reason}; version 1 stays current")
        with fs_project.connect() as conn:
            assert catalog.current_version(conn, "training_set", "m") == 1
            assert conn.execute("SELECT count(*), sum(y) FROM ts_m").fetchone() == (12, 6)
            tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert not any(t.startswith("ts_m__v2") for t in tables), case


def test_a_view_column_named_like_the_label_is_refused_in_one_line(fs_project, instance):
    """A view without a declared schema is only known at run time: the same rule mmp validate applies to declared ones."""
    fs_project.source("snaps", SNAPS.assign(y=[1, 0]))
    fs_project.source("events", GOOD)
    fs_project.view("spend", entity="user_id", timestamp="t", source="snaps")
    fs_project.model("m", spine={"source": "events", "entity": "user_id", "timestamp": "t", "label": "y"}, features=[{"view": "spend"}])
    result = fs_project.materialize(instance)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data
    assert failure.user_failure_data.description == (
        "recipes/m.yaml: features: view 'spend' has a column 'y', the label's name; a feature named like the label is "
        "ambiguous (and often the label itself); list the view's other columns with columns, or rename it in the view")

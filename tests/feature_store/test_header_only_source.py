"""A CSV source with a header and no rows is one line naming the file, not a schema check failing on
all-VARCHAR columns later; a view built from it before keeps its published version."""

from __future__ import annotations

import pandas as pd
import pytest

from mmp_assets.feature_store import catalog
from mmp_assets.feature_store.sources import SourceError, register_sources

SNAPS = pd.DataFrame({"user_id": ["a", "b"], "t": pd.to_datetime(["2024-01-01", "2024-01-02"]), "spend": [1.5, 2.5]})
LINE = ("recipes/sources/snaps.yaml: path: data/snaps.csv has a header and no data rows; a CSV source needs a header and at least one "
        "row: write the file's rows, or point path at the file that has them")


def test_a_header_only_csv_is_one_line(fs_project):
    fs_project.source("snaps", SNAPS.head(0), fmt="csv")
    with fs_project.connect() as conn, pytest.raises(SourceError) as caught:
        register_sources(conn, ["snaps"], fs_project.recipes(), fs_project.root)
    assert str(caught.value) == LINE


def test_a_view_over_a_csv_that_lost_its_rows_keeps_its_version(fs_project, instance):
    fs_project.source("snaps", SNAPS, fmt="csv")
    fs_project.view("spend", entity="user_id", timestamp="t", source="snaps")
    assert fs_project.materialize(instance, selection="features/spend").success
    (fs_project.root / "data" / "snaps.csv").write_text("user_id,t,spend\n")
    result = fs_project.materialize(instance, selection="features/spend")
    assert not result.success
    error = result.get_step_failure_events()[0].step_failure_data.error
    while error.cause is not None:  # what `mmp materialize` prints: the raised error under Dagster's wrapper
        error = error.cause
    assert (error.cls_name, error.message.strip()) == ("SourceError", f"mmp_assets.feature_store.sources.SourceError: {LINE}")
    with fs_project.connect() as conn:
        assert catalog.current_version(conn, "view", "spend") == 1
        assert conn.execute("SELECT count(*) FROM fv_spend").fetchone()[0] == 2

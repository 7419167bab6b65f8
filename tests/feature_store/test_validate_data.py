"""`mmp validate --data` finds in the data what a run would refuse or warn about, one line each, and
publishes nothing: the store's catalog, tables and rows are as before."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from mmp_assets.feature_store.data_checks import data_findings

N = 40
GOOD = pd.DataFrame({
    "user_id": ["a", "b"] * (N // 2), "t": pd.date_range("2024-02-01", periods=N, freq="D"),
    "amount": np.arange(N, dtype=float), "y": [0, 1, 1, 0] * (N // 4),
})
SNAPS = pd.DataFrame({"user_id": ["a", "b"], "t": pd.to_datetime(["2024-01-01", "2024-01-02"]), "spend": [1.5, 2.5]})
SPINE = {"source": "events", "entity": "user_id", "timestamp": "t", "label": "y", "columns": ["amount"]}


def _project(fs_project, events=GOOD, **source_fields):
    fs_project.source("snaps", SNAPS)
    fs_project.source("events", events, **source_fields)
    fs_project.view("spend", entity="user_id", timestamp="t", source="snaps")
    fs_project.model("m", spine=SPINE, features=[{"view": "spend"}])


def _store_digest(fs_project) -> str:
    path = Path(fs_project.config().duckdb_path)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


def test_good_data_has_no_findings(fs_project):
    _project(fs_project)
    assert data_findings(fs_project.recipes(), fs_project.root) == ([], [])
    assert _store_digest(fs_project) == "absent"  # nothing was created, let alone published


def test_each_data_problem_is_one_line_and_nothing_is_published(fs_project, instance):
    _project(fs_project)
    assert fs_project.materialize(instance).success
    before = _store_digest(fs_project)
    fs_project.source("events", GOOD.assign(t=pd.Timestamp("2024-03-01"), user_id=[1, 2] * (N // 2)))
    fs_project.source("snaps", SNAPS.assign(spend=["x", "y"]), schema={"user_id": "VARCHAR", "spend": "DOUBLE"})
    problems, warnings = data_findings(fs_project.recipes(), fs_project.root)
    assert problems == ["recipes/sources/snaps.yaml: schema: column 'spend' is VARCHAR, declared DOUBLE"]
    assert warnings == []
    fs_project.source("snaps", SNAPS)
    problems, _ = data_findings(fs_project.recipes(), fs_project.root)
    assert problems == ["recipes/m.yaml: spine.entity: spine column 'user_id' (source events) is BIGINT but view 'spend' keys on "
                        "'user_id' VARCHAR; a join key must have one type on both sides: cast one of them in SQL "
                        "(CAST(user_id AS VARCHAR)) or fix the declared schema"]
    fs_project.source("events", GOOD.assign(t=pd.Timestamp("2024-03-01")))
    problems, _ = data_findings(fs_project.recipes(), fs_project.root)
    assert problems == ["recipes/m.yaml: split: temporal split by 't' gives train/validation/test 0%/0%/100% of 40 row(s) instead of "
                        "70%/15%/15%: the rows have 1 distinct 't' value(s) and rows tied at a boundary go to the later split; use a "
                        "finer timestamp, or strategy random, stratified or group"]
    fs_project.source("events", pd.concat([GOOD, GOOD.head(2)]).assign(y=1))
    problems, warnings = data_findings(fs_project.recipes(), fs_project.root)
    assert problems == ["recipes/m.yaml: spine.label: no model can be trained on this data: every train row has y = 1; a classifier "
                        "needs at least two classes"]
    assert warnings == ["recipes/m.yaml: spine.source: 2 duplicate spine row(s) in source events (identical in every kept column and "
                        "the label); they are kept and weigh double: remove them in the source's SQL (SELECT DISTINCT)"]
    assert _store_digest(fs_project) == before


def test_the_command_line_prints_the_lines_and_exits_1(fs_project):
    _project(fs_project, events=GOOD.head(0), fmt="csv")
    env = {**os.environ, "MMP_PROJECT_DIR": str(fs_project.root), "MMP_DATA_DIR": str(fs_project.root / ".mmp")}
    done = subprocess.run([str(Path(sys.executable).with_name("mmp")), "validate", "--data"], cwd=fs_project.root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "recipes/sources/events.yaml: path: data/events.csv has a header and no data rows; a CSV source needs a header and at least "
        "one row: write the file's rows, or point path at the file that has them", "1 problem(s) found"]
    assert not Path(fs_project.config().duckdb_path).exists()

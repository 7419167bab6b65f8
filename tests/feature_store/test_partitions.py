"""`spine.partitions`: a time-window partitioned training set whose window is bound to `start` / `end`,
and a model that trains on the newest window's version whatever order partitions were built in."""

from __future__ import annotations

import os

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from mmp_assets.feature_store import load_training_set
from mmp_assets.feature_store.partitions import newest_partition_version, partition_entry
from mmp_assets.training.assets import build_model_assets


@pytest.fixture
def project(fs_project):
    hours = np.arange(0, 24 * 91, 5)  # every 5 h from 1 January to 31 March
    events = pd.DataFrame({"user_id": [f"u{i % 11}" for i in range(len(hours))], "y": np.arange(len(hours)) % 2,
                           "x": (np.arange(len(hours)) % 7).astype(float),
                           "t": pd.Timestamp("2024-01-01") + pd.to_timedelta(hours, unit="h")})
    fs_project.source("raw_events", events)
    fs_project.source("events", sql="SELECT * FROM raw_events WHERE t >= {{ start }} AND t < {{ end }}",
                      params={"start": "1970-01-01", "end": "2100-01-01"})
    fs_project.model("m", spine={"source": "events", "entity": "user_id", "timestamp": "t", "label": "y", "columns": ["x"],
                                 "partitions": {"schedule": "monthly", "start": "2024-01-01", "end": "2024-04-01"}})
    return fs_project


def _build(project, instance, partition: str, params: dict | None = None):
    config = {"ops": {"m__training_set": {"config": {"params": params}}}} if params else None
    return dg.materialize(project.assets(), instance=instance, resources=_resources(project), selection="m/training_set",
                          partition_key=partition, raise_on_error=False, run_config=config)


def _resources(project):
    from mmp_resources import build_resources

    return build_resources(project.config(), project.root)


def test_the_training_set_is_partitioned_and_the_model_reads_the_newest_window(project):
    recipes = project.recipes()
    training_set = next(a for a in project.assets() if a.key == dg.AssetKey(["m", "training_set"]))
    assert training_set.partitions_def.get_partition_keys() == ["2024-01-01", "2024-02-01", "2024-03-01"]
    model = build_model_assets(recipes.models["m"], recipes, project.config(), project.root)[0]
    mapping = model.get_partition_mapping(dg.AssetKey(["m", "training_set"]))
    assert isinstance(mapping, dg.LastPartitionMapping)


def test_each_partition_binds_its_window(project, instance):
    result = _build(project, instance, "2024-02-01")
    assert result.success
    metadata = result.asset_materializations_for_node("m__training_set")[0].metadata
    assert metadata["mmp/partition"].value == "2024-02-01"
    assert metadata["mmp/params"].value == {"events": {"start": "2024-02-01 00:00:00", "end": "2024-03-01 00:00:00"}}
    recipes = project.recipes()
    with project.connect(read_only=True) as conn:
        entry = partition_entry(conn, "m", "2024-02-01")
        frame = load_training_set(conn, recipes.models["m"], entry.version).frame
    assert frame["t"].min() >= pd.Timestamp("2024-02-01") and frame["t"].max() < pd.Timestamp("2024-03-01")
    assert entry.details["partition"] == "2024-02-01"


def test_a_backfill_of_an_old_window_does_not_change_what_the_model_trains_on(project, instance):
    recipes = project.recipes()
    assert _build(project, instance, "2024-02-01").success
    with project.connect(read_only=True) as conn, pytest.raises(LookupError, match=(
        r"m/training_set has no version for its newest partition 2024-03-01; materialize it first: "
        r"mmp materialize --select m/training_set --partition 2024-03-01"
    )):
        newest_partition_version(conn, recipes.models["m"])
    assert _build(project, instance, "2024-03-01").success
    assert _build(project, instance, "2024-01-01").success  # published last, so it is the "current" version
    with project.connect(read_only=True) as conn:
        march = partition_entry(conn, "m", "2024-03-01").version
        assert newest_partition_version(conn, recipes.models["m"]) == march
        assert partition_entry(conn, "m", "2024-01-01").version > march
    assert _build(project, instance, "2024-03-01").asset_materializations_for_node("m__training_set")[0].metadata[
        "mmp/status"].value == "unchanged"  # compared with March's own version, not with January's


def test_a_run_cannot_also_set_the_window(project, instance):
    result = _build(project, instance, "2024-01-01", params={"start": "2023-01-01"})
    assert not result.success
    error = result.get_step_failure_events()[0].event_specific_data.error
    assert "params start come from the partition (2024-01-01) in a partitioned run; drop them from the run config" in str(error.cause)


@pytest.mark.slow
def test_one_mmp_materialize_builds_a_partition_and_trains_on_it(project, tmp_path, monkeypatch, capsys):
    from mmp_assets.cli.materialize import materialize_selection

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    assert materialize_selection("+m/model", partition="2024-03-01") == 0, capsys.readouterr().err
    assert "ok   m__model" in capsys.readouterr().out


def test_a_retrain_rebuilds_the_newest_window(project):
    from mmp_assets.automation.retrain import retrain_request
    from mmp_assets.feature_store.partitions import newest_partition

    recipe = project.recipes().models["m"]
    request = retrain_request("m", "drift", "drift:m:1", partition=newest_partition(recipe))
    assert request.partition_key == "2024-03-01"
    assert request.asset_selection[0] == dg.AssetKey(["m", "training_set"])


def test_mmp_materialize_says_which_partition_it_needs_before_any_run(project, tmp_path, monkeypatch, capsys):
    from mmp_assets.cli.materialize import materialize_selection

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    assert materialize_selection("m/training_set") == 1
    assert capsys.readouterr().err == "--partition: m/training_set is partitioned; name one partition, such as --partition 2024-03-01\n"
    assert materialize_selection("m/training_set", partition="2024-05-01") == 1
    assert capsys.readouterr().err == ("--partition: 2024-05-01 is not a partition of m/training_set; "
                                       "its partitions: 2024-01-01 to 2024-03-01\n")
    assert materialize_selection("sources/raw_events", partition="2024-01-01") == 1
    assert capsys.readouterr().err == "--partition: 2024-01-01: no selected asset is partitioned; leave --partition out\n"
    with dg.DagsterInstance.get() as instance:
        assert instance.get_runs() == []  # nothing was started


@pytest.mark.services
@pytest.mark.slow
def test_a_partition_runs_on_a_celery_worker(project, capsys):
    """In dev the run goes to the workers through `dg.execute_job`; the partition travels as its tag."""
    import shutil

    from mmp_assets.cli.instance import use_instance_home
    from mmp_assets.cli.materialize import materialize_selection
    from mmp_resources import load_config
    from mmp_resources.sandbox import dev_sandbox
    from mmp_resources.workers import CeleryWorkers

    from tests.conftest import REPO

    shutil.copy(REPO / "config" / "dev.yaml", project.root / "config" / "dev.yaml")
    with dev_sandbox(project.root / ".mmp"):
        home = use_instance_home(project.root)
        workers = CeleryWorkers(load_config(project.root), project.root, dagster_home=home)
        try:
            workers.start(1)
            assert materialize_selection("m/training_set", partition="2024-02-01") == 0, capsys.readouterr().err
        finally:
            workers.stop()
        with dg.DagsterInstance.get() as instance:
            run = instance.get_runs(limit=1)[0]
            assert run.tags["dagster/partition"] == "2024-02-01"
            started = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_START)
            assert started and all(record.dagster_event.pid != os.getpid() for record in started)  # ran in the worker
            materialized = instance.get_latest_materialization_event(dg.AssetKey(["m", "training_set"]))
            assert materialized.dagster_event.partition == "2024-02-01"

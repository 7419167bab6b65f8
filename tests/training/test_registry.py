"""Tuning lands in MLflow: one run with the search, a registered pyfunc that predicts raw rows in a
fresh process (without mmp importable), lineage tags, alias candidate, no version on unchanged inputs."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import mlflow
import pandas as pd
import pytest

from mmp_assets.registry.versions import load_pipeline, version_for_alias
from mmp_assets.tags import VersionTags
from mmp_assets.training.final import fit_final
from mmp_assets.training.lineage import inputs_digest
from mmp_assets.training.predictions import score_rows, write_predictions
from mmp_assets.training.pyfunc import PipelineModel
from mmp_assets.training.tuning import tune_model
from mmp_resources.audit_log import AuditLog, current_user
from mmp_resources.loader import load_config
from mmp_resources.studies import StudyStorageResource
from mmp_resources.tracking import MlflowResource
from tests.training.toys import make_recipe, make_training_set

REPO = Path(__file__).resolve().parents[2]
# x1 goes through per-column steps whose code (a fitted quantile clip, the signed log) must ship with the model
X1_STEPS = [{"op": "impute", "strategy": "median", "add_indicator": True}, {"op": "clip", "lower_quantile": 0.01, "upper_quantile": 0.99}, {"op": "log"}]
RECIPE = make_recipe(tuning={"n_trials": 2, "pruner": "median", "metric": "f1"}, preprocessing={"columns": [{"columns": "x1", "steps": X1_STEPS}]})

LOAD_IN_FRESH_PROCESS = textwrap.dedent(
    """
    import sys

    class NoMmp:  # the logged model must not need mmp's code
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("mmp_assets", "mmp_resources"):
                raise ImportError(f"{name} is hidden from this process")
            return None

    sys.meta_path.insert(0, NoMmp())
    import mlflow, pandas as pd
    uri, rows, out = sys.argv[1:4]
    model = mlflow.pyfunc.load_model(uri)
    model.predict(pd.read_parquet(rows)).to_parquet(out)
    """
)


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(REPO / "config", root / "config")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MMP_DATA_DIR", str(root / ".mmp"))
        env.setenv("MMP_PROJECT_DIR", str(root))
        env.delenv("MMP_ENV", raising=False)
        config = load_config(root, "base")
        resources = {"mlflow_resource": MlflowResource(project_dir=str(root), env="base"),
                     "study_storage": StudyStorageResource(project_dir=str(root), env="base")}
        training_set = make_training_set(positive_rate=0.1)

        def tune(ts=training_set):
            return tune_model(RECIPE, ts, config=config, dagster_run_id="run-123", asset_key="toy/model", **resources)

        yield {"root": root, "config": config, "training_set": training_set, "first": tune(), "tune": tune,
               "client": resources["mlflow_resource"].client()}


def test_first_materialization_registers_version_1_as_candidate_with_lineage(tuned):
    first, client, ts = tuned["first"], tuned["client"], tuned["training_set"]
    assert first.registered and first.version == "1" and first.model_uri == "models:/toy/1"
    version = version_for_alias(client, "toy", "candidate")
    assert str(version.version) == "1"
    assert version.run_id == first.search.mlflow_run_id  # evaluation logs its report into this run
    tags = version.tags
    assert tags["mmp.training_set_version"] == "1" and tags["mmp.training_set_hash"] == ts.content_hash
    assert tags["mmp.dagster_run_id"] == "run-123" and tags["mmp.trainer"] == current_user()
    assert tags["mmp.inputs_digest"] == inputs_digest(RECIPE, ts)
    assert json.loads(tags["mmp.pinned_views"]) == {"user_profile": 1}
    assert VersionTags.of(client.get_model_version("toy", "1")).best_params == first.best_params
    assert version_for_alias(client, "toy", "champion") is None
    assert AuditLog.for_data_dir(tuned["config"].data_dir).entries(kind="model", subject="toy")[-1]["action"] == "register"


def test_one_run_holds_the_whole_search(tuned):
    client, first = tuned["client"], tuned["first"]
    run = client.get_run(first.search.mlflow_run_id)
    assert run.data.tags["mmp.asset_key"] == "toy/model" and run.data.tags["mmp.dagster_run_id"] == "run-123"
    assert run.data.metrics["trials_complete"] + run.data.metrics["trials_pruned"] == 2
    assert run.data.metrics["best_score"] == pytest.approx(first.best_score)
    assert run.data.params["best.depth"] == str(first.best_params["depth"])
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"trials.json", "optimization_history.png", "search_space.json"} <= artifacts
    runs = client.search_runs([run.info.experiment_id])
    assert len(runs) == 1  # trials are a table, not runs
    assert first.search.stopped_by == "n_trials (tuning.n_trials)"


def test_unchanged_inputs_register_nothing_and_say_so(tuned):
    again = tuned["tune"]()
    assert not again.registered and again.version == "1"
    assert "match version 1" in again.unchanged
    assert len(tuned["client"].search_model_versions("name = 'toy'")) == 1


def test_pyfunc_in_a_fresh_process_predicts_raw_rows_like_the_in_process_model(tuned, tmp_path):
    ts, first = tuned["training_set"], tuned["first"]
    rows = ts.X("test").reset_index(drop=True)
    rows.loc[0, "colour"] = None
    rows.loc[1, "x1"] = float("nan")
    rows.to_parquet(tmp_path / "rows.parquet")
    env = {**os.environ, "MLFLOW_TRACKING_URI": tuned["config"].tracking_uri}
    subprocess.run(
        [sys.executable, "-c", LOAD_IN_FRESH_PROCESS, first.model_uri, str(tmp_path / "rows.parquet"), str(tmp_path / "out.parquet")],
        check=True, env=env, cwd=tmp_path,
    )
    fresh = pd.read_parquet(tmp_path / "out.parquet")
    threshold = float(tuned["client"].get_model_version("toy", "1").tags["mmp.threshold"])
    in_process = PipelineModel(fit_final(RECIPE, ts, first.best_params, threshold), ts.feature_columns, "classification")
    expected = in_process.predict(None, rows)
    assert list(fresh.columns) == ["prediction", "probability"]
    pd.testing.assert_frame_equal(fresh, expected, check_dtype=False)
    assert fresh["prediction"].sum() > 0  # the stored threshold makes the rare class predictable


def test_load_pipeline_returns_the_fitted_sklearn_pipeline(tuned):
    mlflow.set_tracking_uri(tuned["config"].tracking_uri)
    pipeline = load_pipeline("models:/toy/1")
    X = tuned["training_set"].X("test")
    assert pipeline.predict_proba(X).shape == (len(X), 2)
    assert list(pipeline.named_steps) == ["preprocess", "model"]


def test_changed_training_data_registers_a_new_version(tuned):
    ts = tuned["training_set"]
    changed = dataclasses.replace(ts, version=2, content_hash="f" * 64, frame=ts.frame.iloc[:-10])
    outcome = tuned["tune"](changed)
    assert outcome.registered and outcome.version == "2"
    assert str(version_for_alias(tuned["client"], "toy", "candidate").version) == "2"


def test_predictions_are_versioned_tables_with_the_model_version_on_every_row(tuned, tmp_path):
    mlflow.set_tracking_uri(tuned["config"].tracking_uri)
    model = mlflow.pyfunc.load_model("models:/toy/1")
    rows = tuned["training_set"].part("test").drop(columns=["is_bad", "split"])
    conn = duckdb.connect(str(tmp_path / "store.duckdb"))
    first = write_predictions(conn, "toy", score_rows(model, rows, tuned["training_set"].feature_columns, "toy", "1"))
    second = write_predictions(conn, "toy", score_rows(model, rows.head(7), tuned["training_set"].feature_columns, "toy", "1"))
    assert first == ("pred_toy__v1", 1) and second == ("pred_toy__v2", 2)
    assert conn.execute("SELECT count(*) FROM pred_toy__v1").fetchone()[0] == len(rows)
    assert conn.execute("SELECT count(*), min(model_version), max(model_version) FROM pred_toy").fetchone() == (7, "1", "1")

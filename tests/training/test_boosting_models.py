"""A first-class booster end to end: tuned with pruning, registered as a pyfunc that pins the installed distribution
(xgboost comes from xgboost-cpu) and predicts raw rows (unseen and missing categories included) in a fresh process
without mmp. LightGBM runs the same code path; only XGBoost is run here to spare the CI budget."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from mmp_assets.training.final import fit_final
from mmp_assets.training.pyfunc import PipelineModel
from mmp_assets.training.tuning import tune_model
from mmp_resources.loader import load_config
from mmp_resources.studies import StudyStorageResource
from mmp_resources.tracking import MlflowResource
from tests.training.test_registry import LOAD_IN_FRESH_PROCESS
from tests.training.toys import make_recipe, make_training_set

REPO = Path(__file__).resolve().parents[2]
MODELS = {
    "xgboost.XGBClassifier": ({"n_estimators": 30, "n_jobs": 1, "random_state": 0}, "xgboost-cpu=="),
}


@pytest.mark.parametrize("class_path", sorted(MODELS))
def test_a_tuned_booster_is_registered_and_predicts_in_a_fresh_process(class_path, tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(REPO / "config", root / "config")
    monkeypatch.setenv("MMP_DATA_DIR", str(root / ".mmp"))
    monkeypatch.setenv("MMP_PROJECT_DIR", str(root))
    monkeypatch.delenv("MMP_ENV", raising=False)
    params, pin = MODELS[class_path]
    recipe = make_recipe(
        model={"class_path": class_path, "params": params, "search_space": {"max_depth": {"type": "int", "low": 2, "high": 4}}},
        tuning={"n_trials": 2, "metric": "roc_auc", "pruner": "median", "seed": 3},
    )
    config, ts = load_config(root, "base"), make_training_set()
    resources = {"mlflow_resource": MlflowResource(project_dir=str(root), env="base"),
                 "study_storage": StudyStorageResource(project_dir=str(root), env="base")}
    outcome = tune_model(recipe, ts, config=config, dagster_run_id="run-1", asset_key="toy/model", **resources)
    assert outcome.registered and outcome.version == "1"

    mlflow.set_tracking_uri(config.tracking_uri)
    requirements = Path(mlflow.artifacts.download_artifacts(f"{outcome.model_uri}/requirements.txt", dst_path=str(tmp_path))).read_text()
    assert pin in requirements

    rows = ts.X("test").reset_index(drop=True)
    rows.loc[0, "colour"], rows.loc[1, "colour"] = None, "purple"  # missing, and never seen in training
    rows.to_parquet(tmp_path / "rows.parquet")
    env = {**os.environ, "MLFLOW_TRACKING_URI": config.tracking_uri}
    subprocess.run([sys.executable, "-c", LOAD_IN_FRESH_PROCESS, outcome.model_uri, str(tmp_path / "rows.parquet"), str(tmp_path / "out.parquet")],
                   check=True, env=env, cwd=tmp_path)
    fresh = pd.read_parquet(tmp_path / "out.parquet")
    threshold = float(resources["mlflow_resource"].client().get_model_version("toy", "1").tags["mmp.threshold"])
    expected = PipelineModel(fit_final(recipe, ts, outcome.best_params, threshold), ts.feature_columns, "classification").predict(None, rows)
    pd.testing.assert_frame_equal(fresh, expected, check_dtype=False)

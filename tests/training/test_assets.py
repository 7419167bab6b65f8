"""`<recipe>/model` and `<recipe>/predictions` materialized by a real Dagster instance on a tiny project."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from mmp_assets import keys
from mmp_assets.feature_store import build_feature_store_assets, build_training_set_assets
from mmp_assets.recipes import load_recipes
from mmp_assets.recipes.versions import model_code_version
from mmp_assets.training.assets import build_model_assets
from mmp_resources import build_resources, load_config

REPO = Path(__file__).resolve().parents[2]


def _write(root: Path, relative: str, content: dict) -> None:
    path = root / "recipes" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")


def _events(n: int, seed: int, labelled: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "user_id": [f"u{i % 20}" for i in range(n)],
            "event_time": pd.date_range("2024-02-01", periods=n, freq="2h"),
            "x1": rng.normal(size=n),
            "colour": rng.choice(["red", "blue", "green"], size=n),
        }
    )
    if labelled:
        frame["is_bad"] = ((frame["x1"] + (frame["colour"] == "red") + rng.normal(scale=0.5, size=n)) > 1).astype("int32")
    return frame


@pytest.fixture
def tiny_project(tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(REPO / "config", root / "config")
    monkeypatch.setenv("MMP_DATA_DIR", str(root / ".mmp"))
    monkeypatch.setenv("MMP_PROJECT_DIR", str(root))
    monkeypatch.delenv("MMP_ENV", raising=False)
    (root / "data").mkdir()
    _events(400, 0, True).to_parquet(root / "data" / "events.parquet", index=False)
    _events(30, 1, False).assign(event_time=pd.date_range("2024-03-15", periods=30, freq="h")).to_parquet(root / "data" / "scoring.parquet", index=False)
    snapshots = pd.DataFrame(
        {"user_id": [f"u{i}" for i in range(20)] * 3, "snapshot_time": np.repeat(pd.to_datetime(["2024-01-25", "2024-02-20", "2024-03-10"]), 20),
         "spend_30d": np.arange(60, dtype=float)}
    )
    snapshots.to_parquet(root / "data" / "snapshots.parquet", index=False)
    owner = {"owner": "team:test"}
    _write(root, "sources/events.yaml", {"name": "events", "description": "labelled events", **owner, "path": "data/events.parquet"})
    _write(root, "sources/scoring.yaml", {"name": "scoring", "description": "rows to score", **owner, "path": "data/scoring.parquet"})
    _write(root, "sources/snapshots.yaml", {"name": "snapshots", "description": "user snapshots", **owner, "path": "data/snapshots.parquet"})
    _write(root, "features/user_stats.yaml", {"name": "user_stats", "description": "user spend", **owner, "entity": "user_id",
                                              "timestamp": "snapshot_time", "source": "snapshots"})
    _write(root, "toy.yaml", {
        "name": "toy", "description": "toy model", **owner, "task": "classification",
        "spine": {"source": "events", "entity": "user_id", "timestamp": "event_time", "label": "is_bad", "columns": ["x1", "colour"]},
        "features": [{"view": "user_stats"}],
        "split": {"strategy": "temporal", "validation": 0.2, "test": 0.2},
        "preprocessing": {"categorical": {"encode": "native"}},
        "model": {"class_path": "catboost.CatBoostClassifier",
                  "params": {"iterations": 30, "verbose": 0, "thread_count": 1, "allow_writing_files": False, "random_seed": 0},
                  "search_space": {"depth": {"type": "int", "low": 2, "high": 4}}},
        "tuning": {"n_trials": 2, "metric": "roc_auc", "pruner": "none"},
        "monitoring": {"scoring_source": "scoring"},
    })
    return root


def _assets(root: Path) -> tuple[list, dict]:
    recipes, config = load_recipes(root), load_config(root)
    recipes.raise_if_problems()
    recipe = recipes.models["toy"]
    assets = [*build_feature_store_assets(recipes, config, root), *build_training_set_assets(recipe, recipes, config, root),
              *build_model_assets(recipe, recipes, config, root)]
    return assets, build_resources(config, root)


def test_model_and_predictions_asset_definitions(tiny_project):
    recipes, config = load_recipes(tiny_project), load_config(tiny_project)
    model, predictions = build_model_assets(recipes.models["toy"], recipes, config, tiny_project)
    model_spec = model.specs_by_key[keys.recipe_key("toy", "model")]
    assert model_spec.kinds == {"catboost", "optuna", "mlflow"} and model_spec.group_name == "toy" and model_spec.owners == ["team:test"]
    assert model_spec.code_version == model_code_version(recipes.models["toy"], "model")
    assert {d.asset_key for d in model_spec.deps} == {keys.recipe_key("toy", "training_set")}
    assert model.op.pool is None  # it only reads DuckDB
    pred_spec = predictions.specs_by_key[keys.recipe_key("toy", "predictions")]
    assert {d.asset_key for d in pred_spec.deps} == {keys.recipe_key("toy", "model"), keys.source_key("scoring"), keys.view_key("user_stats")}
    assert predictions.op.pool == config.dagster.duckdb_pool


def test_materialize_tunes_registers_then_scores_and_a_rerun_registers_nothing(tiny_project, capsys):
    from mmp_assets.cli.main import main

    assets, resources = _assets(tiny_project)
    with dg.instance_for_test() as instance:
        result = dg.materialize(assets, resources=resources, instance=instance)
        assert result.success
        model_meta = result.asset_materializations_for_node("toy__model")[0].metadata
        assert model_meta["model_uri"].value == "models:/toy/1" and model_meta["registered"].value is True
        assert model_meta["trials_complete"].value == 2 and model_meta["stopped_by"].value == "n_trials (tuning.n_trials)"
        assert "depth" in model_meta["best_params"].value
        pred_meta = result.asset_materializations_for_node("toy__predictions")[0].metadata
        assert pred_meta["table"].value == "pred_toy__v1" and pred_meta["model_alias"].value == "candidate"

        again = dg.materialize(assets, resources=resources, instance=instance, selection="toy/model")
        meta = again.asset_materializations_for_node("toy__model")[0].metadata
        assert meta["registered"].value is False and "nothing tuned or registered" in meta["unchanged"].value

    with duckdb.connect(load_config(tiny_project).duckdb_path, read_only=True) as conn:
        rows = conn.execute("SELECT count(*), count(DISTINCT model_version), min(model_version) FROM pred_toy").fetchone()
    assert rows == (30, 1, "1")

    # a worker joins the asset's study (same recipe version and data): 2 trials there, it adds 1
    assert main(["tune", "--recipe", "toy", "--worker", "--trials", "3", "--no-progress"]) == 0
    assert "ran 1 trial(s) here; study has 3 complete" in capsys.readouterr().out
    assert main(["tune", "--recipe", "toy", "--no-progress"]) == 0
    assert "nothing tuned or registered" in capsys.readouterr().out
    assert main(["tune", "--recipe", "nope"]) == 1
    assert "--recipe: unknown model recipe 'nope'; known: toy" in capsys.readouterr().err


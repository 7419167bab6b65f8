"""sklearn's breast-cancer and wine tables (no entity, no timestamp, `columns: all`) validate and materialize end to end."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_wine

pytestmark = pytest.mark.slow

from mmp_assets.factory import build_recipe_assets
from mmp_assets.recipes import load_recipes
from mmp_resources import build_resources, load_config


def test_examples_validate(plain_project: Path, capsys) -> None:
    from mmp_assets.cli.main import main

    assert main(["validate"]) == 0, capsys.readouterr().err
    recipes = load_recipes(plain_project)
    assert recipes.models["breast_cancer"].split.strategy == "stratified"


def test_examples_materialize_end_to_end(plain_project: Path) -> None:
    recipes, config = load_recipes(plain_project), load_config(plain_project)
    recipes.raise_if_problems()
    assets = build_recipe_assets(recipes, config, plain_project)
    # wine runs through evaluation (multiclass, per-column steps); breast cancer's binary evaluation is the demo's
    # code path, tested there, so it stops at the registered model to keep CI time down
    selection = dg.AssetSelection.groups("wine") | dg.AssetSelection.assets(["breast_cancer", "training_set"], ["breast_cancer", "model"])
    with dg.instance_for_test() as instance:
        result = dg.materialize(assets, resources=build_resources(config, plain_project), instance=instance, raise_on_error=True,
                                selection=selection)
        assert result.success
        for name in ("breast_cancer", "wine"):
            meta = result.asset_materializations_for_node(f"{name}__model")[0].metadata
            assert meta["registered"].value is True, name

    from mmp_assets.feature_store import load_training_set

    with duckdb.connect(str(config.duckdb_path), read_only=True) as conn:
        cancer = load_training_set(conn, recipes.models["breast_cancer"])
        wine = load_training_set(conn, recipes.models["wine"])
    raw = load_breast_cancer(as_frame=True).frame
    assert cancer.feature_columns == [c for c in raw.columns if c != "target"]  # `all`, in the table's order
    assert len(cancer.frame) == len(raw) and cancer.timestamp is None and cancer.entity == []
    # stratified: every split keeps the label mix of the table
    shares = cancer.frame.groupby(cancer.split_column)["target"].mean()
    assert np.allclose(shares, raw["target"].mean(), atol=0.02)
    wine_raw = load_wine(as_frame=True).frame
    assert wine.feature_columns == [c for c in wine_raw.columns if c not in ("target", "proline")]
    assert set(wine.part("test")["target"]) == {0, 1, 2}

    # wine's per-column steps ship inside the registered model, and SHAP maps their outputs back to raw columns
    import json

    import mlflow

    mlflow.set_tracking_uri(config.tracking_uri)
    model = mlflow.pyfunc.load_model("models:/wine/1")
    scored = model.predict(wine.X("test"))
    assert {"proba_0", "proba_1", "proba_2"} <= set(scored.columns) and scored["prediction"].isin([0, 1, 2]).all()
    report = json.loads((config.data_dir / "reports" / "wine" / "v1" / "metrics.json").read_text())
    assert report["gate_passed"] is True

"""The clustering example end to end on real DuckDB, MLflow and Dagster, checked against sklearn on the stored test split."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score, silhouette_score

from mmp_assets.factory import build_recipe_assets
from mmp_assets.recipes import load_recipes
from mmp_resources import build_resources, load_config
from mmp_resources.loader import read_yaml
from tests.clustering.conftest import RECIPE

pytestmark = pytest.mark.slow
NAME = "shopper_segments"


def _materialize(root: Path, *stages: str, raise_on_error: bool = True):
    recipes, config = load_recipes(root), load_config(root)
    recipes.raise_if_problems()
    assets = build_recipe_assets(recipes, config, root)
    selection = dg.AssetSelection.assets(*[[NAME, stage] for stage in stages])
    with dg.instance_for_test() as instance:
        return dg.materialize(assets, resources=build_resources(config, root), instance=instance,
                              raise_on_error=raise_on_error, selection=selection), config, recipes


def test_example_materializes_and_its_metrics_match_sklearn(cluster_project: Path, tmp_path: Path) -> None:
    result, config, recipes = _materialize(cluster_project, "training_set", "model", "evaluation", "predictions")
    assert result.success
    model_meta = result.asset_materializations_for_node(f"{NAME}__model")[0].metadata
    assert model_meta["registered"].value is True
    evaluation_meta = result.asset_materializations_for_node(f"{NAME}__evaluation")[0].metadata

    from mmp_assets.feature_store import load_training_set

    with duckdb.connect(str(config.duckdb_path), read_only=True) as conn:
        training_set = load_training_set(conn, recipes.models[NAME])
        predicted = conn.execute(f"SELECT customer_id, prediction FROM pred_{NAME} ORDER BY customer_id").df()
    assert training_set.label is None and "true_segment" not in training_set.feature_columns
    assert set(training_set.categorical_columns) == {"channel", "region"}
    test = training_set.part("test")
    X_test = training_set.X("test")

    import mlflow

    mlflow.set_tracking_uri(config.tracking_uri)
    model = mlflow.pyfunc.load_model(f"models:/{NAME}/1")
    ids = model.predict(X_test)["prediction"].to_numpy()
    # the space the registered model clusters in: its own fitted preprocessing, not mmp's metric code
    space = np.asarray(model.unwrap_python_model().pipeline[:-1].transform(X_test), dtype=float)
    assert len(X_test) < 2000  # below the silhouette sample size: sklearn's exact value
    expected = {"silhouette": silhouette_score(space, ids), "davies_bouldin": davies_bouldin_score(space, ids),
                "calinski_harabasz": calinski_harabasz_score(space, ids)}
    report = json.loads((config.data_dir / "reports" / NAME / "v1" / "metrics.json").read_text())
    for name, value in expected.items():
        assert report["metrics"][name] == pytest.approx(value, rel=1e-9), name
        assert evaluation_meta[f"test_{name}"].value == pytest.approx(value, rel=1e-9), name
    assert report["gate_passed"] is True, report["gate"]
    baseline = report["comparisons"][0]
    assert baseline["against"].startswith("baseline") and baseline["ours"] > baseline["theirs"] + 0.2

    # the found clusters are the generated segments (the example's data is built for it)
    truth = pd.read_parquet(cluster_project / "data" / "shoppers.parquet").set_index("customer_id")["true_segment"]
    assert adjusted_rand_score(truth.loc[test["customer_id"]].to_numpy(), ids) > 0.8
    assert len(np.unique(ids)) == 4

    # the report shows sizes and profiles of the same clusters
    card = (config.data_dir / "reports" / NAME / "v1" / "model_card.md").read_text()
    sizes = pd.Series(ids).value_counts()
    for cluster, rows in sizes.items():
        assert f"| {cluster} | {rows} |" in card
    assert "## Clusters (test split)" in card and "SHAP explains a surrogate" in card
    assert "<th>cluster</th><th>rows</th><th>share</th>" in (config.data_dir / "reports" / NAME / "v1" / "report.html").read_text()

    # the predictions asset scored the test split with cluster ids
    merged = test[["customer_id"]].assign(expected=ids).merge(predicted, on="customer_id")
    assert len(merged) == len(test) and (merged["expected"] == merged["prediction"]).all()

    assert (config.data_dir / "reports" / NAME / "v1" / "drift.html").exists()  # drift on the features, as for every task

    # mmp predict writes the same ids for the same rows (a file of raw rows: no label, no timestamp needed)
    from mmp_assets.cli.main import main

    raw = pd.read_parquet(cluster_project / "data" / "shoppers.parquet").set_index("customer_id").loc[test["customer_id"]].reset_index()
    raw.drop(columns=["true_segment"]).to_parquet(tmp_path / "new.parquet", index=False)
    assert main(["predict", NAME, "--input", str(tmp_path / "new.parquet"), "--output", str(tmp_path / "scored.csv")]) == 0
    scored = pd.read_csv(tmp_path / "scored.csv")
    assert scored["customer_id"].tolist() == test["customer_id"].tolist() and scored["prediction"].tolist() == ids.tolist()

    # a fresh process loads the registered model with MLflow alone and gives the same ids
    X_test.to_parquet(tmp_path / "rows.parquet")
    assert _predict_in_new_process(config.tracking_uri, f"models:/{NAME}/1", tmp_path / "rows.parquet") == ids.tolist()


def _edit(root: Path, change) -> None:
    path = root / RECIPE
    data = read_yaml(path)
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _failure(result) -> str:
    return result.get_step_failure_events()[0].step_failure_data.user_failure_data.description


def test_more_clusters_than_rows_is_refused_in_one_line(cluster_project: Path) -> None:
    _edit(cluster_project, lambda d: d["model"]["search_space"]["n_clusters"].update(high=500))
    result, _, _ = _materialize(cluster_project, "training_set", "model", raise_on_error=False)
    assert not result.success
    assert _failure(result) == (
        f"{RECIPE}: model.search_space.n_clusters.high: 500 clusters but a trial fits on only 241 rows; ask for at most "
        "241 clusters, or give the training set more rows")


def test_constant_features_are_refused_and_a_constant_column_is_a_warning(cluster_project: Path) -> None:
    data = cluster_project / "data" / "shoppers.parquet"
    frame = pd.read_parquet(data)
    frame["visits_per_month"] = 1.0
    frame.to_parquet(data, index=False)
    result, _, _ = _materialize(cluster_project, "training_set", "model")
    warnings = result.asset_materializations_for_node(f"{NAME}__model")[0].metadata["warnings"].value
    assert ("feature column 'visits_per_month' holds a single value in every training row; it cannot separate clusters "
            "(scaled, it is all zeros)") in warnings

    _edit(cluster_project, lambda d: d["spine"].update(columns=["visits_per_month"], exclude=[]))
    result, _, _ = _materialize(cluster_project, "training_set", "model", raise_on_error=False)
    assert not result.success
    assert _failure(result) == (f"{RECIPE}: spine.columns: every feature column is constant (or NULL) across the 241 "
                                "training rows; clustering cannot separate rows that are all alike")


def _predict_in_new_process(tracking_uri: str, uri: str, rows: Path) -> list:
    return _predict_each_in_new_process(tracking_uri, [uri], rows)[0]


def _predict_each_in_new_process(tracking_uri: str, uris: list[str], rows: Path) -> list[list]:
    """One fresh process loads each model URI with MLflow alone and predicts the rows: the ids per URI."""
    script = ("import sys, json, mlflow, pandas as pd; mlflow.set_tracking_uri(sys.argv[1]); rows = pd.read_parquet(sys.argv[2]); "
              "print(json.dumps([mlflow.pyfunc.load_model(u).predict(rows)['prediction'].tolist() for u in sys.argv[3:]]))")
    out = subprocess.run([sys.executable, "-c", script, tracking_uri, str(rows), *uris], capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


CLUSTERERS = [
    ("sklearn.cluster.AgglomerativeClustering", {"n_clusters": {"type": "int", "low": 3, "high": 5},
                                                 "linkage": {"type": "categorical", "choices": ["ward", "average"]}}),
    ("sklearn.mixture.GaussianMixture", {"n_components": {"type": "int", "low": 3, "high": 5}}),
    ("sklearn.cluster.MiniBatchKMeans", {"n_clusters": {"type": "int", "low": 3, "high": 5}}),
]


def test_every_catalog_clusterer_registers_a_model_that_predicts_in_a_new_process(cluster_project: Path, tmp_path: Path) -> None:
    """Each catalog clusterer in turn in one project, each registered as a version of the model, then one fresh
    process loads every version and predicts: a project and a Python start-up per clusterer cost more than its fit."""
    registered = {}
    for class_path, space in CLUSTERERS:
        _edit(cluster_project, lambda d: d["model"].update(class_path=class_path, params={}, search_space=space))
        result, config, recipes = _materialize(cluster_project, "training_set", "model")
        meta = result.asset_materializations_for_node(f"{NAME}__model")[0].metadata
        assert meta["registered"].value is True, class_path
        registered[class_path] = f"models:/{NAME}/{meta['model_version'].value}"
    assert len(set(registered.values())) == len(CLUSTERERS)

    from mmp_assets.feature_store import load_training_set

    with duckdb.connect(str(config.duckdb_path), read_only=True) as conn:
        X_test = load_training_set(conn, recipes.models[NAME]).X("test")
    X_test.to_parquet(tmp_path / "rows.parquet")
    predicted = _predict_each_in_new_process(config.tracking_uri, list(registered.values()), tmp_path / "rows.parquet")
    for class_path, ids in zip(registered, predicted):
        assert len(ids) == len(X_test) and 3 <= len(set(ids)) <= 5, class_path


def test_too_few_rows_is_refused_before_any_trial(cluster_project: Path, tmp_path: Path) -> None:
    from tests.clustering.conftest import example_module

    example_module().write_tables(cluster_project, 12)
    result, _, _ = _materialize(cluster_project, "training_set", "model", raise_on_error=False)
    assert not result.success
    assert _failure(result) == (f"{RECIPE}: split.validation: a trial scores its clusters on 2 held-out row(s); the metrics "
                                "need at least 3: raise split.validation or give the training set more rows")

"""A clustering recipe needs no label and refuses what only a label could give, each in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mmp_assets.recipes import load_recipes
from mmp_resources.loader import read_yaml
from tests.clustering.conftest import RECIPE


def _edit(root: Path, change) -> None:
    path = root / RECIPE
    data = read_yaml(path)
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _problems(root: Path) -> list[str]:
    return [str(p) for p in load_recipes(root).problems]


def test_example_recipe_is_valid_without_a_label(cluster_project: Path) -> None:
    recipes = load_recipes(cluster_project)
    assert recipes.problems == []
    recipe = recipes.models["shopper_segments"]
    assert recipe.task == "clustering" and recipe.spine.label is None
    assert recipe.split.strategy == "random" and recipe.direction == "maximize"


F = "recipes/shopper_segments.yaml"
CASES = {
    "label given": (
        lambda d: d["spine"].update(label="true_segment"),
        f"{F}: spine.label: 'true_segment': clustering learns without a label; remove spine.label (a column you want to "
        "compare clusters with stays out of spine.columns)",
    ),
    "dbscan": (
        lambda d: d["model"].update(class_path="sklearn.cluster.DBSCAN", params={}, search_space={"eps": {"type": "float", "low": 0.1, "high": 1.0}}),
        f"{F}: model.class_path: sklearn.cluster.DBSCAN labels its training rows only and cannot assign new rows to clusters; "
        "allowed for task clustering: sklearn.cluster.KMeans, sklearn.cluster.MiniBatchKMeans, sklearn.mixture.GaussianMixture, "
        "sklearn.cluster.AgglomerativeClustering",
    ),
    "a classifier": (
        lambda d: d["model"].update(class_path="sklearn.ensemble.RandomForestClassifier", params={}, search_space={}),
        f"{F}: model.class_path: sklearn.ensemble.RandomForestClassifier is not a clustering model mmp can register; "
        "allowed for task clustering: sklearn.cluster.KMeans",
    ),
    "stratified split": (
        lambda d: d["split"].update(strategy="stratified"),
        f"{F}: split.strategy: 'stratified' splits by label, and clustering has none; use random, temporal or group",
    ),
    "one cluster": (
        lambda d: d["model"]["search_space"]["n_clusters"].update(low=1),
        f"{F}: model.search_space.n_clusters.low: 1: one cluster (or fewer) leaves every clustering metric undefined; "
        "n_clusters must be at least 2",
    ),
    "one component fixed": (
        lambda d: d["model"].update(class_path="sklearn.mixture.GaussianMixture", params={"n_components": 1}, search_space={}),
        f"{F}: model.params.n_components: 1: one cluster (or fewer) leaves every clustering metric undefined; n_components must be at least 2",
    ),
    "one component by default": (
        lambda d: d["model"].update(class_path="sklearn.mixture.GaussianMixture", params={}, search_space={}),
        f"{F}: model.search_space: n_components is neither fixed nor tuned, and sklearn.mixture.GaussianMixture defaults to 1 "
        "cluster; tune it, such as n_components: {type: int, low: 2, high: 8}",
    ),
    "calibration": (
        lambda d: d["model"].update(calibration="sigmoid"),
        f"{F}: model.calibration: 'sigmoid' calibrates class probabilities; clustering has none, remove it",
    ),
    "target encoding": (
        lambda d: d["preprocessing"].update(columns=[{"columns": ["channel"], "steps": [{"op": "encode", "method": "target"}]}]),
        f"{F}: preprocessing.columns[0].steps[0].method: 'target' encodes categories with the label, and clustering has none; use onehot or ordinal",
    ),
    "classification metric": (
        lambda d: d["tuning"].update(metric="roc_auc"),
        f"{F}: tuning.metric: unknown clustering metric 'roc_auc'; allowed: silhouette, davies_bouldin, calinski_harabasz",
    ),
    "wrong direction": (
        lambda d: d["tuning"].update(metric="davies_bouldin", direction="maximize"),
        f"{F}: tuning.direction: 'maximize' contradicts davies_bouldin, which is better when you minimize it",
    ),
    "gate on a regression metric": (
        lambda d: d["evaluation"].update(gate={"rmse": "<= 1"}),
        f"{F}: evaluation.gate.rmse: unknown clustering metric; allowed: silhouette, davies_bouldin, calinski_harabasz, max_regression",
    ),
    "classification without label": (
        lambda d: d.update(task="classification", model={"class_path": "sklearn.linear_model.LogisticRegression"}, tuning={"metric": "roc_auc"},
                           evaluation={}),
        f"{F}: spine.label: is required but missing",
    ),
    "regression with a clusterer": (
        lambda d: (d.update(task="regression", tuning={"metric": "rmse"}, evaluation={}), d["spine"].update(label="basket_value")),
        f"{F}: model.class_path: sklearn.cluster.KMeans is a clustering model but task is regression; set task: clustering "
        "(and remove spine.label)",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_clustering_recipe_gives_one_line(cluster_project: Path, case: str) -> None:
    change, expected = CASES[case]
    _edit(cluster_project, change)
    problems = _problems(cluster_project)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), f"\n got: {problems[0]}\nwant: {expected}"


def test_backtest_is_refused(cluster_project: Path) -> None:
    """Without a timestamp the plain-table rule speaks first; with one, clustering's own line does."""
    _edit(cluster_project, lambda d: d["evaluation"].update(backtest={"windows": 3}))
    problems = _problems(cluster_project)
    assert f"{F}: evaluation.backtest: a backtest replays a label over time windows; clustering has no label, remove backtest" in problems


def test_mmp_list_shows_the_clustering_task_metrics_and_models(capsys) -> None:
    from mmp_assets.cli.main import main

    assert main(["list", "tasks"]) == 0
    lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    block = lines[lines.index("clustering"):]
    assert block[1] == "metrics: silhouette (max), davies_bouldin (min), calinski_harabasz (max)"
    assert block[2].startswith("first-class models: sklearn.cluster.KMeans (new rows: nearest centroid)")
    assert main(["list", "metrics"]) == 0
    rows = {row.split()[0]: row.split()[1:3] for row in capsys.readouterr().out.splitlines() if row.strip()}
    assert rows["davies_bouldin"] == ["clustering", "minimize"] and rows["silhouette"] == ["clustering", "maximize"]

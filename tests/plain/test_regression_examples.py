"""docs/examples/regression end to end on its generated data, with real DuckDB, MLflow and Dagster: the log1p and the
quantile recipe materialize, their reported test metrics match an independent numpy / scikit-learn computation on the
stored test split and the registered model's predictions (made in a new process), and a transform the labels
contradict is refused in one line without losing the registered version."""

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
from sklearn.metrics import mean_absolute_error, mean_pinball_loss, mean_squared_error, r2_score

from mmp_assets.factory import build_recipe_assets
from mmp_assets.feature_store import load_training_set
from mmp_assets.recipes import load_recipes
from mmp_resources import build_resources, load_config
from tests.examples import example_module, example_project

pytestmark = pytest.mark.slow


PREDICT_IN_NEW_PROCESS = """
import sys, mlflow, pandas as pd
mlflow.set_tracking_uri(sys.argv[1])
model = mlflow.pyfunc.load_model(sys.argv[2])
model.predict(pd.read_parquet(sys.argv[3])).to_parquet(sys.argv[4])
"""


@pytest.fixture
def regression_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = example_project(tmp_path, monkeypatch, "regression")
    example_module("regression").write_tables(root)
    return root


def _predict_elsewhere(config, uri: str, X: pd.DataFrame, work: Path) -> pd.DataFrame:
    """The registered model's predictions, loaded with mlflow.pyfunc in a fresh Python process."""
    rows, out = work / "rows.parquet", work / "scored.parquet"
    X.to_parquet(rows)
    done = subprocess.run([sys.executable, "-c", PREDICT_IN_NEW_PROCESS, config.tracking_uri, uri, str(rows), str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return pd.read_parquet(out)


def test_regression_examples_end_to_end(regression_project: Path, tmp_path: Path) -> None:
    root = regression_project
    recipes, config = load_recipes(root), load_config(root)
    recipes.raise_if_problems()
    assets = build_recipe_assets(recipes, config, root)
    with dg.instance_for_test() as instance:
        result = dg.materialize(assets, resources=build_resources(config, root), instance=instance, raise_on_error=True,
                                selection=dg.AssetSelection.groups("claim_cost", "delivery_time"))
        assert result.success
        predictions = result.asset_materializations_for_node("delivery_time__predictions")[0].metadata["table"].value

    with duckdb.connect(str(config.duckdb_path), read_only=True) as conn:
        claims = load_training_set(conn, recipes.models["claim_cost"])
        deliveries = load_training_set(conn, recipes.models["delivery_time"])
        stored = conn.execute(f'SELECT "q0.1", "q0.5", "q0.9", prediction FROM "{predictions}"').df()
    report = {name: json.loads((config.data_dir / "reports" / name / "v1" / "metrics.json").read_text())
              for name in ("claim_cost", "delivery_time")}

    # log1p: predictions on the currency scale, metrics recomputed with scikit-learn
    y = claims.y("test").to_numpy()
    scored = _predict_elsewhere(config, "models:/claim_cost/1", claims.X("test"), tmp_path)
    assert list(scored.columns) == ["prediction"] and (scored["prediction"] > 0).all()
    assert scored["prediction"].median() == pytest.approx(np.median(y), rel=0.5)  # currency, not log units
    metrics = report["claim_cost"]["metrics"]
    assert metrics["mae"] == pytest.approx(mean_absolute_error(y, scored["prediction"]))
    assert metrics["rmse"] == pytest.approx(np.sqrt(mean_squared_error(y, scored["prediction"])))
    assert metrics["r2"] == pytest.approx(r2_score(y, scored["prediction"]))
    baseline = report["claim_cost"]["comparisons"][0]
    assert baseline["theirs"] == pytest.approx(np.mean(np.abs(y - claims.y("train").mean())))  # training mean, original scale

    # quantiles: one column per level, sorted, q0.5 the prediction; pinball and coverage recomputed with numpy
    y = deliveries.y("test").to_numpy()
    scored = _predict_elsewhere(config, "models:/delivery_time/1", deliveries.X("test"), tmp_path)
    assert list(scored.columns) == ["prediction", "q0.1", "q0.5", "q0.9"]
    Q = scored[["q0.1", "q0.5", "q0.9"]].to_numpy()
    assert (np.diff(Q, axis=1) >= 0).all() and np.array_equal(scored["prediction"], scored["q0.5"])
    metrics = report["delivery_time"]["metrics"]
    levels = [0.1, 0.5, 0.9]
    per_level = []
    for i, q in enumerate(levels):
        diff = y - Q[:, i]
        per_level.append(np.mean(np.maximum(q * diff, (q - 1) * diff)))
        assert metrics[f"pinball_loss_q{q}"] == pytest.approx(per_level[-1])
        assert per_level[-1] == pytest.approx(mean_pinball_loss(y, Q[:, i], alpha=q))
    assert metrics["pinball_loss"] == pytest.approx(np.mean(per_level))
    coverage = np.mean((Q[:, 0] <= y) & (y <= Q[:, 2]))
    assert metrics["interval_coverage"] == pytest.approx(coverage)
    assert metrics["interval_coverage_error"] == pytest.approx(abs(coverage - 0.8))
    assert metrics["mae"] == pytest.approx(mean_absolute_error(y, Q[:, 1]))
    # the baseline: the training labels' empirical quantiles on every test row
    constant = np.quantile(deliveries.y("train").to_numpy(), levels)
    expected = np.mean([mean_pinball_loss(y, np.full(len(y), c), alpha=q) for c, q in zip(constant, levels)])
    comparison = report["delivery_time"]["comparisons"][0]
    assert comparison["against"] == "baseline (training quantiles)" and comparison["theirs"] == pytest.approx(expected)
    assert report["delivery_time"]["gate_passed"] is True and report["claim_cost"]["gate_passed"] is True
    card = (config.data_dir / "reports" / "delivery_time" / "v1" / "model_card.md").read_text()
    assert f"Interval q0.1 – q0.9 holds {coverage * 100:.1f}% of the test rows (nominal 80.0%)." in card
    assert "| window |" in card and "where their predictions crossed, each row's quantiles were sorted" in card
    # the predictions asset stored the same four columns for the test split
    assert len(stored) == len(y) and np.allclose(np.sort(stored["q0.9"]), np.sort(Q[:, 2]))


    # attacker: refunds booked as negative costs make log1p meaningless; refused in one line before any search,
    # and the registered version stays what it was
    data = root / "data" / "claims.parquet"
    raw = pd.read_parquet(data)
    raw.loc[:2, "cost"] = [-12.5, -3.0, -0.5]
    raw.to_parquet(data, index=False)
    recipes = load_recipes(root)
    with dg.instance_for_test() as instance:
        result = dg.materialize(build_recipe_assets(recipes, config, root), resources=build_resources(config, root), instance=instance,
                                raise_on_error=False, selection=dg.AssetSelection.assets(["claim_cost", "training_set"], ["claim_cost", "model"]))
    assert not result.success
    failures = [e.step_failure_data.error.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert len(failures) == 1 and failures[0].strip().splitlines()[-1].endswith(
        "recipes/claim_cost.yaml: model.target_transform: 'log1p' needs labels >= 0, and 3 of 600 rows of 'cost' are negative "
        "(lowest -12.5); use none"), failures
    import mlflow

    client = mlflow.MlflowClient(config.tracking_uri)
    assert [str(v.version) for v in client.search_model_versions("name = 'claim_cost'")] == ["1"]
    assert str(client.get_model_version_by_alias("claim_cost", "candidate").version) == "1"

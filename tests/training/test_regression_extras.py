"""The regression extras inside the model: a label transform fitted in the pipeline, one model per quantile,
their scores checked against independent numpy / scikit-learn computations, and what is refused before work."""

from __future__ import annotations

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.dummy import DummyRegressor
from sklearn.metrics import mean_pinball_loss

from mmp_assets.catalog import quantiles as qm
from mmp_assets.evaluation.compare import baseline_scores
from mmp_assets.evaluation.metrics import compute, evaluate_scores
from mmp_assets.evaluation.scores import estimator_predictor, score
from mmp_assets.training.final import fit_final
from mmp_assets.training.objective import make_objective, search_data
from mmp_assets.training.quantile_model import QuantileEnsemble
from tests.training.toys import make_recipe, make_training_set

REGRESSION = {"task": "regression", "preprocessing": {"categorical": {"impute": "constant", "encode": "onehot"}}}


def _skewed(n: int = 300):
    """The toy set with a log-normal label (> 0, long right tail)."""
    ts = make_training_set(n, task="regression")
    signal = (ts.frame["is_bad"] - 10) / 3
    ts.frame["is_bad"] = np.exp(1 + 0.8 * signal).round(3)
    return ts


def _recipe(model: dict, metric: str, **extra):
    return make_recipe(**REGRESSION, model=model, tuning={"metric": metric, "n_trials": 1, "pruner": "median"}, **extra)


HGB = {"class_path": "sklearn.ensemble.HistGradientBoostingRegressor", "params": {"max_iter": 40, "random_state": 0}, "search_space": {}}
LGBM = {"class_path": "lightgbm.LGBMRegressor", "params": {"n_estimators": 40, "verbose": -1, "n_jobs": 1, "random_state": 0},
        "search_space": {"num_leaves": {"type": "int", "low": 4, "high": 8}}}


def test_log1p_is_fitted_inside_the_pipeline_and_predicts_on_the_original_scale() -> None:
    ts = _skewed()
    pipe = fit_final(_recipe({**HGB, "target_transform": "log1p"}, "mae"), ts, {})
    X = ts.X("test")
    inner = pipe[-1].regressor_.predict(pipe[:-1].transform(X))  # the booster itself answers in log1p units
    assert np.allclose(pipe.predict(X), np.expm1(inner))
    assert inner.max() < np.log1p(ts.frame["is_bad"].max()) + 1 and pipe.predict(X).mean() > 2 * inner.mean()
    plain = fit_final(_recipe(HGB, "mae"), ts, {})
    assert not np.allclose(plain.predict(X), pipe.predict(X))  # the transform changed the fit, not only the output


def test_sqrt_inverse_never_turns_a_negative_transformed_prediction_into_a_large_label() -> None:
    from mmp_assets.training.quantile_model import clipped_square

    assert clipped_square(np.array([-3.0, 0.0, 2.0])).tolist() == [0.0, 0.0, 4.0]


def test_quantile_model_scores_match_numpy_and_sklearn() -> None:
    ts = _skewed()
    recipe = _recipe({**LGBM, "quantiles": [0.1, 0.5, 0.9]}, "pinball_loss")
    pipe = fit_final(recipe, ts, {"num_leaves": 6})
    X, y = ts.X("test"), ts.y("test").to_numpy()
    ours = score(estimator_predictor(pipe, "regression"), X)
    assert ours.levels == (0.1, 0.5, 0.9) and ours.quantiles.shape == (len(X), 3)
    assert (np.diff(ours.quantiles, axis=1) >= 0).all() and np.array_equal(ours.prediction, ours.quantiles[:, 1])
    values = evaluate_scores("regression", ["pinball_loss", "interval_coverage", "interval_coverage_error", "mae"], "pinball_loss",
                             y, ours, resamples=0, seed=0).values
    per_level = [mean_pinball_loss(y, ours.quantiles[:, i], alpha=q) for i, q in enumerate((0.1, 0.5, 0.9))]
    assert values["pinball_loss_q0.1"] == pytest.approx(per_level[0]) and values["pinball_loss_q0.9"] == pytest.approx(per_level[2])
    assert values["pinball_loss"] == pytest.approx(np.mean(per_level))
    inside = np.mean((ours.quantiles[:, 0] <= y) & (y <= ours.quantiles[:, 2]))
    assert values["interval_coverage"] == pytest.approx(inside) and values["interval_coverage_error"] == pytest.approx(abs(inside - 0.8))
    assert values["mae"] == pytest.approx(np.mean(np.abs(y - ours.quantiles[:, 1])))
    # the naive baseline: the training labels' empirical quantiles on every row
    base = baseline_scores("regression", ts.y("train").to_numpy(), len(y), levels=ours.levels)
    assert np.allclose(base.quantiles[0], np.quantile(ts.y("train"), [0.1, 0.5, 0.9]))
    assert compute("regression", ["pinball_loss"], y, base)["pinball_loss"] > values["pinball_loss"]


def test_a_trial_tunes_on_pinball_loss_of_its_held_out_rows() -> None:
    ts = _skewed()
    recipe = _recipe({**LGBM, "quantiles": [0.25, 0.75]}, "pinball_loss")
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=0))
    study.optimize(make_objective(recipe, search_data(recipe, ts)), n_trials=1)
    trial = study.trials[0]
    # the same fit outside Optuna, scored with scikit-learn
    data = search_data(recipe, ts)
    (fit, held), = data.folds
    from mmp_assets.training.pipeline import build_pipeline

    pipe = build_pipeline(recipe, trial.params, data.numeric, data.categorical).fit(data.X.iloc[fit], data.y.iloc[fit])
    Q = pipe[-1].predict_quantiles(pipe[:-1].transform(data.X.iloc[held]))
    y = data.y.iloc[held].to_numpy()
    expected = np.mean([mean_pinball_loss(y, Q[:, i], alpha=q) for i, q in enumerate((0.25, 0.75))])
    assert trial.value == pytest.approx(expected)


def test_crossing_quantiles_are_sorted_per_row() -> None:
    X = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    # the 0.1 member answers above the 0.9 member, as independently fitted models can
    crossed = QuantileEnsemble([DummyRegressor(strategy="constant", constant=5.0), DummyRegressor(strategy="constant", constant=1.0)],
                               [0.1, 0.9]).fit(X, np.zeros(3))
    assert crossed.predict_quantiles(X).tolist() == [[1.0, 5.0]] * 3
    assert QuantileEnsemble([DummyRegressor()] * 4, [0.1, 0.3, 0.7, 0.9]).point_index == 2  # no 0.5: the middle (upper) level
    assert QuantileEnsemble([DummyRegressor()] * 3, [0.05, 0.5, 0.6]).point_index == 1


def test_pinball_matches_sklearn_on_random_numbers() -> None:
    rng = np.random.default_rng(0)
    y, Q = rng.normal(size=50), np.sort(rng.normal(size=(50, 3)), axis=1)
    levels = [0.05, 0.5, 0.95]
    assert qm.pinball_per_quantile(y, Q, levels) == pytest.approx([mean_pinball_loss(y, Q[:, i], alpha=q) for i, q in enumerate(levels)])
    assert qm.interval_coverage(y, Q, levels) == pytest.approx(np.mean((Q[:, 0] <= y) & (y <= Q[:, 2])))
    assert np.isnan(qm.interval_coverage(y, Q[:, :1], [0.5]))


def test_negative_labels_with_log1p_are_refused_before_any_work(tmp_path, monkeypatch) -> None:
    import shutil
    from pathlib import Path

    from mmp_assets.training.tuning import tune_model
    from mmp_resources.errors import MmpValidationError
    from mmp_resources.loader import load_config
    from mmp_resources.studies import StudyStorageResource
    from mmp_resources.tracking import MlflowResource

    shutil.copytree(Path(__file__).resolve().parents[2] / "config", tmp_path / "config")
    monkeypatch.setenv("MMP_DATA_DIR", str(tmp_path / ".mmp"))
    monkeypatch.delenv("MMP_ENV", raising=False)
    ts = _skewed(120)
    ts.frame.loc[ts.frame.index[:3], "is_bad"] = [-1.5, -0.25, -4.0]
    for transform in ("log1p", "sqrt"):
        with pytest.raises(MmpValidationError) as refused:
            tune_model(_recipe({**HGB, "target_transform": transform}, "mae"), ts, config=load_config(tmp_path, "base"),
                       dagster_run_id="r", asset_key="toy/model", study_storage=StudyStorageResource(project_dir=str(tmp_path), env="base"),
                       mlflow_resource=MlflowResource(project_dir=str(tmp_path), env="base"), recipe_file="recipes/toy.yaml")
        assert str(refused.value).splitlines() == [
            f"recipes/toy.yaml: model.target_transform: '{transform}' needs labels >= 0, and 3 of 120 rows of 'is_bad' are "
            "negative (lowest -4); use none"]
    assert not list((tmp_path / ".mmp").glob("**/*.db"))  # refused before MLflow or Optuna stores were touched


QUANTILE_MODELS = {
    "catboost.CatBoostRegressor": {"iterations": 30, "verbose": 0, "thread_count": 1, "allow_writing_files": False, "random_seed": 0},
    "lightgbm.LGBMRegressor": {"n_estimators": 30, "verbose": -1, "n_jobs": 1},
    "xgboost.XGBRegressor": {"n_estimators": 30, "n_jobs": 1},
    "sklearn.ensemble.GradientBoostingRegressor": {"n_estimators": 30},
    "sklearn.ensemble.HistGradientBoostingRegressor": {"max_iter": 30},
    "sklearn.linear_model.QuantileRegressor": {"alpha": 0.0},
}


@pytest.mark.parametrize("class_path", sorted(QUANTILE_MODELS))
def test_every_quantile_estimator_fits_its_levels(class_path: str) -> None:
    """Each library is told its level the way it understands: the low level's predictions sit below the high one's,
    and about that share of training labels lies below each."""
    ts = _skewed(240)
    recipe = _recipe({"class_path": class_path, "params": QUANTILE_MODELS[class_path], "search_space": {},
                      "quantiles": [0.1, 0.9], "target_transform": "sqrt"}, "pinball_loss")
    pipe = fit_final(recipe, ts, {})
    members = pipe[-1].estimators_
    X, y = ts.X("train", "validation"), ts.y("train", "validation").to_numpy()
    raw = [np.asarray(m.predict(pipe[:-1].transform(X))) for m in members]  # unsorted, per member
    below = [np.mean(y <= r) for r in raw]
    assert below[0] < 0.3 and below[1] > 0.7, below


def test_logged_quantile_model_answers_the_same_on_the_plain_and_the_serving_path(mlflow_tracking) -> None:
    import mlflow

    from mmp_assets.feature_store.contracts import model_input
    from mmp_assets.training.pyfunc import log_pipeline_model

    ts = _skewed()
    recipe = _recipe({**LGBM, "quantiles": [0.05, 0.5, 0.95], "target_transform": "log1p"}, "pinball_loss")
    pipe = fit_final(recipe, ts, {"num_leaves": 6})
    with mlflow.start_run(experiment_id=mlflow_tracking):
        info = log_pipeline_model(pipe, ts.X("train").head(5), ts.categorical_columns, "regression", recipe.model.class_path)
    model = mlflow.pyfunc.load_model(info.model_uri)
    assert [c.name for c in model.metadata.get_output_schema().inputs] == ["prediction", "q0.05", "q0.5", "q0.95"]
    X = model_input(ts.X("test"), ts.categorical_columns)
    plain = model.predict(X)
    fast = model.unwrap_python_model().predict_frame(X[ts.feature_columns])
    assert list(fast) == list(plain.columns)
    for column in plain.columns:
        assert np.allclose(plain[column], fast[column])
    assert (plain["q0.05"] <= plain["q0.95"]).all() and (plain["q0.05"] > 0).all()  # expm1 of log-scale quantiles


def test_a_point_champion_is_not_compared_with_a_quantile_candidate() -> None:
    from mmp_assets.evaluation.report import ModelUnderTest, build_report

    ts = _skewed()
    recipe = _recipe({**LGBM, "quantiles": [0.1, 0.5, 0.9]}, "pinball_loss",
                     evaluation={"gate": {"max_regression": 0.1}, "bootstrap": 0, "shap_sample": 10})
    ours = estimator_predictor(fit_final(recipe, ts, {"num_leaves": 6}), "regression")
    theirs = estimator_predictor(fit_final(_recipe(HGB, "mae"), ts, {}), "regression")
    context = ModelUnderTest("2", "run", "someone", "code", 1, "0" * 64, {})
    report = build_report(recipe, ts, ours, context=context, champion=theirs, champion_version="1")
    assert [c.against for c in report.comparisons] == ["baseline (training quantiles)"]
    assert ("champion v1 predicts no quantiles and this version quantiles 0.1, 0.5, 0.9; their pinball_loss cannot be "
            "compared: no champion comparison, relative gate rule skipped") in report.notes
    assert report.gate.passed, report.gate.message  # the relative rule is skipped, not failed on a NaN

"""Evaluation of ordinary models end to end: the shipped pipeline (threshold wrapper included), its pyfunc
answer, the report with baseline, bootstrap, backtest and SHAP, for model families beyond the demo's."""

import mlflow
import numpy as np
import pytest
from sklearn.ensemble import AdaBoostClassifier, ExtraTreesClassifier, RandomForestClassifier
from sklearn.model_selection import TunedThresholdClassifierCV
from sklearn.pipeline import Pipeline

from mmp_assets.evaluation.explain import explain
from mmp_assets.evaluation.report import build_report
from mmp_assets.evaluation.run import _window_fit
from mmp_assets.training.final import fit_final
from mmp_assets.training.pyfunc import log_pipeline_model
from tests.evaluation.conftest import CONTEXT, FOREST, multiclass, recipe_for, synthetic_frame, training_set, with_model

@pytest.mark.parametrize("classes", [2, 3])
def test_random_forest_is_evaluated_end_to_end(classes, mlflow_store):
    frame = synthetic_frame(500, seed=4)
    if classes == 3:
        frame = multiclass(frame)
    ts = training_set(frame)
    recipe = with_model(recipe_for(backtest={"windows": 2}, bootstrap=30, shap_sample=40), **FOREST)
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(mlflow_store.uri)
    try:  # logged and loaded back as the evaluation asset does
        with mlflow.start_run(experiment_id=mlflow_store.experiment):
            info = log_pipeline_model(fit_final(recipe, ts, {}), ts.X("train"), ["channel"], "classification", recipe.model.class_path)
        logged = mlflow.pyfunc.load_model(info.model_uri)
    finally:
        mlflow.set_tracking_uri(previous)
    model = logged.unwrap_python_model().pipeline
    report = build_report(recipe, ts, logged.predict, context=CONTEXT, explainable=model, fit=_window_fit(recipe, ts, {}))
    assert report.explanation.method == "tree" and report.explanation.importance["feature"].iloc[0] == "strong"
    assert report.metrics.values["roc_auc"] > 0.8 and report.metrics.interval is not None
    assert len(report.backtest) == 2 and np.isfinite(report.backtest["roc_auc"]).all()


@pytest.mark.parametrize("make", [
    lambda: ExtraTreesClassifier(10, max_depth=4, random_state=0),
    lambda: TunedThresholdClassifierCV(RandomForestClassifier(10, max_depth=4, random_state=0), cv=2),
    lambda: __import__("mmp_assets.training.labels", fromlist=["XGBClassifier"]).XGBClassifier(n_estimators=10, max_depth=3),
], ids=["extra_trees", "tuned_threshold_forest", "label_encoding_xgboost"])
def test_ensembles_and_wrappers_are_explained_on_their_fitted_trees(make):
    ts = training_set(synthetic_frame(300, seed=5))
    model = Pipeline([("prep", fit_final(recipe_for(), ts, {})[0]), ("model", make())])
    model.fit(ts.X("train"), ts.y("train"))
    explanation = explain(model, ts.X("test").head(30), "classification", categorical=["channel"])
    assert explanation.method == "tree" and explanation.importance["feature"].iloc[0] == "strong"


def test_a_tree_model_shap_cannot_read_is_explained_model_agnostically_and_says_so():
    ts = training_set(synthetic_frame(300, seed=6))
    model = Pipeline([("prep", fit_final(recipe_for(), ts, {})[0]), ("model", AdaBoostClassifier(n_estimators=5, random_state=0))])
    model.fit(ts.X("train"), ts.y("train"))
    explanation = explain(model, ts.X("test").head(20), "classification", categorical=["channel"])
    assert explanation.method == "kernel" and "SHAP cannot read AdaBoostClassifier natively" in explanation.note

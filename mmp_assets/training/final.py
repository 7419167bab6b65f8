"""The model that ships: best params refit on train + validation, with its decision threshold.

Binary classifiers carry a threshold chosen on held-out rows (see scoring.py), so `predict`
is meaningful on imbalanced data. With `model.calibration`, the model is fitted on train only
and calibrated on validation, rows it never trained on (see docs/decisions.md).
"""

from __future__ import annotations

from typing import Any

from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.pipeline import Pipeline

from mmp_assets.catalog.metrics import get_metric
from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.training.pipeline import build_pipeline
from mmp_assets.training.scoring import best_threshold, class_codes, threshold_metric


def _fit(recipe: ModelRecipe, training_set: TrainingSet, params: dict[str, Any], *splits: str) -> Pipeline:
    # columns NULL in every train row are left out of every fit here, train-only or train + validation alike
    pipe = build_pipeline(recipe, params, *training_set.model_columns("train"))
    return pipe.fit(training_set.X(*splits), training_set.y(*splits))


def _threshold_on_validation(recipe: ModelRecipe, training_set: TrainingSet, model, preprocess) -> float:
    X_valid, y_valid = training_set.X("validation"), training_set.y("validation")
    positive = model.predict_proba(preprocess.transform(X_valid))[:, 1]
    criterion = threshold_metric(get_metric(recipe.tuning.metric, recipe.task))
    return best_threshold(class_codes(model.classes_, y_valid), positive, criterion)


def fit_final(recipe: ModelRecipe, training_set: TrainingSet, params: dict[str, Any], threshold: float | None = None) -> Pipeline:
    """Fitted `Pipeline([("preprocess", ...), ("model", ...)])` predicting on raw feature rows.

    `threshold` is the best trial's held-out cut for binary classifiers; when None (backtest
    refits) it is chosen on validation predictions of a model fitted on train.
    """
    binary = recipe.task == "classification" and training_set.y("train", "validation").nunique() == 2
    if recipe.model.calibration and recipe.task == "classification":
        pipe = _fit(recipe, training_set, params, "train")
        preprocess = pipe[:-1]
        model = CalibratedClassifierCV(FrozenEstimator(pipe[-1]), method=recipe.model.calibration)
        model.fit(preprocess.transform(training_set.X("validation")), training_set.y("validation"))
        threshold = _threshold_on_validation(recipe, training_set, model, preprocess) if binary else None
    else:
        if binary and threshold is None:
            probe = _fit(recipe, training_set, params, "train")
            threshold = _threshold_on_validation(recipe, training_set, probe[-1], probe[:-1])
        pipe = _fit(recipe, training_set, params, "train", "validation")
        preprocess, model = pipe[:-1], pipe[-1]
    if binary:
        frozen = FixedThresholdClassifier(FrozenEstimator(model), threshold=threshold, response_method="predict_proba")
        # FrozenEstimator makes fit a no-op; one row per class satisfies the wrapper's target check
        y = training_set.y("train", "validation")
        one_each = y.groupby(y).head(1).index
        model = frozen.fit(preprocess.transform(training_set.frame.loc[one_each, training_set.feature_columns]), y.loc[one_each])
    return Pipeline([("preprocess", preprocess), ("model", model)])

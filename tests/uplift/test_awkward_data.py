"""Data an uplift model was not designed for still fits, or is refused in one line: NULL and constant
feature columns, a single category, CatBoost's native categories with the S-learner's extra column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.recipes import load_recipes
from mmp_assets.training.uplift_fit import fit_uplift_final, uplift_target

from .conftest import example_module


def _training_set(frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> TrainingSet:
    split = np.where(np.arange(len(frame)) % 4 == 0, "validation", "train")
    return TrainingSet("promo_uplift", 1, "hash", frame.assign(split=split), ["customer_id"], None, "converted",
                       [*numeric, *categorical], categorical)


@pytest.mark.parametrize(("learner", "class_path", "encode"), [
    ("s", "catboost.CatBoostClassifier", "native"),
    ("t", "sklearn.ensemble.HistGradientBoostingClassifier", "onehot"),
    ("x", "sklearn.ensemble.RandomForestClassifier", "onehot"),
    ("x", "catboost.CatBoostClassifier", "native"),  # effect model CatBoostRegressor, given the same cat_features
    ("t", "xgboost.XGBClassifier", "native"),
    ("x", "lightgbm.LGBMClassifier", "native"),
])
def test_null_constant_and_single_category_columns_fit_and_predict(uplift_project: Path, learner, class_path, encode) -> None:
    recipe = load_recipes(uplift_project).models["promo_uplift"]
    params = {"catboost.CatBoostClassifier": {"iterations": 30, "verbose": 0, "allow_writing_files": False, "thread_count": 1},
              "sklearn.ensemble.HistGradientBoostingClassifier": {"max_iter": 30},
              "sklearn.ensemble.RandomForestClassifier": {"n_estimators": 20, "random_state": 0},
              "xgboost.XGBClassifier": {"n_estimators": 20, "n_jobs": 1},
              "lightgbm.LGBMClassifier": {"n_estimators": 20, "n_jobs": 1, "verbose": -1}}[class_path]
    recipe = recipe.model_copy(update={
        "uplift": recipe.uplift.model_copy(update={"learner": learner, "propensity": None}),
        "model": recipe.model.model_copy(update={"class_path": class_path, "params": params, "search_space": {}}),
        "preprocessing": recipe.preprocessing.model_copy(update={
            "categorical": recipe.preprocessing.categorical.model_copy(update={"encode": encode})}),
    })
    frame = example_module().promo_frame(400).assign(
        spend=lambda f: f["spend"].mask(f.index % 3 == 0),  # a third NULL
        constant=1.0, only=("x"), empty=np.nan,
    )
    ts = _training_set(frame, ["tenure", "spend", "visits", "constant", "empty"], ["segment", "only"])
    model = fit_uplift_final(recipe, ts, {})
    rows = ts.X("train").head(50)
    uplift = model.predict(rows)
    control, treated = model[-1].predict_outcomes(model[:-1].transform(rows))
    assert np.isfinite(uplift).all() and uplift.shape == (50,)
    assert ((control >= 0) & (control <= 1) & (treated >= 0) & (treated <= 1)).all()
    assert "empty" not in model[:-1].transform(rows).columns  # NULL in every train row: left out, as for any model

    # the logged pyfunc's batch path and the serving fast path answer alike: uplift plus both arms' scores
    from mmp_assets.training.pyfunc import PipelineModel

    pyfunc = PipelineModel(model, ts.feature_columns, "uplift")
    batch, fast = pyfunc.predict(None, rows), pyfunc.predict_frame(rows[ts.feature_columns])
    assert list(batch.columns) == ["prediction", "p_control", "p_treated"] and np.allclose(batch["prediction"], uplift)
    for column in batch.columns:
        assert np.allclose(batch[column], fast[column])
    assert np.allclose(batch["p_control"], control) and np.allclose(batch["p_treated"], treated)


def test_uplift_target_reads_booleans_and_text(uplift_project: Path) -> None:
    recipe = load_recipes(uplift_project).models["promo_uplift"]
    frame = pd.DataFrame({"converted": [True, False, True], "treated": ["true", "0", "1.0"]})
    assert uplift_target(recipe, frame).tolist() == [[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]]

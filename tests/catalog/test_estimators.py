"""The model catalog answers from the class path alone: kind, rounds, native categories, without importing a library."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mmp_assets.catalog.estimators import boosting_rounds, estimator_kind, library_of


@pytest.mark.parametrize(("class_path", "kind", "rounds"), [
    ("catboost.CatBoostClassifier", "catboost", 1000),
    ("xgboost.XGBRegressor", "xgboost", 100),
    ("lightgbm.LGBMClassifier", "lightgbm", 100),
    ("sklearn.ensemble.RandomForestClassifier", "sklearn", None),
    ("house_models.Ridge", "sklearn", None),
])
def test_kind_and_rounds_come_from_the_class_path(class_path: str, kind: str, rounds: int | None) -> None:
    assert estimator_kind(class_path) == kind
    assert boosting_rounds(class_path, {}) == rounds
    assert library_of(class_path).prunes_per_round is (rounds is not None)


def test_rounds_follow_the_recipe_params() -> None:
    assert boosting_rounds("xgboost.XGBClassifier", {"n_estimators": 300}) == 300
    assert boosting_rounds("catboost.CatBoostRegressor", {"iterations": 40}) == 40


def test_the_catalog_imports_no_estimator_library() -> None:
    probe = ("import sys; from mmp_assets.catalog.estimators import estimator_kind; estimator_kind('xgboost.XGBClassifier'); "
             "print(sorted(m for m in ('xgboost', 'lightgbm', 'catboost', 'sklearn', 'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

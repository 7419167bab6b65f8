"""`mmp validate` checks each estimator once: the answer is cached under the data dir until the recipe's
model section or the installed package changes, so a second validate imports no estimator package."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """import sys
from mmp_assets.cli.validate import collect_problems
problems, _ = collect_problems()
print(json.dumps({"problems": [str(p) for p in problems], "imported": [m for m in ("catboost", "sklearn") if m in sys.modules]}))"""


def _validate(project: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", "import json\n" + PROBE], capture_output=True, text=True, cwd=project)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_second_validate_answers_from_the_cache(project: Path) -> None:
    first = _validate(project)
    assert first == {"problems": [], "imported": ["catboost", "sklearn"]}
    assert (project / ".mmp" / "cache" / "estimator_checks.json").is_file()
    assert _validate(project) == {"problems": [], "imported": []}


def test_an_edited_model_section_is_checked_again(project: Path) -> None:
    _validate(project)
    path = project / "recipes" / "fraud.yaml"
    path.write_text(path.read_text().replace("verbose: 0", "verbsoe: 0"))
    found = _validate(project)
    assert found["imported"] == ["catboost"]  # spend's answer still comes from the cache
    assert found["problems"] == ["recipes/fraud.yaml: model.params.verbsoe: catboost.CatBoostClassifier has no parameter "
                                 "'verbsoe'; see its documentation for the allowed ones"]
    assert _validate(project)["problems"] == found["problems"]  # a cached problem is still reported


def test_a_damaged_cache_is_ignored_and_rewritten(project: Path) -> None:
    cache = project / ".mmp" / "cache" / "estimator_checks.json"
    cache.parent.mkdir(parents=True)
    cache.write_text("{not json")
    assert _validate(project) == {"problems": [], "imported": ["catboost", "sklearn"]}
    assert len(json.loads(cache.read_text())) == 2


def test_a_changed_estimator_package_is_checked_again(project: Path) -> None:
    """The key includes the installed files of the estimator's package: here a module of the project itself."""
    module = project / "house_models.py"
    module.write_text("class Ridge:\n    def __init__(self, alpha=1.0):\n        self.alpha = alpha\n\n    def fit(self, X, y):\n        return self\n")
    path = project / "recipes" / "spend.yaml"
    text = path.read_text()
    start, end = text.index("model:"), text.index("tuning:")
    path.write_text(text[:start] + "model:\n  class_path: house_models.Ridge\n  params: {alpha: 0.5}\n" + text[end:])
    assert _validate(project)["problems"] == []
    module.write_text(module.read_text().replace("alpha", "strength"))
    assert _validate(project)["problems"] == [
        "recipes/spend.yaml: model.params.alpha: house_models.Ridge has no parameter 'alpha'; see its documentation for the allowed ones"]


def _problems(**sections) -> list[str]:
    from mmp_assets.recipes.estimators import estimator_problems
    from tests.training.toys import make_recipe

    return [str(p) for p in estimator_problems(make_recipe(**sections), "recipes/toy.yaml")]


def test_a_catalog_model_of_the_other_task_is_one_line() -> None:
    assert _problems(model={"class_path": "xgboost.XGBRegressor", "params": {}, "search_space": {}}) == [
        "recipes/toy.yaml: model.class_path: xgboost.XGBRegressor is a regression model but task is classification; use xgboost.XGBClassifier"]


def test_native_categories_need_a_library_that_takes_them() -> None:
    assert _problems(model={"class_path": "sklearn.ensemble.RandomForestClassifier", "params": {}, "search_space": {}}) == [
        "recipes/toy.yaml: preprocessing.categorical.encode: 'native' needs a model that takes categories itself (catboost, xgboost, "
        "lightgbm); sklearn.ensemble.RandomForestClassifier does not: use onehot or ordinal"]


def test_boosting_wrappers_are_checked_against_their_library_parameters() -> None:
    """XGBClassifier and LGBMClassifier take **kwargs; LightGBM's own parameter table (aliases included) is what counts."""
    lightgbm = {"class_path": "lightgbm.LGBMClassifier", "params": {"min_data_in_leaf": 5, "feature_fraction": 0.8}, "search_space": {}}
    assert _problems(model=lightgbm) == []
    assert _problems(model={**lightgbm, "params": {"num_leafs": 8}}) == [
        "recipes/toy.yaml: model.params.num_leafs: lightgbm.LGBMClassifier has no parameter 'num_leafs'; see its documentation for the allowed ones"]
    xgboost = {"class_path": "xgboost.XGBClassifier", "params": {"max_depth": 3, "n_estimators": 50}, "search_space": {}}
    assert _problems(model=xgboost) == []
    assert _problems(model={**xgboost, "search_space": {"max_dept": {"type": "int", "low": 2, "high": 4}}}) == [
        "recipes/toy.yaml: model.search_space.max_dept: xgboost.XGBClassifier has no parameter 'max_dept'; see its documentation for the allowed ones"]


def test_the_xgboost_and_lightgbm_examples_validate_beside_the_demo_recipes(project: Path) -> None:
    for example in ("xgboost/fraud_xgb.yaml", "lightgbm/spend_lgbm.yaml"):
        shutil.copy(REPO / "docs" / "examples" / example, project / "recipes")
    assert _validate(project)["problems"] == []

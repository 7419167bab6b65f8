"""`mmp validate` checks each estimator once: the answer is cached under the data dir until the recipe's
model section or the installed package changes, so a second validate imports no estimator package."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PROBE = """import sys
from mmp_assets.cli.validate import collect_problems
problems, _ = collect_problems()
print(json.dumps({"problems": [str(p) for p in problems], "imported": [m for m in ("catboost", "sklearn") if m in sys.modules]}))"""


CACHE = Path(".mmp") / "cache" / "estimator_checks.json"


def _validate(project: Path, env: dict[str, str] | None = None) -> dict:
    done = subprocess.run([sys.executable, "-c", "import json\n" + PROBE], capture_output=True, text=True, cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def first_validate(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, str | None]:
    """One uncached validate of the demo recipes in a project shared by this module's tests: its answer, the
    cache file and what it wrote there (None: nothing). A first validate creates the stores (Dagster, MLflow, Optuna) besides importing the
    estimators, most of its cost, so the tests below take turns in this project instead of each making one."""
    root = tmp_path_factory.mktemp("validated") / "project"
    shutil.copytree(REPO / "config", root / "config")
    shutil.copytree(REPO / "recipes", root / "recipes")
    env = {k: v for k, v in os.environ.items() if k != "MMP_ENV"} | {"MMP_PROJECT_DIR": str(root), "MMP_DATA_DIR": str(root / ".mmp")}
    first, cache = _validate(root, env), root / CACHE
    return first, cache, cache.read_text() if cache.is_file() else None


@pytest.fixture
def cached(first_validate: tuple[dict, Path, str | None], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared project as its first validate left it: the demo recipes as shipped, their answers in the
    cache, and no module a previous test added."""
    _, cache, written = first_validate
    root = cache.parents[2]
    shutil.rmtree(root / "recipes")
    shutil.copytree(REPO / "recipes", root / "recipes")
    for added in (root / "house_models.py", root / "__pycache__"):
        shutil.rmtree(added) if added.is_dir() else added.unlink(missing_ok=True)
    if written is not None:
        cache.write_text(written)
    monkeypatch.setenv("MMP_PROJECT_DIR", str(root))
    monkeypatch.setenv("MMP_DATA_DIR", str(root / ".mmp"))
    monkeypatch.delenv("MMP_ENV", raising=False)
    return root


def test_a_second_validate_answers_from_the_cache(first_validate: tuple[dict, Path, str | None], cached: Path) -> None:
    first, _, written = first_validate
    assert first == {"problems": [], "imported": ["catboost", "sklearn"]}
    assert written is not None  # the first validate wrote the cache
    assert _validate(cached) == {"problems": [], "imported": []}


def test_an_edited_model_section_is_checked_again(cached: Path) -> None:
    project = cached
    path = project / "recipes" / "fraud.yaml"
    path.write_text(path.read_text().replace("verbose: 0", "verbsoe: 0"))
    found = _validate(project)
    assert found["imported"] == ["catboost"]  # spend's answer still comes from the cache
    assert found["problems"] == ["recipes/fraud.yaml: model.params.verbsoe: catboost.CatBoostClassifier has no parameter "
                                 "'verbsoe'; see its documentation for the allowed ones"]
    assert _validate(project)["problems"] == found["problems"]  # a cached problem is still reported


def test_a_damaged_cache_is_ignored_and_rewritten(cached: Path) -> None:
    project = cached
    cache = project / CACHE
    cache.write_text("{not json")
    assert _validate(project) == {"problems": [], "imported": ["catboost", "sklearn"]}
    assert len(json.loads(cache.read_text())) == 2


def test_a_changed_estimator_package_is_checked_again(cached: Path) -> None:
    """The key includes the installed files of the estimator's package: here a module of the project itself."""
    project = cached
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


def test_the_xgboost_and_lightgbm_examples_validate_beside_the_demo_recipes(cached: Path) -> None:
    project = cached
    for example in ("xgboost/fraud_xgb.yaml", "lightgbm/spend_lgbm.yaml"):
        shutil.copy(REPO / "docs" / "examples" / example, project / "recipes")
    assert _validate(project)["problems"] == []

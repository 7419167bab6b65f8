"""The estimator half of checking a model recipe: does `model.class_path` import, and does it take
every parameter the recipe fixes or tunes?

Answering imports the estimator's package (CatBoost, scikit-learn: seconds), so loading the
definitions never asks. `mmp validate` asks, through a small JSON cache under the data dir keyed by
a digest of class path, params, search space and the installed files of the estimator's package,
so an unchanged recipe costs nothing the second time; the model asset asks again, uncached, before
any tuning.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

from mmp_assets.catalog.estimators import NATIVE_CATEGORICAL, estimator_params, estimator_task, library_of
from mmp_assets.recipes.common import digest
from mmp_assets.recipes.loader import RecipeSet
from mmp_assets.recipes.model import ModelRecipe
from mmp_resources.errors import Problem

CACHE_FORMAT = 3  # 2: catalog problems (task, native categories) are cached too; 3: task and parameter values


def catalog_problems(recipe: ModelRecipe, shown: str) -> list[Problem]:
    """What the model catalog knows without importing anything: the class's task, and whether it takes categories natively."""
    path, library = recipe.model.class_path, library_of(recipe.model.class_path)
    problems = []
    task, wanted = library.classes.get(path), estimator_task(recipe.task)
    if task is not None and task != wanted:
        other = next(p for p, t in library.classes.items() if t == wanted)
        problems.append(Problem(shown, "model.class_path", f"{path} is a {task} model but task is {recipe.task}; use {other}"))
    if recipe.preprocessing.categorical.encode == "native" and library.kind not in NATIVE_CATEGORICAL:
        problems.append(Problem(shown, "preprocessing.categorical.encode",
                                f"'native' needs a model that takes categories itself ({', '.join(NATIVE_CATEGORICAL)}); "
                                f"{path} does not: use onehot or ordinal"))
    return problems


def estimator_problems(recipe: ModelRecipe, shown: str) -> list[Problem]:
    """One Problem per thing wrong with the estimator: a class that does not import, a parameter it does not take."""
    catalog = catalog_problems(recipe, shown) + _effect_model_problems(recipe, shown)
    try:
        accepted = estimator_params(recipe.model.class_path)
    except ValueError as exc:
        return [*catalog, Problem(shown, "model.class_path", str(exc))]
    from mmp_assets.catalog.param_values import task_mismatch, value_problems

    problems = catalog
    if library_of(recipe.model.class_path).classes.get(recipe.model.class_path) is None:  # the catalog did not know its task
        mismatch = task_mismatch(recipe.model.class_path, recipe.task)
        problems += [Problem(shown, "model.class_path", mismatch)] if mismatch else []
    unknown = []
    for section, names in (("model.params", recipe.model.params), ("model.search_space", recipe.model.search_space)):
        for name in names:
            if accepted is not None and name not in accepted:  # None: takes **kwargs, nothing to check against
                unknown.append(
                    Problem(shown, f"{section}.{name}", f"{recipe.model.class_path} has no parameter {name!r}; see its documentation for the allowed ones")
                )
    if unknown or problems:
        return problems + unknown
    return [Problem(shown, field, message)
            for field, message in value_problems(recipe.model.class_path, recipe.model.params, recipe.model.search_space)]


def _effect_model_problems(recipe: ModelRecipe, shown: str) -> list[Problem]:
    """The X-learner's regressor must import too (uplift_problems already refused a missing one)."""
    from mmp_assets.recipes.uplift import effect_class_path

    path = effect_class_path(recipe) if recipe.uplift and recipe.uplift.learner == "x" else None
    if path is None:
        return []
    try:
        estimator_params(path)
    except ValueError as exc:
        return [Problem(shown, "uplift.effect_model", str(exc))]
    return []


def check_estimators(recipes: RecipeSet, cache_file: Path | None) -> list[Problem]:
    """`estimator_problems` for every valid model recipe, answered from `cache_file` when nothing it depends on changed."""
    cache = _read(cache_file)
    fresh: dict[str, list[list[str]]] = {}
    problems: list[Problem] = []
    for name, recipe in sorted(recipes.models.items()):
        shown, key = recipes.file_of("model", name), _cache_key(recipe)
        found = cache.get(key)
        if found is None:
            found = [[p.field, p.message] for p in estimator_problems(recipe, shown)]
        fresh[key] = found
        problems += [Problem(shown, field, message) for field, message in found]
    if cache_file is not None and fresh.keys() != cache.keys():  # only this recipe set's answers are kept
        _write(cache_file, fresh)
    return problems


def _cache_key(recipe: ModelRecipe) -> str:
    model = recipe.model.model_dump(mode="json", include={"class_path", "params", "search_space"})
    catalog = [recipe.task, recipe.preprocessing.categorical.encode, recipe.uplift.model_dump(mode="json") if recipe.uplift else None]
    return digest("estimator-check", CACHE_FORMAT, model, catalog, _installed(recipe.model.class_path))


def _installed(class_path: str) -> str:
    """The installed files of the class's top-level package, found without importing it: any install,
    upgrade or edit rewrites them, so a changed package is checked again."""
    top = class_path.split(".", 1)[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin or not os.path.exists(spec.origin):
        return "not installed"
    stat = os.stat(spec.origin)
    return f"{spec.origin}:{stat.st_size}:{stat.st_mtime_ns}"


def _read(cache_file: Path | None) -> dict[str, list[list[str]]]:
    try:
        found = json.loads(cache_file.read_text(encoding="utf-8")) if cache_file else {}
    except (OSError, ValueError):  # missing or damaged: it is only a cache
        return {}
    return found if isinstance(found, dict) else {}


def _write(cache_file: Path, entries: dict[str, list[list[str]]]) -> None:
    """Written whole to a temporary file and renamed, so a reader never sees half a cache; a data dir that
    cannot be written costs the next run the check again, nothing more."""
    partial = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.partial")
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(entries, sort_keys=True, indent=1), encoding="utf-8")
        os.replace(partial, cache_file)
    except OSError:
        partial.unlink(missing_ok=True)

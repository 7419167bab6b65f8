"""What a `task: clustering` recipe cannot do, found when the recipe loads (one Problem per thing).

Clustering learns from feature rows alone: there is no label to stratify by, calibrate, encode a
target with or replay a backtest against, and the estimator must be one that can assign new rows
to its clusters (catalog/clustering.py). Recipes of the other tasks must name a label and must not
name a clustering estimator.
"""

from __future__ import annotations

from mmp_assets.catalog.clustering import CLUSTERERS
from mmp_assets.recipes.model import Choice, FloatRange, IntRange, ModelRecipe
from mmp_resources.errors import Problem

_ALLOWED = ", ".join(CLUSTERERS)


def task_label_problems(recipe: ModelRecipe, shown: str) -> list[Problem]:
    """The label a task needs (or refuses), and a clustering estimator named by another task."""
    if recipe.task == "clustering":
        return clustering_problems(recipe, shown)
    problems = []
    if recipe.spine.label is None:
        problems.append(Problem(shown, "spine.label", "is required but missing"))
    if recipe.model.class_path in CLUSTERERS:
        problems.append(Problem(shown, "model.class_path", f"{recipe.model.class_path} is a clustering model but task is "
                                                           f"{recipe.task}; set task: clustering (and remove spine.label)"))
    return problems


def clustering_problems(recipe: ModelRecipe, shown: str) -> list[Problem]:
    problems: list[Problem] = []

    def refuse(field: str, message: str) -> None:
        problems.append(Problem(shown, field, message))

    if recipe.spine.label is not None:
        refuse("spine.label", f"{recipe.spine.label!r}: clustering learns without a label; remove spine.label (a column "
                              "you want to compare clusters with stays out of spine.columns)")
    path = recipe.model.class_path
    clusterer = CLUSTERERS.get(path)
    if clusterer is None:
        why = ("labels its training rows only and cannot assign new rows to clusters"
               if path.rsplit(".", 1)[-1] in ("DBSCAN", "HDBSCAN", "OPTICS", "SpectralClustering", "MeanShift", "AffinityPropagation")
               else "is not a clustering model mmp can register")
        refuse("model.class_path", f"{path} {why}; allowed for task clustering: {_ALLOWED}")
    if recipe.split.strategy == "stratified":
        refuse("split.strategy", "'stratified' splits by label, and clustering has none; use random, temporal or group")
    if recipe.model.calibration is not None:
        refuse("model.calibration", f"{recipe.model.calibration!r} calibrates class probabilities; clustering has none, remove it")
    if recipe.evaluation.backtest:
        refuse("evaluation.backtest", "a backtest replays a label over time windows; clustering has no label, remove backtest")
    for i, entry in enumerate(recipe.preprocessing.columns):
        for j, step in enumerate(entry.steps):
            if getattr(step, "op", None) == "encode" and getattr(step, "method", None) == "target":
                refuse(f"preprocessing.columns[{i}].steps[{j}].method",
                       "'target' encodes categories with the label, and clustering has none; use onehot or ordinal")
    if clusterer is not None:
        problems += _size_problems(recipe, shown, clusterer.size_param, clusterer.default_size)
    return problems


def _size_problems(recipe: ModelRecipe, shown: str, name: str, default: int) -> list[Problem]:
    """The number of clusters, fixed, tuned or left at the default, must be at least 2: one cluster leaves every metric undefined."""
    fixed, tuned = recipe.model.params.get(name), recipe.model.search_space.get(name)
    lowest = None
    if fixed is None and tuned is None and default < 2:
        return [Problem(shown, "model.search_space", f"{name} is neither fixed nor tuned, and {recipe.model.class_path} "
                                                     f"defaults to {default} cluster; tune it, such as {name}: {{type: int, low: 2, high: 8}}")]
    if fixed is not None:
        where, lowest = f"model.params.{name}", fixed
    elif isinstance(tuned, (IntRange, FloatRange)):
        where, lowest = f"model.search_space.{name}.low", tuned.low
    elif isinstance(tuned, Choice):
        where = f"model.search_space.{name}.choices"
        numbers = [c for c in tuned.choices if isinstance(c, (int, float)) and not isinstance(c, bool)]
        if len(numbers) != len(tuned.choices):
            return [Problem(shown, where, f"{tuned.choices!r}: the number of clusters must be whole numbers of at least 2")]
        lowest = min(numbers)
    if lowest is None or (isinstance(lowest, (int, float)) and not isinstance(lowest, bool) and lowest >= 2):
        return []
    return [Problem(shown, where, f"{lowest!r}: one cluster (or fewer) leaves every clustering metric undefined; "
                                  f"{name} must be at least 2")]

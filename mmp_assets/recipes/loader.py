"""Read every recipe under `recipes/`, validate each on its own, then check what they refer to.

A broken recipe never hides the others: the loader returns the valid ones together with one
Problem per thing wrong, and the definitions show the problems instead of failing to load.
It reads YAML and nothing else: whether an estimator class imports and takes the recipe's
parameters is asked by `mmp validate` and the model asset (recipes/estimators.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mmp_assets.catalog.metrics import get_metric, metrics_for
from mmp_assets.recipes.clustering import task_label_problems
from mmp_assets.recipes.feature_view import FeatureViewRecipe
from mmp_assets.recipes.forecast_checks import forecast_problems
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.recipes.prompt import PromptRecipe
from mmp_assets.recipes.regression_checks import regression_problems
from mmp_assets.recipes.source import SourceRecipe
from mmp_assets.recipes.source_checks import partition_problems, source_problems
from mmp_assets.recipes.uplift import uplift_problems
from mmp_resources.errors import MmpValidationError, Problem, display_path, problems_from_validation_error
from mmp_resources.loader import read_yaml
from mmp_resources.secrets import credential_fields


@dataclass
class RecipeSet:
    """Every valid recipe by name, the file each came from, and every problem found."""

    root: Path
    sources: dict[str, SourceRecipe] = field(default_factory=dict)
    views: dict[str, FeatureViewRecipe] = field(default_factory=dict)
    models: dict[str, ModelRecipe] = field(default_factory=dict)
    prompts: dict[str, PromptRecipe] = field(default_factory=dict)
    files: dict[tuple[str, str], Path] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    invalid: dict[tuple[str, str], str] = field(default_factory=dict)
    """(kind, file stem) → shown file path, for recipes that failed validation."""

    _shown: dict[tuple[str, str], str] = field(default_factory=dict, repr=False, compare=False)

    def file_of(self, kind: str, name: str) -> str:
        # asked by every asset factory and check: resolve both paths once, not each time
        if (kind, name) not in self._shown:
            self._shown[(kind, name)] = display_path(self.files[(kind, name)], self.root)
        return self._shown[(kind, name)]

    def raise_if_problems(self) -> None:
        if self.problems:
            raise MmpValidationError(self.problems)


_KINDS: list[tuple[str, str, type[BaseModel]]] = [
    ("source", "sources", SourceRecipe),
    ("view", "features", FeatureViewRecipe),
    ("prompt", "prompts", PromptRecipe),
]


def load_recipes(root: Path) -> RecipeSet:
    """Parse and validate `root/recipes/**`; never raises for a bad recipe, records a Problem instead."""
    recipes_dir = root / "recipes"
    result = RecipeSet(root=root)
    for kind, sub, model_cls in _KINDS:
        for path in sorted((recipes_dir / sub).glob("*.y*ml")):
            _load_one(result, kind, path, model_cls)
    for path in sorted(recipes_dir.glob("*.y*ml")):
        _load_one(result, "model", path, ModelRecipe)
    _check_references(result)
    return result


def _load_one(result: RecipeSet, kind: str, path: Path, model_cls: type[BaseModel]) -> None:
    shown = display_path(path, result.root)
    before = len(result.problems)
    _parse_one(result, kind, path, model_cls, shown)
    if len(result.problems) > before:
        result.invalid[(kind, path.stem)] = shown


def _parse_one(result: RecipeSet, kind: str, path: Path, model_cls: type[BaseModel], shown: str) -> None:
    try:
        raw = read_yaml(path, result.root)
    except MmpValidationError as exc:
        result.problems.extend(exc.problems)
        return
    if not isinstance(raw, dict):
        result.problems.append(Problem(shown, "", f"must be a mapping of fields, got {type(raw).__name__}"))
        return
    secrets = credential_fields(raw)
    if secrets:  # refused before validation, whose messages would quote the value
        result.problems += [Problem(shown, where, f"holds a URL with a password ({masked}); recipes never hold secrets: put the URL "
                                                  "in an environment variable and name it with connection.url_env") for where, masked in secrets]
        return
    raw.setdefault("name", path.stem)
    try:
        recipe = model_cls.model_validate(raw, context={"recipe_dir": path.parent})
    except ValidationError as exc:
        result.problems.extend(problems_from_validation_error(shown, exc))
        return
    if recipe.name != path.stem:
        result.problems.append(Problem(shown, "name", f"{recipe.name!r} differs from the file name; name the file {recipe.name}.yaml"))
        return
    registry = {"source": result.sources, "view": result.views, "model": result.models, "prompt": result.prompts}[kind]
    if recipe.name in registry:  # x.yaml and x.yml: the second would silently replace the first
        first = display_path(result.files[(kind, recipe.name)], result.root)
        result.problems.append(Problem(shown, "name", f"{recipe.name!r} is already defined by {first}; keep one file per name"))
        return
    registry[recipe.name] = recipe
    result.files[(kind, recipe.name)] = path


def _check_references(result: RecipeSet) -> None:
    """Cross-file checks: names that must exist, columns that must be there."""
    for name, source in list(result.sources.items()):
        problems = source_problems(source, result.file_of("source", name))
        if problems:
            result.problems.extend(problems)
            result.invalid[("source", name)] = result.file_of("source", name)
            del result.sources[name]
    for name, view in list(result.views.items()):
        shown = result.file_of("view", name)
        problems = []
        if view.source_name and view.source_name not in result.sources:
            problems.append(Problem(shown, "source", _missing(result, "source", view.source_name, result.sources)))
        elif not view.source_name and view.source.sql_file:
            sql_path = result.files[("view", name)].parent / view.source.sql_file
            if not sql_path.resolve().is_relative_to(result.root.resolve()):
                problems.append(Problem(shown, "source.sql_file", f"{view.source.sql_file!r} lies outside the project; "
                                        "keep SQL templates under recipes/"))
            elif not sql_path.is_file():
                problems.append(Problem(shown, "source.sql_file", f"{view.source.sql_file!r} does not exist next to the recipe"))
        if problems:
            result.problems.extend(problems)
            del result.views[name]
            root_cause = result.invalid.get(("source", view.source_name or ""), shown)
            result.invalid[("view", name)] = root_cause
    for name, recipe in list(result.models.items()):
        problems = _check_model(result, recipe, result.file_of("model", name))
        if problems:
            result.problems.extend(problems)
            del result.models[name]


def _check_model(result: RecipeSet, recipe: ModelRecipe, shown: str) -> list[Problem]:
    problems: list[Problem] = []
    task = recipe.task
    for where, metric in [("tuning.metric", recipe.tuning.metric)] + [
        (f"evaluation.metrics[{i}]", m) for i, m in enumerate(recipe.evaluation.metrics)
    ]:
        if metric not in metrics_for(task):
            problems.append(Problem(shown, where, f"unknown {task} metric {metric!r}; allowed: {', '.join(metrics_for(task))}"))
    for metric in recipe.evaluation.gate:
        if metric != "max_regression" and metric not in metrics_for(task):
            problems.append(
                Problem(shown, f"evaluation.gate.{metric}", f"unknown {task} metric; allowed: {', '.join(metrics_for(task))}, max_regression")
            )
    if recipe.tuning.direction and recipe.tuning.metric in metrics_for(task):
        natural = get_metric(recipe.tuning.metric, task).direction
        if recipe.tuning.direction != natural:
            problems.append(
                Problem(shown, "tuning.direction", f"{recipe.tuning.direction!r} contradicts {recipe.tuning.metric}, which is better when you {natural} it")
            )
    spine = recipe.spine
    if spine.source not in result.sources:
        problems.append(Problem(shown, "spine.source", _missing(result, "source", spine.source, result.sources)))
    else:
        declared = result.sources[spine.source].schema_
        if declared:
            for where, column in [("spine.timestamp", spine.timestamp), ("spine.label", spine.label),
                                  ("uplift.treatment", recipe.uplift.treatment if recipe.uplift else None)] + [
                (f"spine.entity", c) for c in spine.entity
            ] + [(f"spine.columns[{i}]", c) for i, c in enumerate(spine.listed_columns)]:
                if column is not None and column not in declared:
                    problems.append(
                        Problem(shown, where, f"column {column!r} is not in source {spine.source!r}; its columns: {', '.join(declared)}")
                    )
        if declared or spine.columns != "all":  # `all` over an undeclared source is resolved when the data is read
            n_view_columns = None if recipe.features else 0
            problems += [Problem(shown, where, message) for where, message in recipe.spine_column_problems(dict(declared or {}), n_view_columns)]
    for i, column in enumerate(spine.listed_columns):
        if column == spine.label:
            problems.append(Problem(shown, f"spine.columns[{i}]", f"{column!r} is the label; as a feature it would hand the model "
                                                                  "the answer; remove it from spine.columns"))
    problems.extend(_plain_table_problems(recipe, shown))
    problems.extend(task_label_problems(recipe, shown))
    problems.extend(regression_problems(recipe, shown))
    problems.extend(forecast_problems(recipe, shown))
    problems.extend(uplift_problems(recipe, shown))
    problems.extend(partition_problems(recipe, result.sources.get(spine.source), shown))
    scoring = recipe.monitoring.scoring_source
    if scoring and scoring not in result.sources:
        problems.append(Problem(shown, "monitoring.scoring_source", _missing(result, "source", scoring, result.sources)))
    scored = recipe.predictions.source
    if scored and scored not in result.sources:
        problems.append(Problem(shown, "predictions.source", _missing(result, "source", scored, result.sources)))
    seen_views: set[str] = set()
    for i, ref in enumerate(recipe.features):
        if ref.view in seen_views:
            problems.append(
                Problem(shown, f"features[{i}].view", f"view {ref.view!r} is listed twice; join each view once (list both column sets in one entry)")
            )
            continue
        seen_views.add(ref.view)
        view = result.views.get(ref.view)
        if view is None:
            problems.append(Problem(shown, f"features[{i}].view", _missing(result, "view", ref.view, result.views)))
            continue
        keys = ref.on or spine.entity
        if view.timestamp is not None and spine.timestamp is None:
            problems.append(Problem(shown, f"features[{i}].view", (
                f"view {ref.view!r} is timestamped ({view.timestamp}) but the spine has no timestamp, so there is no point in "
                "time to join it at; give the spine a timestamp, or join a static view (one without timestamp)")))
        if not keys:
            problems.append(Problem(shown, f"features[{i}].on", (
                f"the spine has no entity to join view {ref.view!r} on; name the spine column(s) matching its key "
                f"{', '.join(view.entity)} with on, or set spine.entity")))
        elif len(keys) != len(view.entity):
            problems.append(
                Problem(shown, f"features[{i}].on", f"joins on {keys} but view {ref.view!r} is keyed by {view.entity}; give one spine column per key")
            )
        joined = ref.columns or list(view.schema_ or {})
        if spine.label in joined and spine.label not in keys:
            problems.append(Problem(shown, f"features[{i}].view", (
                f"view {ref.view!r} has a column {spine.label!r}, the label's name; a feature named like the label is "
                "ambiguous (and often the label itself); list the view's other columns with columns, or rename it in the view")))
        if view.schema_ and ref.columns:
            for column in ref.columns:
                if column not in view.schema_:
                    problems.append(
                        Problem(shown, f"features[{i}].columns", f"{column!r} is not a column of view {ref.view!r}; its columns: {', '.join(view.schema_)}")
                    )
    return problems


def _plain_table_problems(recipe: ModelRecipe, shown: str) -> list[Problem]:
    """What a spine without a timestamp or without an entity cannot do."""
    spine, problems = recipe.spine, []
    if spine.timestamp is None and recipe.split.strategy == "temporal":
        problems.append(Problem(shown, "split.strategy", "'temporal' needs spine.timestamp, and this spine has none (a plain table); "
                                                          "use random, stratified or group"))
    if spine.timestamp is None and recipe.evaluation.backtest:
        problems.append(Problem(shown, "evaluation.backtest", "a backtest replays time windows, and this spine has no timestamp; "
                                                               "remove backtest or give the spine a timestamp"))
    if recipe.split.strategy == "group" and not recipe.split.group and not spine.entity:
        problems.append(Problem(shown, "split.group", "a group split needs a group column, and this spine has no entity to "
                                                       "default to; name the column with split.group"))
    return problems


def _missing(result: RecipeSet, kind: str, name: str, registry: dict[str, Any]) -> str:
    """Why a referenced recipe is not there: it is itself invalid, or it does not exist."""
    label = {"source": "source", "view": "feature view"}[kind]
    if (kind, name) in result.invalid:
        return f"depends on invalid {label} {name!r}; fix {result.invalid[(kind, name)]} first"
    return f"unknown {label} {name!r}; known: {_known(registry)}"


def _known(registry: dict[str, Any]) -> str:
    return ", ".join(sorted(registry)) or "(none)"

"""`mmp new recipe <name> --task <task> --source <source>`: a commented recipe from the source's columns.

The source's schema is read with DuckDB exactly as a run would read it. The spine's entity,
timestamp and label are guessed from names, types and distinct counts; a guess that cannot be
made is left out, so `mmp validate` names the field to fill in instead of a run failing later.
"""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path

from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.common import NAME_PATTERN
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.scaffold.project import ScaffoldError

ESTIMATORS = {"classification": "sklearn.ensemble.HistGradientBoostingClassifier",
              "regression": "sklearn.ensemble.HistGradientBoostingRegressor"}  # fmt: skip
METRICS = {"classification": "roc_auc", "regression": "rmse"}
ESTIMATORS["uplift"], METRICS["uplift"] = "sklearn.ensemble.HistGradientBoostingClassifier", "qini"  # a classifier per arm
_TREATMENT_NAMES = ("treatment", "treated", "is_treated", "arm", "variant")
_LABEL_NAMES = ("label", "target", "y", "outcome")
_SCALAR = re.compile(r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*|VARCHAR|BOOLEAN)$")


def tasks() -> tuple[str, ...]:
    """Tasks a recipe may have that the template has an estimator and metric for."""
    return tuple(t for t in typing.get_args(ModelRecipe.model_fields["task"].annotation) if t in ESTIMATORS)


def source_profile(recipes: RecipeSet, source: str) -> tuple[dict[str, str], dict[str, int]]:
    """(column → DuckDB type, column → distinct values) of a source, read as a run reads it."""
    import duckdb

    from mmp_assets.feature_store.sources import register_sources
    from mmp_assets.feature_store.sql import columns_of, ident

    with duckdb.connect() as conn:
        register_sources(conn, [source], recipes, recipes.root)
        columns = columns_of(conn, f"SELECT * FROM {ident(source)}")
        counts = ", ".join(f"approx_count_distinct({ident(c)})" for c in columns)
        distinct = conn.execute(f"SELECT {counts} FROM {ident(source)}").fetchone()
    return columns, dict(zip(columns, distinct, strict=True))


def guess_spine(task: str, columns: dict[str, str], distinct: dict[str, int]) -> dict[str, str | list[str] | None]:
    """entity (the `_id` column with fewest distinct values), timestamp (the first time column), label (by name,
    or the one two-valued integer or boolean column for classification), columns (every other plain column)."""
    ids = [c for c in columns if c == "id" or c.endswith("_id")]
    entity = min(ids, key=lambda c: (distinct[c], ids.index(c)), default=None)
    timestamp = next((c for c, t in columns.items() if t.startswith(("TIMESTAMP", "DATE"))), None)
    label = next((c for c in columns if c.lower() in _LABEL_NAMES), None)
    treatment = next((c for c in columns if c.lower() in _TREATMENT_NAMES and c != label), None) if task == "uplift" else None
    if label is None and task in ("classification", "uplift"):
        binary = [c for c, t in columns.items() if c not in (*ids, treatment) and distinct[c] == 2 and (t == "BOOLEAN" or "INT" in t)]
        label = binary[0] if len(binary) == 1 else next((c for c in columns if c.startswith(("is_", "has_"))), None)
    used = {*ids, timestamp, label, treatment}
    features = [c for c, t in columns.items() if c not in used and _SCALAR.match(t)]
    guess = {"entity": entity, "timestamp": timestamp, "label": label, "columns": features}
    return {**guess, "treatment": treatment} if task == "uplift" else guess


def joinable_views(recipes: RecipeSet, columns: dict[str, str]) -> list[str]:
    """`- view: <name>` lines (commented) for every view whose entity columns the source has."""
    def about(text: str) -> str:
        return text if len(text) <= 60 else text[:57] + "..."

    return [f"#   - view: {view.name}{' ' * max(1, 20 - len(view.name))}# on {', '.join(view.entity)}: {about(view.description)}"
            for view in sorted(recipes.views.values(), key=lambda v: v.name) if all(c in columns for c in view.entity)]


def recipe_text(name: str, task: str, source: str, columns: dict[str, str], spine: dict, views: list[str] = ()) -> str:
    """The recipe YAML, every source column listed in a comment with what the guess made of it."""
    role = {spine["entity"]: "spine.entity", spine["timestamp"]: "spine.timestamp", spine["label"]: "spine.label",
            **{c: "spine.columns" for c in spine["columns"]}, **({spine["treatment"]: "uplift.treatment"} if "treatment" in spine else {})}  # fmt: skip
    width = max(map(len, columns))
    listing = "\n".join(f"#   {c:<{width}}  {t:<12} {('-> ' + role[c]) if c in role else ''}".rstrip() for c, t in columns.items())
    missing = [k for k in ("entity", "timestamp", "label") if spine[k] is None]
    fill = "".join(f"  # {k}: FILL IN a column of {source} (no column looked like one)\n" for k in missing)
    q = json.dumps  # a JSON string is a YAML scalar whatever the column is called
    spine_lines = "".join(f"  {k}: {q(spine[k])}\n" for k in ("entity", "timestamp", "label") if spine[k] is not None)
    metric, search = METRICS[task], "learning_rate: {type: float, low: 0.03, high: 0.3, log: true}"
    uplift = "" if task != "uplift" else (  # the arm column: never a feature
        f"uplift:\n  treatment: {q(spine['treatment'])}   # 1/true treated, 0/false control\n  learner: t                    # s, t or x\n"
        if spine["treatment"] is not None else f"uplift:\n  # treatment: FILL IN the column of {source} holding the arm (1 treated, 0 control)\n")
    views_text = "".join(f"{line}\n" for line in (["# to join views keyed on columns this source has, replace the line above with:", "# features:", *views] if views else []))
    return f"""# recipes/{name}.yaml, written by `mmp new recipe` from the columns of source {source!r}:
{listing}
# Check the guesses, fill in what is marked, then run `mmp validate`. Every field: docs/recipes.md.
description: {name} - say what it predicts and for whom.
owner: team:unassigned          # who answers for the model: an email or team:<name>
task: {task}
spine:
  source: {source}
{spine_lines}{fill}  columns: [{', '.join(map(q, spine['columns']))}]   # spine columns used directly as features
{uplift}features: []                    # feature views joined point-in-time, such as `- view: <name>` (recipes/features/)
{views_text}split:
  strategy: temporal            # or random, stratified, group
  validation: 0.15
  test: 0.15
model:
  class_path: {ESTIMATORS[task]}
  params: {{random_state: 0}}
  search_space:
    {search}
    max_leaf_nodes: {{type: int, low: 15, high: 63}}
tuning:
  n_trials: 20
  metric: {metric}
evaluation:
  metrics: [{metric}]
"""


def new_recipe(recipes: RecipeSet, name: str, task: str, source: str) -> Path:
    """Write `recipes/<name>.yaml` for `source`; ScaffoldError (one line) for a bad name, task or source."""
    if not re.match(NAME_PATTERN, name):
        raise ScaffoldError(f"name: {name!r} is not a recipe name; use lower-case letters, digits and _ (such as churn_30d)")
    if task not in tasks():
        raise ScaffoldError(f"--task: {task!r} is not a task; allowed: {', '.join(tasks())}")
    if source not in recipes.sources:
        known = ", ".join(sorted(recipes.sources)) or "(none: add recipes/sources/<name>.yaml first)"
        raise ScaffoldError(f"--source: unknown source {source!r}; known: {known}")
    path = recipes.root / "recipes" / f"{name}.yaml"
    if path.exists() or name in recipes.models:
        raise ScaffoldError(f"name: recipes/{name}.yaml already exists; pick another name or edit it")
    columns, distinct = source_profile(recipes, source)
    text = recipe_text(name, task, source, columns, guess_spine(task, columns, distinct), joinable_views(recipes, columns))
    path.write_text(text, encoding="utf-8")
    return path

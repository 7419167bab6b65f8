"""Code versions: a hashlib digest of exactly the recipe sections each asset depends on.

Editing a recipe section therefore marks exactly the assets that read it as stale in Dagster.
"""

from __future__ import annotations

from pathlib import Path

from mmp_assets.recipes.common import digest
from mmp_assets.recipes.feature_view import FeatureViewRecipe
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.recipes.prompt import PromptRecipe
from mmp_assets.recipes.source import SourceRecipe

# which sections of a model recipe each of its assets reads
MODEL_STAGE_SECTIONS: dict[str, tuple[str, ...]] = {
    "training_set": ("task", "spine", "features", "split", "forecast", "uplift"),
    "model": ("task", "preprocessing", "model", "tuning", "forecast", "uplift"),
    "evaluation": ("evaluation", "monitoring"),
    "predictions": ("monitoring", "predictions"),
    "drift": ("monitoring",),
}


# sections added after recipes were in use: digested only when set, so existing assets do not turn stale
_OPTIONAL_SECTIONS = {"predictions", "forecast", "uplift"}
# fields added to a section after recipes were in use, with their defaults: digested only when set, likewise
_OPTIONAL_FIELDS = {"model": {"target_transform": "none", "quantiles": None}}


def model_code_version(recipe: ModelRecipe, stage: str) -> str:
    defaults = type(recipe).model_fields
    sections = [s for s in MODEL_STAGE_SECTIONS[stage]
                if s not in _OPTIONAL_SECTIONS or getattr(recipe, s) != defaults[s].get_default(call_default_factory=True)]
    # only the sections digested, not the whole recipe once per asset (a third less time; section names are
    # their own aliases, so `include` by name keys the dump alike)
    dumped = recipe.model_dump(mode="json", by_alias=True, include=set(sections))
    for section, fields in _OPTIONAL_FIELDS.items():
        if section in dumped:
            dumped[section] = {k: v for k, v in dumped[section].items() if k not in fields or v != fields[k]}
    return digest(stage, {section: dumped[section] for section in sections})


def source_code_version(source: SourceRecipe) -> str:
    return digest("source", source.model_dump(mode="json", by_alias=True, exclude={"description", "owner"}))


def view_code_version(view: FeatureViewRecipe, recipe_dir: Path) -> str:
    sql_text = None
    if not view.source_name and view.source.sql_file:
        sql_text = (recipe_dir / view.source.sql_file).read_text(encoding="utf-8")
    return digest("view", view.model_dump(mode="json", by_alias=True, exclude={"description", "owner", "tags", "online"}), sql_text)


def prompt_code_version(prompt: PromptRecipe) -> str:
    return digest("prompt", prompt.model_dump(mode="json", by_alias=True))

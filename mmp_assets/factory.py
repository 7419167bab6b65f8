"""One recipe set in, every asset out: each stage's factory is called once per recipe it concerns."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from mmp_assets.recipes import RecipeSet
from mmp_resources.errors import Problem
from mmp_resources.settings import PlatformConfig


def build_recipe_assets(recipes: RecipeSet, config: PlatformConfig, root: Path) -> list:
    """Assets and checks for every valid recipe. Reads no data and contacts no server."""
    from mmp_assets.automation.conditions import apply_automation
    from mmp_assets.evaluation.assets import build_evaluation_assets
    from mmp_assets.feature_store.assets import build_feature_store_assets, build_training_set_assets
    from mmp_assets.online.assets import build_online_assets
    from mmp_assets.prompts.assets import build_prompt_assets
    from mmp_assets.training.assets import build_model_assets

    assets: list = list(build_feature_store_assets(recipes, config, root))
    assets += build_online_assets(recipes, config, root)
    for recipe in recipes.models.values():
        assets += build_training_set_assets(recipe, recipes, config, root)
        assets += build_model_assets(recipe, recipes, config, root)
        assets += build_evaluation_assets(recipe, recipes, config, root)
    for prompt in recipes.prompts.values():
        assets += build_prompt_assets(prompt, recipes, config, root)
    return apply_automation(assets, recipes, config)


def problem_specs(problems: list[Problem]) -> list[dg.AssetSpec]:
    """One placeholder asset per broken recipe file, so the UI shows what is wrong instead of hiding it."""
    by_file: dict[str, list[Problem]] = {}
    for problem in problems:
        by_file.setdefault(problem.file, []).append(problem)
    specs = []
    for file, found in sorted(by_file.items()):
        stem = Path(file).stem.replace("-", "_").replace(".", "_") or "config"
        lines = "\n".join(f"- `{p}`" for p in found)
        specs.append(
            dg.AssetSpec(
                key=dg.AssetKey(["invalid_recipes", stem]),
                group_name="invalid_recipes",
                description=f"{file} is invalid and was not loaded; fix it and reload:\n\n{lines}",
                metadata={"file": file, "problems": dg.MetadataValue.md(lines)},
                tags={"mmp/invalid": "true"},
            )
        )
    return specs

"""What a feature view or source query reads, from recipe and template text alone: no data, no DuckDB.

The definitions draw the asset graph's edges from these when they load, and automation reasons
about schema changes with them, so this module imports nothing heavier than the recipes.
"""

from __future__ import annotations

import re

from mmp_assets.feature_store.sql import ident
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.feature_view import FeatureViewRecipe
from mmp_resources.errors import display_path


def referenced_sources(sql: str, recipes: RecipeSet) -> list[str]:
    """Source names a query mentions as whole words."""
    return [name for name in recipes.sources if re.search(rf"(?<![\w.\"]){re.escape(name)}(?![\w\"])", sql)]


def view_template(view: FeatureViewRecipe, recipes: RecipeSet) -> tuple[str, str]:
    """(SQL template text, name to show in errors) of a view's query."""
    recipe_file = recipes.files[("view", view.name)]
    if view.source_name:
        return f"SELECT * FROM {ident(view.source_name)}", display_path(recipe_file, recipes.root)
    if view.source.sql_file:
        path = recipe_file.parent / view.source.sql_file
        return path.read_text(encoding="utf-8"), display_path(path, recipes.root)
    return view.source.sql, f"{display_path(recipe_file, recipes.root)}: source.sql"


def view_sources(view: FeatureViewRecipe, recipes: RecipeSet) -> list[str]:
    """Sources a view reads (from its recipe and template text; reads no data)."""
    if view.source_name:
        return [view.source_name]
    return referenced_sources(view_template(view, recipes)[0], recipes)

"""Which recipes a source's schema change concerns, and whether it is compatible for each of them.

A change is *relevant* to a recipe when a changed column can reach its training set: a spine column
the recipe reads, or a view column the recipe takes (all of a view's columns when `features[].columns`
is omitted). A SQL view passes a source column through only when its template mentions the column or
selects `*`. A recipe with no relevant change sees a *compatible* change: it retrains only when its
`monitoring.retrain_on_compatible_schema_change` says so. Reads recipes and templates only, no data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mmp_assets.feature_store.pit import spine_columns
from mmp_assets.feature_store.reads import view_sources, view_template
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.model import ModelRecipe


@dataclass(frozen=True)
class SchemaChange:
    """Column-level difference between two observations of one source."""

    source: str
    added: dict[str, str] = field(default_factory=dict)
    removed: dict[str, str] = field(default_factory=dict)
    retyped: dict[str, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def between(cls, source: str, before: dict[str, str], after: dict[str, str]) -> SchemaChange:
        return cls(
            source,
            added={c: t for c, t in after.items() if c not in before},
            removed={c: t for c, t in before.items() if c not in after},
            retyped={c: (before[c], t) for c, t in after.items() if c in before and before[c] != t},
        )

    @property
    def columns(self) -> set[str]:
        return {*self.added, *self.removed, *self.retyped}

    def describe(self, only: set[str] | None = None) -> str:
        keep = self.columns if only is None else only
        parts = [f"+{c} {t}" for c, t in self.added.items() if c in keep]
        parts += [f"-{c} {t}" for c, t in self.removed.items() if c in keep]
        parts += [f"~{c} {a}->{b}" for c, (a, b) in self.retyped.items() if c in keep]
        return ", ".join(parts) or "no column change"


@dataclass(frozen=True)
class RecipeImpact:
    """What one source change means for one recipe: the views to refresh, the columns it reads, retrain or not."""

    recipe: str
    source: str
    views: list[str]
    relevant: set[str]
    retrain: bool
    reason: str


def _sql_passes(view_name: str, column: str, recipes: RecipeSet) -> bool:
    view = recipes.views[view_name]
    if view.source_name:
        return True
    sql = view_template(view, recipes)[0]
    return "*" in sql or re.search(rf"(?<![\w]){re.escape(column)}(?![\w])", sql) is not None


def reading_views(recipe: ModelRecipe, source: str, recipes: RecipeSet) -> list[str]:
    """The recipe's feature views that read `source`, in recipe order."""
    return [ref.view for ref in recipe.features if ref.view in recipes.views and source in view_sources(recipes.views[ref.view], recipes)]


def relevant_columns(recipe: ModelRecipe, change: SchemaChange, recipes: RecipeSet) -> set[str]:
    """The changed columns that can reach the recipe's training set."""
    reached: set[str] = set()
    if recipe.spine.source == change.source:
        # with `columns: all` every new spine column becomes a feature
        reached |= change.columns - set(recipe.spine.exclude) if recipe.spine.columns == "all" else change.columns & set(spine_columns(recipe))
    for ref in recipe.features:
        if ref.view not in reading_views(recipe, change.source, recipes):
            continue
        for column in change.columns:
            if (ref.columns is None or column in ref.columns) and _sql_passes(ref.view, column, recipes):
                reached.add(column)
    return reached


def impact_of(change: SchemaChange, recipes: RecipeSet) -> list[RecipeImpact]:
    """One entry per recipe downstream of the changed source (retrain or not, with the reason)."""
    found = []
    for recipe in recipes.models.values():
        views = reading_views(recipe, change.source, recipes)
        if recipe.spine.source != change.source and not views:
            continue
        relevant = relevant_columns(recipe, change, recipes)
        if relevant:
            found.append(RecipeImpact(recipe.name, change.source, views, relevant, True, f"reads changed column(s): {change.describe(relevant)}"))
        elif recipe.monitoring.retrain_on_compatible_schema_change:
            found.append(RecipeImpact(recipe.name, change.source, views, relevant, True,
                                      f"compatible change ({change.describe()}); monitoring.retrain_on_compatible_schema_change is true"))
        else:
            found.append(RecipeImpact(recipe.name, change.source, views, relevant, False, f"compatible change ({change.describe()}): reads none of it"))
    return found

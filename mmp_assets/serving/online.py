"""Serving features from the online store (Redis, dev/prod): each request reads the current version."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mmp_assets.online.read import current_version, fetch_many, version_meta
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.serving.features import Entity, FeatureSource, view_lookups
from mmp_resources.online_store import OnlineStoreResource


class OnlineFeatures(FeatureSource):
    """Latest values per entity from Redis, two round trips per request whatever the number of rows."""

    kind = "redis"

    def __init__(self, store: OnlineStoreResource, recipe: ModelRecipe, recipes: RecipeSet):
        self.store = store
        stored: dict[str, list[str]] = {}
        for ref in recipe.features:
            meta = version_meta(store, ref.view)
            if meta is None:
                raise LookupError(
                    f"features/{ref.view} is not in the online store (prefix {store.key_prefix!r}); set `online: true` in "
                    f"recipes/features/{ref.view}.yaml and materialize features/{ref.view}/online"
                )
            stored[ref.view] = meta["columns"]
        super().__init__(recipe, view_lookups(recipe, recipes, stored))

    def fetch(self, wanted: Mapping[str, Sequence[Entity]]) -> tuple[dict[str, int | None], dict[str, list[dict | None]]]:
        return fetch_many(self.store, wanted)

    def problem(self) -> str | None:
        try:
            self.store.ping()
        except Exception as exc:  # redis raises several connection error types
            return f"online store unreachable: {exc}"
        return None

    def versions(self) -> dict[str, int | None]:
        return {lu.view.name: current_version(self.store, lu.view.name) for lu in self.lookups}

"""Feature rows for scoring requests, looked up in the online store with the training join's semantics.

Training joins each spine row to a view's latest row at or before the spine timestamp and within the
view's TTL (`feature_store/pit.py`). Online, the store holds each entity's latest row, so a request
gets that row when its timestamp is at or before the event time (default: now) and within the TTL;
otherwise the view's features are null for that row, as they would have been in training. Column
names come from the same function training uses, so the model sees the columns it was fitted on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from mmp_assets.online.read import fetch_many, version_meta
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.feature_view import FeatureViewRecipe
from mmp_assets.recipes.model import ModelRecipe
from mmp_resources.online_store import OnlineStoreResource


@dataclass(frozen=True)
class ViewLookup:
    view: FeatureViewRecipe
    spine_keys: list[str]
    columns: dict[str, str]  # model input column → view column


class OnlineFeatures:
    """Turns request rows (entity ids + request-time fields) into the model's input frame."""

    def __init__(self, store: OnlineStoreResource, recipe: ModelRecipe, recipes: RecipeSet):
        from mmp_assets.feature_store.pit import feature_names, selected_columns

        self.store, self.recipe = store, recipe
        stored: dict[str, list[str]] = {}
        for ref in recipe.features:
            meta = version_meta(store, ref.view)
            if meta is None:
                raise LookupError(
                    f"features/{ref.view} is not in the online store (prefix {store.key_prefix!r}); set `online: true` in "
                    f"recipes/features/{ref.view}.yaml and materialize features/{ref.view}/online"
                )
            stored[ref.view] = meta["columns"]
        wanted = {
            ref.view: selected_columns(ref.columns, recipes.views[ref.view], dict.fromkeys(stored[ref.view])) for ref in recipe.features
        }
        names = feature_names(recipe, wanted)
        self.lookups = [
            ViewLookup(recipes.views[ref.view], list(ref.on or recipe.spine.entity), names[ref.view]) for ref in recipe.features
        ]

    @property
    def entity_fields(self) -> list[str]:
        return list(dict.fromkeys(k for lookup in self.lookups for k in lookup.spine_keys)) or list(self.recipe.spine.entity)

    def frame(self, rows: list[dict]) -> tuple[pd.DataFrame, list[list[str]], dict[str, int | None]]:
        """(model input frame, per row the views with no fresh value, view → online version read)."""
        now = datetime.now(UTC).replace(tzinfo=None)
        wanted = {lu.view.name: [tuple(str(row[k]) for k in lu.spine_keys) for row in rows] for lu in self.lookups}
        versions, values = fetch_many(self.store, wanted)
        out = pd.DataFrame(rows)
        missing: list[list[str]] = [[] for _ in rows]
        for lookup in self.lookups:
            found = values[lookup.view.name]
            columns: dict[str, list] = {name: [] for name in lookup.columns}
            for i, (row, value) in enumerate(zip(rows, found, strict=True)):
                at = row.get(self.recipe.spine.timestamp) if self.recipe.spine.timestamp else None
                fresh = value is not None and _fresh(lookup.view, value, at or now)
                if not fresh:
                    missing[i].append(lookup.view.name)
                for name, column in lookup.columns.items():
                    columns[name].append(value.get(column) if fresh else None)
            for name, column_values in columns.items():
                out[name] = column_values
        return out, missing, versions


def _fresh(view: FeatureViewRecipe, value: dict, at: datetime) -> bool:
    """Known by `at` (never a value from the event's future) and within the view's TTL, like the ASOF join;
    a static view's row is always current."""
    if view.timestamp is None:
        return True
    stamp = value.get(view.timestamp)
    if stamp is None:
        return False
    known = pd.Timestamp(stamp)
    known = known.tz_convert(None) if known.tzinfo else known
    at = pd.Timestamp(at)
    at = at.tz_convert(None) if at.tzinfo else at
    if known > at or (view.strictly_before and known == at):
        return False
    return view.ttl_delta is None or at - known <= view.ttl_delta

"""Read the online store: the current version of a view and its latest values per entity.

Readers take the `current` pointer first and then the hashes of that version. A push that flips the
pointer in between does not tear the read: the old version's keys outlive the flip by a grace period.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from mmp_assets.recipes.feature_view import FeatureViewRecipe
from mmp_resources.online_store import OnlineStoreResource, entity_id

Entity = str | Sequence[str]


def current_version(store: OnlineStoreResource, view: str) -> int | None:
    value = store.client().get(store.pointer_key(view))
    return int(value) if value is not None else None


def get_latest(store: OnlineStoreResource, view: FeatureViewRecipe | str, entity: str | Sequence[str]) -> dict | None:
    """The latest feature values of one entity in the current version (None when unknown)."""
    name = view if isinstance(view, str) else view.name
    return fetch_latest(store, name, [entity])[0]


def fetch_latest(store: OnlineStoreResource, view: str, entities: Sequence[str | Sequence[str]]) -> list[dict | None]:
    """Latest values of many entities of one view, in one round trip after reading the pointer."""
    redis = store.client()
    version = redis.get(store.pointer_key(view))
    if version is None:
        return [None] * len(entities)
    pipe = redis.pipeline(transaction=False)
    for entity in entities:
        pipe.hgetall(store.entity_key(view, int(version), entity_id(entity)))
    return [{k: json.loads(v) for k, v in found.items()} or None for found in pipe.execute()]


def fetch_many(store: OnlineStoreResource, wanted: Mapping[str, Sequence[Entity]]) -> tuple[dict[str, int | None], dict[str, list[dict | None]]]:
    """(view → current version, view → values per entity) for several views in two round trips."""
    redis = store.client()
    views = list(wanted)
    pointers = redis.mget([store.pointer_key(v) for v in views]) if views else []
    versions = {v: (int(p) if p is not None else None) for v, p in zip(views, pointers, strict=True)}
    pipe = redis.pipeline(transaction=False)
    for view in views:
        if versions[view] is not None:
            for entity in wanted[view]:
                pipe.hgetall(store.entity_key(view, versions[view], entity_id(entity)))
    found = iter(pipe.execute())
    values = {
        view: [{k: json.loads(v) for k, v in next(found).items()} or None for _ in wanted[view]]
        if versions[view] is not None else [None] * len(wanted[view])
        for view in views
    }
    return versions, values


def version_meta(store: OnlineStoreResource, view: str) -> dict | None:
    """What the current version holds: rows, columns (in stored order), timestamp column, pushed_at."""
    version = current_version(store, view)
    if version is None:
        return None
    meta = store.client().hgetall(store.meta_key(view, version))
    return {**meta, "version": version, "rows": int(meta.get("rows", 0)), "columns": json.loads(meta.get("columns", "[]"))}

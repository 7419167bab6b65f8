"""Push a feature view's latest row per entity to Redis (readers are in `read.py`).

A push writes every hash under a new version's key prefix first, then flips the view's `current`
pointer in one transaction, so a reader sees the old version or the new one, never a mix. The old
version's keys expire after a grace period rather than vanishing at once: a reader that fetched the
pointer just before the flip still finds the values it was promised.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

import pandas as pd

from mmp_assets.recipes.feature_view import FeatureViewRecipe
from mmp_resources.online_store import OnlineStoreResource

OLD_VERSION_GRACE_S = 60
_BATCH = 1000


def push_latest(store: OnlineStoreResource, view: FeatureViewRecipe, frame: pd.DataFrame, version: int) -> dict:
    """Write the latest row per entity of `frame` as version `version` of `view`, then make it current."""
    redis = store.client()
    name, version = view.name, int(version)
    current = redis.get(store.pointer_key(name))
    if current is not None and int(current) == version:
        return {"view": name, "version": version, "entities": 0, "flipped": False, "reason": "already current"}
    missing = [c for c in view.keys if c not in frame.columns]
    if missing:
        raise ValueError(f"features/{name}: rows to push lack column(s) {missing}; got {list(frame.columns)}")
    latest = (frame.sort_values(view.timestamp, kind="stable") if view.timestamp else frame).drop_duplicates(view.entity, keep="last")
    columns = [c for c in latest.columns if c not in view.entity]
    _expire(redis, _keys_of_version(store, name, version), seconds=None)  # leftovers of an interrupted push
    pipe = redis.pipeline(transaction=False)
    for i, row in enumerate(latest.itertuples(index=False, name=None), start=1):
        values = dict(zip(latest.columns, row, strict=True))
        key = store.entity_key(name, version, [values[c] for c in view.entity])
        pipe.hset(key, mapping={c: json.dumps(_plain(values[c])) for c in columns})
        if i % _BATCH == 0:
            pipe.execute()
    pushed_at = dt.datetime.now(dt.UTC).isoformat()
    pipe.hset(store.meta_key(name, version), mapping={
        "rows": len(latest), "columns": json.dumps(columns), "timestamp": view.timestamp or "", "pushed_at": pushed_at,
    })  # fmt: skip
    pipe.execute()
    flipped = _flip(redis, store.pointer_key(name), version)
    stale = [k for k in _keys_of_view(store, name) if not k.startswith(store.version_prefix(name, version) + ":")]
    if not flipped:  # a newer version became current meanwhile: ours is the stale one
        stale = _keys_of_version(store, name, version)
    _expire(redis, stale, seconds=OLD_VERSION_GRACE_S)
    return {"view": name, "version": version, "entities": len(latest), "flipped": flipped,
            "previous_version": int(current) if current is not None else None, "expiring_keys": len(stale)}  # fmt: skip


def _flip(redis, pointer: str, version: int) -> bool:
    """Point readers at `version` unless a newer one is current already; WATCH makes check-and-set atomic."""

    def swap(pipe) -> bool:
        current = pipe.get(pointer)
        if current is not None and int(current) > version:
            return False
        pipe.multi()
        pipe.set(pointer, version)
        return True

    return redis.transaction(swap, pointer, value_from_callable=True)


def _keys_of_view(store: OnlineStoreResource, view: str) -> list[str]:
    return list(store.client().scan_iter(match=f"{_glob_escape(store.view_prefix(view))}:v*", count=1000))


def _keys_of_version(store: OnlineStoreResource, view: str, version: int) -> list[str]:
    return list(store.client().scan_iter(match=f"{_glob_escape(store.version_prefix(view, version))}:*", count=1000))


def _expire(redis, keys: Iterable[str], seconds: int | None) -> None:
    pipe = redis.pipeline(transaction=False)
    for key in keys:
        pipe.expire(key, seconds) if seconds else pipe.delete(key)
    pipe.execute()


def _glob_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


def _plain(value: object) -> object:
    """A JSON-ready value: NaN/NaT become null, timestamps ISO text, numpy scalars Python numbers."""
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):  # a list or mapping: not a missing-value scalar
        pass
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    return value

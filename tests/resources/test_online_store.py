"""Online store contract: one test class over every implementation that stores values (Redis), and
the clear error of the `none` implementation. Each test writes under its own key prefix and deletes it."""

from __future__ import annotations

import threading
import uuid

import pandas as pd
import pytest

from mmp_assets.online.push import OLD_VERSION_GRACE_S, push_latest
from mmp_assets.online.read import current_version, fetch_latest, get_latest
from mmp_assets.recipes.feature_view import FeatureViewRecipe
from mmp_resources import OnlineStoreResource
from mmp_resources.online_store import OnlineStoreNotConfigured
from mmp_resources.sandbox import REDIS_URL

VIEW = FeatureViewRecipe.model_validate(
    {"name": "user_profile", "description": "d", "owner": "team:t", "entity": "user_id", "timestamp": "ts", "source": "s"}
)


def rows(value: float, users: int = 3) -> pd.DataFrame:
    """Two snapshots per user; only the later one (value) is the latest."""
    ids = [f"u{i}" for i in range(users)]
    return pd.DataFrame({
        "user_id": ids * 2,
        "ts": pd.to_datetime(["2024-01-01"] * users + ["2024-02-01"] * users),
        "amount": [-1.0] * users + [value] * users,
        "segment": ["old"] * users + ["new"] * users,
    })  # fmt: skip


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.services)])
def store(request, contract_project):
    prefix = f"mmp_t{uuid.uuid4().hex[:10]}"
    root, env = contract_project({"online_store": {"kind": request.param, "url": REDIS_URL, "key_prefix": prefix}})
    resource = OnlineStoreResource(project_dir=str(root), env=env)
    yield resource
    keys = list(resource.client().scan_iter(match=f"{prefix}:*"))
    if keys:
        resource.client().delete(*keys)


class TestOnlineStore:
    def test_unknown_view_or_entity_reads_none(self, store):
        assert get_latest(store, VIEW, "u0") is None
        push_latest(store, VIEW, rows(1.0), version=1)
        assert get_latest(store, VIEW, "nobody") is None

    def test_push_keeps_the_latest_row_per_entity_with_types(self, store):
        frame = rows(2.5)
        frame.loc[frame.index[-1], "amount"] = float("nan")
        result = push_latest(store, VIEW, frame, version=1)
        assert result["entities"] == 3 and result["flipped"]
        assert get_latest(store, VIEW, "u0") == {"ts": "2024-02-01T00:00:00", "amount": 2.5, "segment": "new"}
        assert get_latest(store, VIEW, "u2")["amount"] is None

    def test_new_version_becomes_current_and_old_keys_expire(self, store):
        push_latest(store, VIEW, rows(1.0), version=1)
        push_latest(store, VIEW, rows(2.0), version=2)
        assert current_version(store, VIEW.name) == 2
        assert get_latest(store, VIEW, "u1")["amount"] == 2.0
        redis = store.client()
        old = list(redis.scan_iter(match=store.version_prefix(VIEW.name, 1) + ":*"))
        assert old and all(0 < redis.ttl(k) <= OLD_VERSION_GRACE_S for k in old)
        new = list(redis.scan_iter(match=store.version_prefix(VIEW.name, 2) + ":*"))
        assert all(redis.ttl(k) == -1 for k in new)

    def test_pushing_the_current_version_again_is_a_no_op(self, store):
        push_latest(store, VIEW, rows(1.0), version=1)
        again = push_latest(store, VIEW, rows(9.0), version=1)
        assert again["flipped"] is False and get_latest(store, VIEW, "u0")["amount"] == 1.0

    def test_an_older_version_never_replaces_a_newer_one(self, store):
        push_latest(store, VIEW, rows(3.0), version=3)
        late = push_latest(store, VIEW, rows(2.0), version=2)
        assert late["flipped"] is False and current_version(store, VIEW.name) == 3
        assert get_latest(store, VIEW, "u0")["amount"] == 3.0

    def test_leftovers_of_an_interrupted_push_are_cleared(self, store):
        push_latest(store, VIEW, rows(1.0), version=1)
        store.client().hset(store.entity_key(VIEW.name, 2, "ghost"), mapping={"amount": "7"})  # crashed half-push
        push_latest(store, VIEW, rows(2.0), version=2)
        assert get_latest(store, VIEW, "ghost") is None

    def test_composite_entity_keys(self, store):
        view = VIEW.model_copy(update={"entity": ["user_id", "segment"]})
        push_latest(store, view, rows(4.0), version=1)
        assert get_latest(store, view, ["u1", "new"])["amount"] == 4.0
        assert get_latest(store, view, "u1|new")["amount"] == 4.0

    def test_readers_never_see_half_a_version(self, store):
        users = 400
        push_latest(store, VIEW, rows(1.0, users), version=1)
        entities = [f"u{i}" for i in range(users)]
        mixed, done = [], threading.Event()

        def read_until_done():
            while not done.is_set():
                amounts = {r["amount"] for r in fetch_latest(store, VIEW.name, entities)}
                if len(amounts) != 1:
                    mixed.append(amounts)

        reader = threading.Thread(target=read_until_done)
        reader.start()
        try:
            push_latest(store, VIEW, rows(2.0, users), version=2)
        finally:
            done.set()
            reader.join()
        assert mixed == []
        assert {r["amount"] for r in fetch_latest(store, VIEW.name, entities)} == {2.0}


def test_no_online_store_gives_a_clear_error(contract_project):
    root, env = contract_project({"online_store": {"kind": "none"}})
    store = OnlineStoreResource(project_dir=str(root), env=env)
    assert store.enabled is False
    with pytest.raises(OnlineStoreNotConfigured, match=r"online_store\.kind is 'none'; set online_store\.kind: redis"):
        push_latest(store, VIEW, rows(1.0), version=1)

"""The online feature store: absent in the embedded default, Redis in dev and prod.

Key layout (every key starts with `online_store.key_prefix`, so projects and tests share one Redis):

    <prefix>:fv:<view>:current            the version readers use (one string, flipped atomically)
    <prefix>:fv:<view>:v<N>:<entity>      hash of one entity's latest feature values in version N
    <prefix>:fv:<view>:v<N>:__meta__      hash describing version N (rows, columns, pushed_at)

A multi-column entity key is its values joined by `|` in the view's `entity` order.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from mmp_resources.base import PlatformResource

ENTITY_SEPARATOR = "|"


class OnlineStoreNotConfigured(RuntimeError):
    """Raised when code asks for the online store in an environment whose kind is `none`."""


class OnlineStoreResource(PlatformResource):
    """Latest feature values per entity for serving. `enabled` is False when config says kind=none."""

    @property
    def enabled(self) -> bool:
        return self.config.online_store.kind != "none"

    def client(self):
        """A Redis client for this environment's online store (a clear error when none is configured)."""
        return self._redis

    @cached_property
    def _redis(self):
        cfg = self.config.online_store
        if cfg.kind != "redis" or cfg.url is None:
            raise OnlineStoreNotConfigured(
                f"config/{self.env}.yaml: online_store.kind is {cfg.kind!r}; set online_store.kind: redis and "
                "online_store.url (e.g. MMP_ENV=dev) to use the online store"
            )
        import redis

        # decoded strings: values are JSON text, keys are ASCII names
        return redis.Redis.from_url(cfg.url.get_secret_value(), decode_responses=True, socket_timeout=5)

    @property
    def key_prefix(self) -> str:
        return self.config.online_store.key_prefix

    def ping(self) -> bool:
        return bool(self.client().ping())

    # -- key layout -------------------------------------------------------------------------
    def view_prefix(self, view: str) -> str:
        return f"{self.key_prefix}:fv:{view}"

    def pointer_key(self, view: str) -> str:
        return f"{self.view_prefix(view)}:current"

    def version_prefix(self, view: str, version: int) -> str:
        return f"{self.view_prefix(view)}:v{int(version)}"

    def entity_key(self, view: str, version: int, entity: str | Sequence[str]) -> str:
        return f"{self.version_prefix(view, version)}:{entity_id(entity)}"

    def meta_key(self, view: str, version: int) -> str:
        return f"{self.version_prefix(view, version)}:__meta__"


def entity_id(entity: str | Sequence[object]) -> str:
    """One string per entity: the key itself, or a composite key's values joined by `|`."""
    if isinstance(entity, str):
        return entity
    return ENTITY_SEPARATOR.join(str(part) for part in entity)

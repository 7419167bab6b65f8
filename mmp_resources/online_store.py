"""The online feature store: absent in the embedded default, Redis in dev and prod."""

from __future__ import annotations

from mmp_resources.base import PlatformResource


class OnlineStoreResource(PlatformResource):
    """Latest feature values per entity for serving. `enabled` is False when config says kind=none."""

    @property
    def enabled(self) -> bool:
        return self.config.online_store.kind != "none"

    def client(self):
        """A Redis client for this environment's online store (a clear error when none is configured)."""
        cfg = self.config.online_store
        if cfg.kind != "redis" or cfg.url is None:
            raise RuntimeError(
                f"config/{self.env}.yaml: online_store.kind is {cfg.kind!r}; set kind: redis and url to use the online store"
            )
        import redis

        return redis.Redis.from_url(cfg.url.get_secret_value(), decode_responses=False)

    @property
    def key_prefix(self) -> str:
        return self.config.online_store.key_prefix

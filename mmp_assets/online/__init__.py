"""The online feature store: the latest value per entity of `online: true` views, in Redis, versioned by key prefix."""

from mmp_assets.online.push import fetch_latest, get_latest, push_latest

__all__ = ["fetch_latest", "get_latest", "push_latest"]

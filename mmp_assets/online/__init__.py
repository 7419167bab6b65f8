"""The online feature store: the latest value per entity of `online: true` views, in Redis, versioned by key prefix."""

from mmp_assets.online.push import push_latest
from mmp_assets.online.read import current_version, fetch_latest, fetch_many, get_latest, version_meta

__all__ = ["current_version", "fetch_latest", "fetch_many", "get_latest", "push_latest", "version_meta"]

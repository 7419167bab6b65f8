"""The online feature store: the latest value per entity of `online: true` views, in Redis, versioned by key prefix.

Names are imported on first use (PEP 562), so the definitions load the asset factory without pandas.
"""

from mmp_resources.lazy import lazy_exports

_EXPORTS = {name: "mmp_assets.online.read" for name in ("current_version", "fetch_latest", "fetch_many", "get_latest", "version_meta")}
_EXPORTS["push_latest"] = "mmp_assets.online.push"

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)

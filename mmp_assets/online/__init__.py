"""The online feature store: the latest value per entity of `online: true` views, in Redis, versioned by key prefix.

Names are imported on first use (PEP 562), so the definitions load the asset factory without pandas.
"""

from importlib import import_module

_EXPORTS = {name: "mmp_assets.online.read" for name in ("current_version", "fetch_latest", "fetch_many", "get_latest", "version_meta")}
_EXPORTS["push_latest"] = "mmp_assets.online.push"

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'mmp_assets.online' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)

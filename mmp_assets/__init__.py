"""mmp's Dagster code location: `dagster dev` / `dagster asset materialize -m mmp_assets` load `defs`.

`defs` is made on first access (PEP 562) and is itself lazy (`@dg.definitions`), so importing the
package — as the `mmp` CLI does for every command — imports neither Dagster nor any recipe.
"""

from __future__ import annotations

__all__ = ["defs"]


def __getattr__(name: str):
    if name != "defs":
        raise AttributeError(f"module 'mmp_assets' has no attribute {name!r}")
    import dagster as dg

    from mmp_assets.definitions import build_definitions

    globals()["defs"] = found = dg.definitions(build_definitions)
    return found


def __dir__() -> list[str]:
    """Dagster finds the code location's definitions by listing the module's members."""
    return sorted({*globals(), "defs"})

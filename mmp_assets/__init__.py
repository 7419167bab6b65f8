"""mmp's Dagster code location: `dagster dev` / `dagster asset materialize -m mmp_assets` load `defs`.

`defs` is made on first access (PEP 562) and is itself lazy (`@dg.definitions`), so importing the
package — as the `mmp` CLI does for every command — imports neither Dagster nor any recipe.
"""

from __future__ import annotations

import os

__all__ = ["defs"]

# OpenMP threads (scikit-learn's HistGradientBoosting, LightGBM, XGBoost) that wait at a barrier sleep instead of
# spinning. libgomp reads this once, when the first OpenMP library loads, which is after this package on every
# entry point (`mmp`, the code location, a step process). On a machine whose cores are shared, spinning threads
# wait for a thread that is not running while burning the time it needs: the demo's spend model (2 threads)
# fitted 7-20x faster with PASSIVE on 2 busy cores, with the same model. A value set by the user is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


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

"""mmp's Dagster code location: `dagster dev` / `dagster asset materialize -m mmp_assets` load `defs`.

`@dg.definitions` makes loading lazy: importing the package (as the `mmp` CLI does) builds nothing.
"""

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    from mmp_assets.definitions import build_definitions

    return build_definitions()

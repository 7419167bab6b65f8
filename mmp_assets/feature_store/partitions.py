"""Time-window partitions of a training set, the Dagster way, with the window bound as `start` / `end`.

`spine.partitions` makes `<recipe>/training_set` a daily, weekly or monthly partitioned asset.
Materializing one partition binds its window to the spine source's template variables `start`
and `end` (the template decides whether that is a slice, `>= start AND < end`, or everything
known by the window's end, `< end`) and stores a training-set version that records the
partition. The model depends on the newest partition (Dagster's `LastPartitionMapping`) and
trains on the newest version stored for it, so a backfill of old windows never changes what
the next model trains on.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import dagster as dg

from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.recipes.source_checks import WINDOW_PARAMS

if TYPE_CHECKING:  # the catalog reads DuckDB when a run needs it; drawing the partitioned asset does not
    import duckdb

    from mmp_assets.feature_store import catalog

_SCHEDULES = {
    "daily": dg.DailyPartitionsDefinition,
    "weekly": dg.WeeklyPartitionsDefinition,
    "monthly": dg.MonthlyPartitionsDefinition,
}


def spine_partitions(recipe: ModelRecipe) -> dg.TimeWindowPartitionsDefinition | None:
    """The training set's partitions definition; None when the recipe's spine is not partitioned."""
    spec = recipe.spine.partitions
    if spec is None:
        return None
    return _SCHEDULES[spec.schedule](
        start_date=spec.start.isoformat(), end_date=spec.end.isoformat() if spec.end else None, timezone=spec.timezone
    )


def newest_partition(recipe: ModelRecipe) -> str | None:
    """The partition a retrain builds: the newest window (None when the recipe is not partitioned)."""
    partitions = spine_partitions(recipe)
    return partitions.get_last_partition_key() if partitions is not None else None


def window_params(window: dg.TimeWindow) -> dict[str, datetime]:
    """`start` / `end` of a partition: the window's wall-clock bounds in the recipe's time zone, without a
    zone, like the naive timestamps spines hold (a zone-aware value would need ICU casts in every query)."""
    return {"start": window.start.replace(tzinfo=None), "end": window.end.replace(tzinfo=None)}


def run_window(context: dg.AssetExecutionContext, run_params: dict) -> tuple[str | None, dict]:
    """(partition key, the run's values with the window added); ValueError if the run also sets the window."""
    if not context.has_partition_key:
        return None, dict(run_params)
    clash = sorted(set(run_params) & set(WINDOW_PARAMS))
    if clash:
        raise ValueError(f"params {', '.join(clash)} come from the partition ({context.partition_key}) in a partitioned run; "
                         "drop them from the run config, or materialize another partition")
    return context.partition_key, dict(run_params) | window_params(context.partition_time_window)


def partition_entry(conn: duckdb.DuckDBPyConnection, recipe: str, partition: str) -> catalog.CatalogEntry | None:
    """The newest live training-set version stored for one partition."""
    from mmp_assets.feature_store import catalog

    found = [e for e in catalog.entries(conn, "training_set", recipe, retired=False) if e.details.get("partition") == partition]
    return found[-1] if found else None


def newest_partition_version(conn: duckdb.DuckDBPyConnection, recipe: ModelRecipe) -> int | None:
    """The training-set version a model of a partitioned recipe trains on (None: not partitioned);
    LookupError naming the partition to materialize when it has none."""
    if recipe.spine.partitions is None:
        return None
    newest = newest_partition(recipe)
    entry = partition_entry(conn, recipe.name, newest) if newest else None
    if entry is None:
        raise LookupError(f"{recipe.name}/training_set has no version for its newest partition {newest}; "
                          f"materialize it first: mmp materialize --select {recipe.name}/training_set --partition {newest}")
    return entry.version

"""What `mmp materialize` checks before it starts a run: bad input is one line, not a failed run."""

from __future__ import annotations

import dagster as dg


def unusable_connections(sources: list[dg.AssetKey]) -> list[str]:
    """One line per database source to observe whose URL variable is unset or not a URL of its kind."""
    from mmp_assets.feature_store.databases import DatabaseError, database_url
    from mmp_assets.recipes import load_recipes
    from mmp_resources import project_root

    recipes, lines = load_recipes(project_root()), []
    for key in sources:
        source = recipes.sources.get(key.path[-1])
        if source is not None and source.connection is not None:
            try:
                database_url(source, recipes.file_of("source", source.name))
            except DatabaseError as exc:
                lines.append(str(exc))
    return lines


def partition_problems(defs: dg.Definitions, keys: list[dg.AssetKey], partition: str | None) -> list[str]:
    """Why `--partition` cannot apply to the selection (none when it can, or when it is not given)."""
    graph = defs.resolve_asset_graph()
    partitioned = {k.to_user_string(): graph.get(k).partitions_def for k in keys if graph.get(k).partitions_def is not None}
    if partition is None:
        return [f"--partition: {name} is partitioned; name one partition, such as --partition {d.get_last_partition_key()}"
                for name, d in partitioned.items()]
    if not partitioned:
        return [f"--partition: {partition}: no selected asset is partitioned; leave --partition out"]
    if len(set(partitioned.values())) > 1:
        return [f"--partition: the selection has assets with different partitions ({', '.join(partitioned)}); select one recipe's"]
    definition = next(iter(partitioned.values()))
    if not definition.has_partition_key(partition):
        keys_ = definition.get_partition_keys()
        span = f"{keys_[0]} to {keys_[-1]}" if keys_ else "none yet"
        return [f"--partition: {partition} is not a partition of {', '.join(partitioned)}; its partitions: {span}"]
    return []


def executor_problems() -> list[str]:
    """Why the environment's executor cannot take a run now: with kind celery and no worker answering on the
    broker, dagster-celery would queue the first step and wait for it forever."""
    from mmp_resources import load_config, project_root
    from mmp_resources.postgres import safe_url
    from mmp_resources.workers import CeleryWorkers

    root = project_root()
    config = load_config(root)
    workers = CeleryWorkers(config, root)
    if not workers.enabled:
        return []
    broker = safe_url(config.dagster.executor.broker_url.get_secret_value())
    try:
        answering = workers.answering(timeout_s=2.0)
    except Exception as exc:  # kombu/redis connection errors
        return [f"config/{config.env}.yaml: dagster.executor.broker_url: {broker} is unreachable ({str(exc).strip().splitlines()[0]})"]
    if not answering:
        return [f"config/{config.env}.yaml: dagster.executor.kind: 'celery' but no Celery worker answers on {broker} under prefix "
                f"{config.dagster.executor.key_prefix!r}; start some with `mmp services up --workers 2`"]
    return []


def identity_problems(defs: dg.Definitions, keys: list[dg.AssetKey]) -> list[str]:
    """Why this process cannot act under MLflow auth (credentials missing, rejected, or the server down) when the
    selection writes to MLflow (an asset of kind `mlflow`): every such step would fail with it, so it is said once,
    before the run starts."""
    from mmp_resources import load_config, project_root
    from mmp_resources.identity import IdentityRefused, acting_identity

    config = load_config(project_root())
    graph = defs.resolve_asset_graph()
    if config.mlflow.auth != "basic" or not any("dagster/kind/mlflow" in graph.get(k).tags for k in keys):
        return []
    try:
        acting_identity(config)
    except IdentityRefused as exc:
        return [str(exc)]
    return []

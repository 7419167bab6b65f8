"""`mmp services up|down|status` (the dev environment's local services) and `mmp online get <view> <entity>`."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    services = subparsers.add_parser("services", help="start, stop or inspect the dev services (MLflow server, databases, Celery workers)")
    actions = services.add_subparsers(dest="action", metavar="<action>", required=True)
    up = actions.add_parser("up", help="create missing PostgreSQL databases and start `mlflow server` on loopback")
    up.add_argument("--timeout", type=float, default=90, help="seconds to wait for the MLflow server's /health")
    up.add_argument("--workers", type=_count, default=0, metavar="N",
                    help="also start N Celery workers (separate processes, one step at a time each) when dagster.executor.kind is celery")
    up.set_defaults(func=_up)
    actions.add_parser("down", help="stop the MLflow server and the Celery workers `mmp services up` started").set_defaults(func=_down)
    actions.add_parser("status", help="show whether each configured service answers").set_defaults(func=_status)

    online = subparsers.add_parser("online", help="read the online feature store (Redis)")
    online_actions = online.add_subparsers(dest="action", metavar="<action>", required=True)
    get = online_actions.add_parser("get", help="print the latest feature values of one entity as JSON")
    get.add_argument("view", help="feature view name (recipes/features/<view>.yaml)")
    get.add_argument("entity", help="entity key; a composite key's values joined by |")
    get.set_defaults(func=_online_get)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers; give 0 or more, e.g. --workers 2")
    return int(text)


def _up(args: argparse.Namespace) -> int:
    from mmp_resources import load_config, project_root
    from mmp_resources.instance import ensure_instance_home
    from mmp_resources.postgres import ensure_databases, safe_url
    from mmp_resources.services import MlflowServer
    from mmp_resources.workers import CeleryWorkers

    root = project_root()
    config = load_config(root)
    if args.workers and not CeleryWorkers(config, root).enabled:  # said before anything starts
        print(f"--workers {args.workers}: config/{config.env}.yaml runs steps with dagster.executor.kind "
              f"{config.dagster.executor.kind!r}, not on Celery workers; use MMP_ENV=dev or set kind: celery", file=sys.stderr)
        return 1
    created = ensure_databases(config)
    for name in created:
        print(f"postgres: created database {name}")
    home = ensure_instance_home(config, root)
    print(f"dagster: instance home {home} (export DAGSTER_HOME={home})")
    server = MlflowServer(config)
    if server.managed:
        print(f"mlflow: {server.start(timeout_s=args.timeout)}")
    else:
        print(f"mlflow: tracking at {safe_url(config.tracking_uri)} (not managed by mmp in env {config.env!r})")
    if config.mlflow.auth == "basic":
        print(f"mlflow: auth basic; the admin is MLFLOW_AUTH_ADMIN_USERNAME (default admin) with MLFLOW_AUTH_ADMIN_PASSWORD, "
              "add people with `mmp users add <name>`; each exports their own MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD")
    if args.workers:
        if config.mlflow.auth == "basic":  # a worker without credentials would fail every MLflow step with HTTP 401
            from mmp_resources.identity import acting_identity

            print(f"celery: steps act as MLflow user {acting_identity(config).name} (this shell's credentials)")
        for line in CeleryWorkers(config, root, dagster_home=home).start(args.workers):
            print(f"celery: {line}")
    return 0


def _down(args: argparse.Namespace) -> int:
    from mmp_resources import load_config, project_root
    from mmp_resources.services import MlflowServer
    from mmp_resources.workers import CeleryWorkers

    root = project_root()
    config = load_config(root)
    workers = CeleryWorkers(config, root)
    if workers.enabled or workers.indexes():
        for line in workers.stop():
            print(f"celery: {line}")
    print(f"mlflow: {MlflowServer(config).stop()}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from mmp_resources import OnlineStoreResource, load_config, project_root
    from mmp_resources.postgres import database_exists, postgres_urls, safe_url
    from mmp_resources.services import MlflowServer

    root = project_root()
    config = load_config(root)
    ok = True
    print(f"env: {config.env}")
    for field, url in postgres_urls(config).items():
        try:
            state = "ok" if database_exists(url) else "missing (run `mmp services up`)"
        except Exception as exc:  # psycopg2 connection errors vary; the message is what matters
            state = f"unreachable: {str(exc).strip().splitlines()[0]}"
        ok &= state == "ok"
        print(f"postgres: {field} -> {safe_url(url)}: {state}")
    server = MlflowServer(config)
    if server.managed:
        healthy = server.healthy()
        ok &= healthy
        print(f"mlflow: {server.url}: {'ok' if healthy else 'down'} (pid {server.pid() or '-'})")
    store = OnlineStoreResource(project_dir=str(project_root()), env=config.env)
    if store.enabled:
        try:
            state = "ok" if store.ping() else "no answer"
        except Exception as exc:  # redis connection errors
            state = f"unreachable: {exc}"
        ok &= state == "ok"
        print(f"redis: prefix {store.key_prefix!r}: {state}")
    ok &= _workers_status(config, root)
    return 0 if ok else 1


def _workers_status(config, root) -> bool:
    """One line per Celery worker answering on the broker (any host), marking those this host started."""
    from mmp_resources.postgres import safe_url
    from mmp_resources.workers import CeleryWorkers

    workers = CeleryWorkers(config, root)
    if not workers.enabled:
        return True
    broker = safe_url(config.dagster.executor.broker_url.get_secret_value())
    try:
        answering = workers.answering()
    except Exception as exc:  # kombu/redis connection errors
        print(f"celery: broker {broker}: unreachable: {str(exc).strip().splitlines()[0]}")
        return False
    local = {workers.name(index): workers.pid(index) for index in workers.indexes()}
    for name in sorted(answering | set(local)):
        pid = local.get(name)
        state = "ok" if name in answering else "not answering"
        print(f"celery: {name}: {state} (pid {pid or '-'}{', started here' if name in local else ''})")
    if not answering:
        print(f"celery: no worker answers on {broker} (run `mmp services up --workers N`)")
    return bool(answering)


def _online_get(args: argparse.Namespace) -> int:
    from mmp_assets.online.read import current_version, get_latest
    from mmp_assets.recipes import load_recipes
    from mmp_resources import OnlineStoreResource, load_config, project_root
    from mmp_resources.online_store import OnlineStoreNotConfigured

    root = project_root()
    config = load_config(root)
    recipes = load_recipes(root)
    view = recipes.views.get(args.view)
    if view is None:
        print(f"recipes/features/{args.view}.yaml: no such feature view; known: {', '.join(sorted(recipes.views))}", file=sys.stderr)
        return 1
    store = OnlineStoreResource(project_dir=str(root), env=config.env)
    try:
        values = get_latest(store, view, args.entity)
    except OnlineStoreNotConfigured as exc:
        print(exc, file=sys.stderr)
        return 1
    if values is None:
        version = current_version(store, view.name)
        why = "the view was never pushed" if version is None else f"no entity {args.entity!r} in version {version}"
        print(f"features/{view.name}: {why}", file=sys.stderr)
        return 1
    print(json.dumps({"view": view.name, "version": current_version(store, view.name), "entity": args.entity, **values}, indent=2))
    return 0

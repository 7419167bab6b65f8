"""Where a run's steps execute, per environment: Dagster's own executors, configured from `dagster.executor`.

`in_process` (base) needs nothing. `celery` (dev) is dagster-celery's `celery_executor` on a Redis broker;
the workers `mmp services up --workers N` starts build their Celery app from the same settings
(`celery_settings`), so the two always agree on broker, key prefix and queue. `k8s` (prod) is
dagster-k8s's `k8s_job_executor`, a Kubernetes Job per step, with the image, namespace and secrets of
the Kubernetes run launcher. Importing this module imports neither Celery nor Kubernetes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmp_resources.settings import PlatformConfig

if TYPE_CHECKING:
    import dagster as dg

# dagster-celery's defaults for the broker's reconnects, kept when mmp adds its key prefix.
_BROKER_RETRIES = {"max_retries": 3, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def celery_settings(config: PlatformConfig) -> dict:
    """The `celery_executor` config: broker and result backend on Redis, every key under `<key_prefix>:celery:`."""
    executor = config.dagster.executor
    url = executor.broker_url.get_secret_value() if executor.broker_url else None
    prefix = {"global_keyprefix": f"{executor.key_prefix}:celery:"}
    return {
        "broker": url,
        "backend": url,  # results in the same Redis: dagster-celery's default `rpc://` needs an AMQP broker
        "config_source": {
            "broker_transport_options": _BROKER_RETRIES | prefix,
            "result_backend_transport_options": prefix,
            "result_expires": 3600,  # a step's events are read once, by the run that sent it
            "worker_hijack_root_logger": False,
        },
    }


def celery_app(config: PlatformConfig):
    """dagster-celery's Celery app on this environment's broker, as `dagster-celery worker start -y` builds it."""
    from dagster_celery.executor import CeleryExecutor
    from dagster_celery.make_app import make_app

    return make_app(CeleryExecutor.for_cli(**celery_settings(config)).app_args())


def k8s_step_settings(config: PlatformConfig) -> dict:
    """The `k8s_job_executor` config: each step a Kubernetes Job like the run's own (dagster.run_launcher)."""
    launcher = config.dagster.run_launcher
    settings: dict = {
        "job_image": launcher.image,
        "job_namespace": launcher.namespace or "default",
        "load_incluster_config": True,
        "env_secrets": list(launcher.env_secrets),
        "env_vars": list(launcher.env_vars),
    }
    if launcher.service_account:
        settings["service_account_name"] = launcher.service_account
    if config.dagster.executor.max_concurrent:
        settings["max_concurrent"] = config.dagster.executor.max_concurrent
    return settings


def executor_definition(config: PlatformConfig) -> dg.ExecutorDefinition:
    """The Definitions' executor for this environment.

    `in_process` is Dagster's `in_process_executor`, as documented: left unset, Dagster's default runs
    each step of a run the daemon or the UI launches in a process of its own, and each of those processes
    imports mmp, pandas, scikit-learn and MLflow again before its first line of work (`mmp materialize`
    already runs in process: `execute_in_process` ignores the executor)."""
    kind = config.dagster.executor.kind
    if kind == "celery":
        from dagster_celery import celery_executor

        return celery_executor.configured(celery_settings(config), name="celery")
    if kind == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor.configured(k8s_step_settings(config), name="k8s")
    import dagster as dg

    return dg.in_process_executor

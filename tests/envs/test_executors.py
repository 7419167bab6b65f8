"""Each environment's executor: built from its config, accepted by the executor's own config schema, no secret leaked.
(The Celery workers running a demo's steps are proven in test_dev_demo.py; prod's Kubernetes executor needs no cluster here.)"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from dagster._config import process_config
from dagster._core.remote_representation.external_data import RepositorySnap
from dagster._serdes import serialize_value

from mmp_assets.definitions import build_definitions
from mmp_resources import MmpValidationError, load_config
from mmp_resources.executors import celery_app, celery_settings, k8s_step_settings
from mmp_resources.sandbox import REDIS_URL

from .test_config_envs import PROD_ENV

# A password in the broker URL (the test Redis has none and answers anyway), so a leak would show.
BROKER = "redis://:s3cret-broker@127.0.0.1:6379/15"


@pytest.fixture
def dev(project: Path, monkeypatch: pytest.MonkeyPatch):
    """MMP_ENV=dev with the broker on the test Redis under a key prefix of its own, whose keys are removed afterwards."""
    import redis

    prefix = f"mmp_t{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("MMP_ENV", "dev")
    monkeypatch.setenv("MMP_CELERY_BROKER_URL", BROKER)
    monkeypatch.setenv("MMP_REDIS_PREFIX", prefix)
    yield project
    client = redis.Redis.from_url(REDIS_URL)
    if keys := list(client.scan_iter(match=f"{prefix}:*", count=1000)):
        client.delete(*keys)


def test_prod_steps_run_as_kubernetes_jobs_configured_from_prod_yaml(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster_k8s import k8s_job_executor

    for key, value in PROD_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MMP_ENV", "prod")
    config = load_config(project)
    settings = k8s_step_settings(config)
    checked = process_config(k8s_job_executor.config_schema.config_type, settings)
    assert checked.success, checked.errors
    assert settings == {"job_image": "registry.example/mmp:1.0", "job_namespace": "mmp", "load_incluster_config": True,
                        "env_secrets": ["mmp-secrets"], "env_vars": [], "service_account_name": "mmp-runs", "max_concurrent": 8}
    assert build_definitions().resolve_implicit_global_asset_job_def().executor_def.name == "k8s"


def test_dev_steps_go_to_celery_on_the_projects_redis_prefix_and_the_broker_password_stays_in_memory(dev: Path) -> None:
    from dagster_celery import celery_executor

    config = load_config(dev)
    settings = celery_settings(config)
    assert process_config(celery_executor.config_schema.config_type, settings).success
    app = celery_app(config)
    prefix = f"{config.dagster.executor.key_prefix}:celery:"
    assert app.conf.broker_url == BROKER and app.conf.broker_transport_options["global_keyprefix"] == prefix
    assert app.conf.result_backend_transport_options["global_keyprefix"] == prefix
    defs = build_definitions()
    assert defs.resolve_implicit_global_asset_job_def().executor_def.name == "celery"
    snapshot = serialize_value(RepositorySnap.from_def(defs.get_repository_def()))  # what the UI and the run storage see
    assert "s3cret" not in snapshot and "s3cret" not in str(config.snapshot())


def test_base_runs_steps_in_process(project: Path) -> None:
    assert load_config(project).dagster.executor.kind == "in_process"
    defs = build_definitions()
    # every job, the sensors' retrain jobs included: a run the daemon or the UI launches runs its steps in its own process
    jobs = [defs.resolve_implicit_global_asset_job_def(), *(defs.resolve_job_def(job.name) for job in defs.jobs)]
    assert {job.name: job.executor_def.name for job in jobs} == {job.name: "in_process" for job in jobs}


@pytest.mark.parametrize(
    ("overlay", "message"),
    [
        ("  executor:\n    kind: celery\n",
         "dagster.executor: kind 'celery' needs dagster.executor.broker_url (a redis:// URL, from MMP_CELERY_BROKER_URL)"),
        ("  executor:\n    kind: celery\n    broker_url: amqp://127.0.0.1//\n",
         "dagster.executor.broker_url: scheme 'amqp' is not supported; allowed: redis://, rediss:// (Redis is the broker mmp runs Celery on)"),
        ("  executor:\n    kind: k8s\n",
         "dagster: executor kind 'k8s' needs dagster.run_launcher.kind 'k8s' (its image, namespace and secrets are the steps' too)"),
    ],
)
def test_a_bad_executor_is_one_line_naming_the_field(project: Path, monkeypatch: pytest.MonkeyPatch, overlay: str, message: str) -> None:
    monkeypatch.setenv("MMP_ENV", "dev")
    (project / "config" / "dev.yaml").write_text("dagster:\n" + overlay)
    with pytest.raises(MmpValidationError) as caught:
        load_config(project)
    # the loader masks every value under a section holding a secret (the broker URL may carry a password)
    assert str(caught.value) == f"config/base.yaml + config/dev.yaml: {message} (got a value not shown, as it may hold a secret)"


@pytest.mark.services
def test_materialize_without_a_worker_is_refused_before_any_run(dev: Path, capsys: pytest.CaptureFixture) -> None:
    """dagster-celery would queue the first step and wait forever for a worker: mmp says so instead."""
    from mmp_assets.cli.materialize import materialize_selection

    assert materialize_selection("fraud/training_set") == 1
    prefix = load_config(dev).dagster.executor.key_prefix
    assert capsys.readouterr().err.splitlines() == [
        "config/dev.yaml: dagster.executor.kind: 'celery' but no Celery worker answers on redis://:***@127.0.0.1:6379/15 "
        f"under prefix {prefix!r}; start some with `mmp services up --workers 2`"]


@pytest.mark.services
def test_workers_start_answer_show_in_status_and_stop(dev: Path, capsys: pytest.CaptureFixture) -> None:
    from mmp_assets.cli.preflight import executor_problems
    from mmp_assets.cli.services import _workers_status
    from mmp_resources.workers import CeleryWorkers

    config = load_config(dev)
    workers = CeleryWorkers(config, dev)
    try:
        assert workers.start(1) == [f"{workers.name(1)}: started (pid {workers.pid(1)})"]
        assert workers.start(1) == [f"{workers.name(1)}: already running (pid {workers.pid(1)})"]
        assert executor_problems() == []
        assert _workers_status(config, dev)
        assert capsys.readouterr().out == f"celery: {workers.name(1)}: ok (pid {workers.pid(1)}, started here)\n"
    finally:
        pid = workers.pid(1)
        assert workers.stop() == [f"{workers.name(1)}: stopped (pid {pid})"]
    assert workers.pid(1) is None and workers.answering() == set()
    log = (workers.state_dir / "celery-1.log").read_text()
    assert "mmp-1@" in log and "s3cret" not in log  # Celery's banner masks the broker password


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["services", "up", "--workers", "2"],
         "--workers 2: config/base.yaml runs steps with dagster.executor.kind 'in_process', not on Celery workers; "
         "use MMP_ENV=dev or set kind: celery"),
        (["services", "up", "--workers", "two"],
         "argument --workers: 'two' is not a number of workers; give 0 or more, e.g. --workers 2"),
    ],
)
def test_workers_asked_of_an_environment_without_celery_is_one_line_before_anything_starts(
    project: Path, capsys: pytest.CaptureFixture, argv: list[str], line: str
) -> None:
    from mmp_assets.cli.main import main

    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's usage error
        code = exit_.code
    assert code != 0
    assert line in capsys.readouterr().err.splitlines()[-1]
    assert not (project / ".mmp" / "services").exists()

"""A model trained from PostgreSQL through `mmp materialize --param`, as a user runs it: the values used
reach the metadata and the lineage audit, and the password reaches nothing mmp, Dagster or MLflow wrote."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.feature_store.warehouse import URL_ENV, private_warehouse

pytestmark = [pytest.mark.services, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
TABLES = [
    "CREATE SCHEMA app",
    "CREATE TABLE app.events AS SELECT 'u' || (i % 20) AS user_id, timestamp '2024-01-01' + i * interval '1 hour' AS event_time, "
    "(i % 7)::float8 AS amount, (i % 3 = 0)::int AS label FROM generate_series(1, 400) AS i",
    "CREATE TABLE app.profiles AS SELECT 'u' || (i % 20) AS user_id, timestamp '2023-12-31' + (i / 20) * interval '1 day' AS as_of, "
    "(i % 5)::float8 AS score FROM generate_series(0, 399) AS i",
]
RECIPES = {
    "sources/events.yaml": {"description": "App events with a label", "owner": "team:test", "connection": {"url_env": URL_ENV},
                            "query": "SELECT * FROM app.events WHERE event_time < {{ until }}", "params": {"until": "2030-01-01"}},
    "sources/profiles.yaml": {"description": "Daily user scores", "owner": "team:test", "connection": {"url_env": URL_ENV},
                              "table": "app.profiles"},
    "features/profile.yaml": {"description": "User score", "owner": "team:test", "entity": "user_id", "timestamp": "as_of",
                              "source": "profiles"},
    "m.yaml": {"description": "Label from amount and score", "owner": "team:test", "task": "classification",
               "spine": {"source": "events", "entity": "user_id", "timestamp": "event_time", "label": "label", "columns": ["amount"]},
               "features": [{"view": "profile"}], "model": {"class_path": "sklearn.linear_model.LogisticRegression"},
               "tuning": {"metric": "roc_auc", "n_trials": 1}},
}


def _project(root: Path) -> None:
    shutil.copytree(REPO / "config", root / "config")
    for relative, recipe in RECIPES.items():
        path = root / "recipes" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump({"name": path.stem, **recipe}, sort_keys=False))


def _mmp(root: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mmp_assets.cli", *args], capture_output=True, text=True, cwd=root, env=env, timeout=600)


def test_a_model_from_postgres_records_its_params_and_never_the_password(tmp_path):
    root = tmp_path / "project"
    _project(root)
    with private_warehouse() as warehouse:
        warehouse.execute(*TABLES)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MMP_")} | {
            "MMP_PROJECT_DIR": str(root), "MMP_DATA_DIR": str(root / ".mmp"), URL_ENV: warehouse.url}
        outputs = []
        done = _mmp(root, env, "materialize", "--select", "*m/model", "--param", "until=2024-01-15")
        outputs.append(done.stdout + done.stderr)
        assert done.returncode == 0, done.stdout + done.stderr
        audit = _mmp(root, env, "lineage", "audit", "m", "--format", "json")
        outputs.append(audit.stdout + audit.stderr)
        report = json.loads(audit.stdout)
        assert report["training_set"]["params"] == {"sources/events": {"until": "2024-01-15"}}
        assert report["training_set"]["row_count"] == 14 * 24 - 1  # events before the 15th, hourly from 01:00 on the 1st

        unset = _mmp(root, {k: v for k, v in env.items() if k != URL_ENV}, "materialize", "--select", "m/training_set")
        assert unset.returncode == 1 and unset.stderr.splitlines() == [
            f"recipes/sources/{name}.yaml: connection.url_env: environment variable {URL_ENV} is not set; "
            "export it with the database URL, such as postgresql://user:***@host:5432/database" for name in ("events", "profiles")
        ], unset.stderr  # before any run starts: no Dagster output at all

        bad = env | {URL_ENV: warehouse.url.replace("127.0.0.1:", "127.0.0.1:1")}  # a port nothing listens on
        failed = _mmp(root, bad, "materialize", "--select", "m/training_set")
        outputs.append(failed.stdout + failed.stderr)
        summary = failed.stderr.strip().splitlines()[-3:]  # mmp's own report, after Dagster's log
        assert failed.returncode == 1
        assert summary[0].startswith(
            f"observe_source_events: recipes/sources/events.yaml: connection: cannot connect to ${URL_ENV}: IO Error: Unable to connect"
        ), failed.stderr
        assert summary[1].startswith("observe_source_profiles: recipes/sources/profiles.yaml: connection: cannot connect")
        assert summary[2].startswith("run ") and summary[2].split()[-3:-1] == ["failed", "after"]

        secret = warehouse.password.encode()
        leaked = [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and secret in p.read_bytes()]
        assert leaked == [], leaked  # DuckDB store, Dagster run and event storage, compute logs, MLflow store and artifacts
        assert not [text for text in outputs if warehouse.password in text]

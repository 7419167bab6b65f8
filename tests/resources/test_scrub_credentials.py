"""A tracking URI with `user:password@` never shows its password: not in MLflow's "View run" links, not in
what a step prints or logs, not on the terminal, not in Dagster's compute logs or event log."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mmp_resources.scrub import scrub

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "pw-Sil3nt-secret"

STEP = """
import logging, sys
import dagster as dg
import mlflow
from pathlib import Path
from mmp_resources import build_resources, load_config
from mmp_resources.tracking import MlflowResource

root = Path(sys.argv[1])

@dg.asset
def tracked(context, mlflow: MlflowResource):
    client = mlflow.client()
    experiment = mlflow.experiment_id("scrub")
    import mlflow as ml
    with ml.start_run(experiment_id=experiment):
        ml.log_param("p", 1)
    uri = mlflow.config.tracking_uri
    print(f"printed {uri}")
    logging.getLogger("some.library").warning("library logged %s", uri)
    context.log.info(f"step logged {uri}")
    return 1

resources = build_resources(load_config(root), root)
result = dg.materialize([tracked], resources={"mlflow": resources["mlflow"]}, instance=dg.DagsterInstance.get())
assert result.success
print("run", result.run_id)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_scrub_masks_the_password_of_every_url():
    assert scrub("at: http://mmp:s3cr3t@db:5000/#/x and postgresql://u:p%40ss@h/db") == "at: http://mmp:***@db:5000/#/x and postgresql://u:***@h/db"
    assert scrub("no credentials: http://host:5000/a@b") == "no credentials: http://host:5000/a@b"


@pytest.mark.slow
def test_a_run_against_a_tracking_uri_with_credentials_prints_and_stores_no_password(tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}", "--artifacts-destination", str(tmp_path / "artifacts")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "mlflow server did not start"
            time.sleep(1)
        project = tmp_path / "project"
        (project / "recipes").mkdir(parents=True)
        shutil.copytree(REPO / "config", project / "config")
        base = project / "config" / "base.yaml"  # secrets only from the environment
        base.write_text(base.read_text().replace("tracking_uri: sqlite:///mlflow.db", "tracking_uri: ${MMP_TEST_TRACKING_URI}"))
        home = tmp_path / "dagster_home"
        home.mkdir()
        env = {**os.environ, "MMP_PROJECT_DIR": str(project), "MMP_DATA_DIR": str(tmp_path / "data"), "DAGSTER_HOME": str(home),
               "MMP_TEST_TRACKING_URI": f"http://mmp:{PASSWORD}@127.0.0.1:{port}"}
        env.pop("MMP_ENV", None)
        env.pop("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", None)
        done = subprocess.run([sys.executable, "-c", STEP, str(project)], env=env, capture_output=True, text=True, timeout=300, cwd=project)
        assert done.returncode == 0, done.stderr[-3000:]
        assert PASSWORD not in done.stdout + done.stderr
        assert f"printed http://mmp:***@127.0.0.1:{port}" in done.stdout  # the step's print happened, masked
        stored = [p for p in home.rglob("*") if p.is_file()]
        assert any(p.suffix in {".out", ".err", ".complete"} or "compute_logs" in str(p) for p in stored)
        leaked = [str(p) for p in stored if PASSWORD.encode() in p.read_bytes()]
        assert leaked == []
        logs = b"".join(p.read_bytes() for p in stored if "compute_logs" in str(p) or p.suffix in {".out", ".err"})
        assert b"library logged http://mmp:***@" in logs or b"library logged http://mmp:***@" in (done.stderr.encode())
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

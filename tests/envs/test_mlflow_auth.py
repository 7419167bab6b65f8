"""Approvals by authenticated people: a real `mlflow server --app-name basic-auth` (started as `mmp services up`
starts it, SQLite stores under tmp_path), three users made through its admin API, a version registered by
tuning under alice's credentials, then `mmp models promote` as alice, carol and bob in fresh processes.
Every password is looked for in the server log, the audit log, the version's and run's tags/params and the
CLI output: none may appear."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from mmp_assets.registry.evidence import record_gate
from mmp_assets.training.tuning import tune_model
from mmp_resources.audit_log import AuditLog
from mmp_resources.identity import IdentityRefused, acting_identity
from mmp_resources.loader import load_config
from mmp_resources.services import MlflowServer
from mmp_resources.studies import StudyStorageResource
from mmp_resources.tracking import MlflowResource
from tests.training.toys import make_recipe, make_training_set

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
MMP = str(Path(sys.executable).with_name("mmp"))
PASSWORDS = {"admin": "Adm1n-pw-7c1f9e", "alice": "Al1ce-pw-3b8d2a", "bob": "B0b-pw-9e4c17", "carol": "Car0l-pw-52aa60"}
RECIPE = make_recipe(tuning={"n_trials": 1, "metric": "f1"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _admin(url: str, path: str, payload: dict) -> dict:
    token = base64.b64encode(f"admin:{PASSWORDS['admin']}".encode()).decode()
    request = urllib.request.Request(f"{url}{path}", data=json.dumps(payload).encode(), method="POST",
                                     headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback test server
        return json.loads(response.read() or b"{}")


def _as(monkeypatch: pytest.MonkeyPatch, user: str) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", user)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORDS[user])


@pytest.fixture
def authed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """MMP_ENV=dev with `mlflow.auth: basic`, a tracking server on a free loopback port, users alice, bob, carol."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "config", root / "config")
    port = _free_port()
    env = {"MMP_PROJECT_DIR": str(root), "MMP_DATA_DIR": str(root / ".mmp"), "MMP_ENV": "dev", "MMP_MLFLOW_AUTH": "basic",
           "MMP_MLFLOW_TRACKING_URI": f"http://127.0.0.1:{port}",
           "MMP_MLFLOW_BACKEND_STORE_URI": f"sqlite:///{tmp_path / 'mlflow.db'}", "MMP_OPTUNA_STORAGE": "journal",
           "MLFLOW_AUTH_ADMIN_USERNAME": "admin", "MLFLOW_AUTH_ADMIN_PASSWORD": PASSWORDS["admin"]}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MMP_USER", raising=False)
    config = load_config(root, "dev")
    server = MlflowServer(config)
    try:
        server.start(timeout_s=180)
        monkeypatch.delenv("MLFLOW_AUTH_ADMIN_PASSWORD")  # only the server needed it
        for user in ("alice", "bob", "carol"):
            _admin(server.url, "/api/2.0/mlflow/users/create", {"username": user, "password": PASSWORDS[user]})
        yield {"root": root, "config": config, "server": server}
    finally:
        server.stop()


def _promote(authed, user: str, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_TRACKING_USERNAME": user, "MLFLOW_TRACKING_PASSWORD": PASSWORDS[user]}
    return subprocess.run([MMP, "models", "promote", "toy", "--version", "1", "--reason", "beats the baseline", *extra],
                          env=env, cwd=authed["root"], capture_output=True, text=True, timeout=180)


def _cli(capsys, *extra: str) -> tuple[int, str, str]:
    from mmp_assets.cli.main import main

    capsys.readouterr()
    code = main(["models", "promote", "toy", "--version", "1", "--reason", "beats the baseline", *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_only_a_second_authenticated_user_with_permission_can_promote(authed, monkeypatch, capsys):
    config, url = authed["config"], authed["server"].url
    _as(monkeypatch, "alice")
    assert acting_identity(config).name == "alice"
    resources = {"mlflow_resource": MlflowResource(project_dir=str(authed["root"]), env="dev"),
                 "study_storage": StudyStorageResource(project_dir=str(authed["root"]), env="dev")}
    outcome = tune_model(RECIPE, make_training_set(), config=config, dagster_run_id="run-1", asset_key="toy/model", **resources)
    client, audit = resources["mlflow_resource"].client(), AuditLog.for_data_dir(config.data_dir)
    run_id = client.get_model_version("toy", outcome.version).run_id
    record_gate(client, audit, "toy", outcome.version, run_id=run_id, rules={"f1": ">= 0"}, metrics={"f1": 0.5},
                checks=[], passed=True, message="")  # the evaluation's record, as the evaluation asset writes it
    register = [e for e in audit.entries(kind="model") if e["action"] == "register"]
    assert [(e["actor"], e["details"]["identity_source"]) for e in register] == [("alice", "mlflow basic-auth")]
    assert client.get_run(run_id).data.tags["mlflow.user"] == "alice"
    _admin(url, "/api/3.0/mlflow/users/permissions/grant",
           {"username": "bob", "resource_type": "registered_model", "resource_id": "toy", "permission": "EDIT"})

    alice = _promote(authed, "alice")
    assert (alice.returncode, alice.stdout) == (1, "")
    assert alice.stderr.splitlines() == ["refused: alice (approver) trained toy v1 (per audit entry 1, the registration); "
                                         "a second person must approve"], alice.stderr
    carol = _promote(authed, "carol")
    assert (carol.returncode, carol.stdout) == (1, "")
    assert carol.stderr.splitlines() == ["refused: carol has READ on registered model toy; approving needs EDIT or MANAGE "
                                         "(an MLflow admin grants it)"], carol.stderr
    _as(monkeypatch, "carol")  # a typed name is no identity under auth (in-process: refused before any MLflow call)
    typed = _cli(capsys, "--approver", "bob")
    assert typed == (2, "", f"--approver bob: refused under MLflow auth (config/dev.yaml mlflow.auth: basic); the approver "
                            "is the user of MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD, drop --approver\n")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "bob")  # bob's name with carol's password
    wrong = _cli(capsys)
    assert wrong == (1, "", f"refused: the tracking server at {url} rejected the credentials of MLFLOW_TRACKING_USERNAME='bob' "
                            "(HTTP 401); check your MLflow username and password\n")
    _as(monkeypatch, "alice")  # this process reads MLflow as alice from here on
    bob = _promote(authed, "bob")
    assert bob.returncode == 0, bob.stderr
    assert bob.stdout.splitlines() == ["toy: champion (none) -> v1 (approved by bob)"]
    assert client.get_registered_model("toy").aliases["champion"] == "1"
    from mmp_assets.cli.main import main

    _as(monkeypatch, "carol")  # rollback moves champion too: by a user with EDIT or MANAGE only
    capsys.readouterr()
    assert main(["models", "rollback", "toy"]) == 1
    assert capsys.readouterr().err == ("refused: carol has READ on registered model toy; rolling back needs EDIT or MANAGE "
                                       "(an MLflow admin grants it)\n")
    _as(monkeypatch, "alice")

    lifecycle = [(e["action"], e["actor"], e["details"].get("approver"), e["details"].get("identity_source"))
                 for e in audit.entries(kind="model") if e["action"] in ("refuse", "approve", "promote")]
    assert lifecycle == [("refuse", "alice", "alice", "mlflow basic-auth"), ("refuse", "carol", "carol", "mlflow basic-auth"),
                         ("approve", "bob", "bob", "mlflow basic-auth"), ("promote", "bob", None, None),
                         ("refuse", "carol", None, None)]
    assert audit.verify() == []

    version = client.get_model_version("toy", "1")
    run = client.get_run(run_id)
    surfaces = {"server log": authed["server"].log_file.read_text(errors="replace"),
                "audit log": audit.path.read_text(), "version tags": json.dumps(version.tags),
                "model tags": json.dumps(client.get_registered_model("toy").tags),
                "run tags and params": json.dumps({**run.data.tags, **run.data.params}),
                "cli output": "".join(p.stdout + p.stderr for p in (alice, carol, bob)) + typed[2] + wrong[2]}
    leaks = [(where, user) for where, text in surfaces.items() for user, pw in PASSWORDS.items() if pw in text]
    assert leaks == []
    assert "bob" in surfaces["audit log"] and len(surfaces["server log"]) > 0


def test_missing_credentials_are_one_line_before_any_work(tmp_path, monkeypatch):
    shutil.copytree(REPO / "config", tmp_path / "config")
    monkeypatch.setenv("MMP_MLFLOW_AUTH", "basic")
    monkeypatch.setenv("MMP_DATA_DIR", str(tmp_path / ".mmp"))
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD", raising=False)
    with pytest.raises(IdentityRefused) as refused:  # no server is asked: nothing to send it
        acting_identity(load_config(tmp_path, "dev"))
    assert str(refused.value) == ("config/dev.yaml: mlflow.auth is basic but MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD "
                                  "are not set; export your own MLflow credentials (nobody acts by a typed name under auth)")

"""Approvals by authenticated people: a real `mlflow server --app-name basic-auth` (started as `mmp services up`
starts it, SQLite stores under a module tmp dir, once for the module), users added with `mmp users add` as the
admin, a model version registered by tuning and a prompt version published and evaluated, both under alice's
credentials, then `mmp models promote` and `mmp prompts approve|rollback` as alice, carol and bob. Every password
is looked for in the server log, the audit log, tags, params and the CLI output: none may appear."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
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


def _as(monkeypatch: pytest.MonkeyPatch, user: str) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", user)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORDS[user])


def _mmp(capsys, *argv: str) -> tuple[int, str, str]:
    """`mmp <argv>` in this process: (exit code, stdout, stderr)."""
    from mmp_assets.cli.main import main

    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """MMP_ENV=dev (`mlflow.auth: basic` by default), a tracking server on a free loopback port, and users alice,
    bob and carol created with `mmp users add` as the admin (password from MMP_NEW_USER_PASSWORD). One per module."""
    from mmp_assets.cli.main import main

    tmp = tmp_path_factory.mktemp("auth")
    root = tmp / "project"
    shutil.copytree(REPO / "config", root / "config")
    shutil.copytree(REPO / "recipes" / "prompts", root / "recipes" / "prompts")
    port = _free_port()
    env = {"MMP_PROJECT_DIR": str(root), "MMP_DATA_DIR": str(root / ".mmp"), "MMP_ENV": "dev",
           "MMP_MLFLOW_TRACKING_URI": f"http://127.0.0.1:{port}",
           "MMP_MLFLOW_BACKEND_STORE_URI": f"sqlite:///{tmp / 'mlflow.db'}", "MMP_OPTUNA_STORAGE": "journal",
           "MLFLOW_AUTH_ADMIN_USERNAME": "admin"}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        for key in ("MMP_MLFLOW_AUTH", "MMP_USER", "MMP_PROMPT_RESPONDER", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
            mp.delenv(key, raising=False)
        mp.setenv("MLFLOW_AUTH_ADMIN_PASSWORD", PASSWORDS["admin"])
        config = load_config(root, "dev")
        assert config.mlflow.auth == "basic"  # dev's default
        started = MlflowServer(config)
        try:
            started.start(timeout_s=180)
            for user in ("alice", "bob", "carol"):
                mp.setenv("MMP_NEW_USER_PASSWORD", PASSWORDS[user])
                assert main(["users", "add", user]) == 0
            mp.delenv("MMP_NEW_USER_PASSWORD")
            mp.delenv("MLFLOW_AUTH_ADMIN_PASSWORD")  # the server needed it; `mmp users` calls set it again
            yield {"root": root, "config": config, "server": started}
        finally:
            started.stop()


@pytest.fixture
def authed(server):
    return server


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
    monkeypatch.setenv("MLFLOW_AUTH_ADMIN_PASSWORD", PASSWORDS["admin"])
    assert _mmp(capsys, "users", "grant", "bob", "toy", "EDIT") == (0, "bob: EDIT on registered model toy\n", "")
    monkeypatch.delenv("MLFLOW_AUTH_ADMIN_PASSWORD")

    alice = _promote(authed, "alice")
    assert (alice.returncode, alice.stdout) == (1, "")
    assert alice.stderr.splitlines() == ["refused: alice (approver) trained toy v1 (per audit entry 1, the registration); "
                                         "a second person must approve"], alice.stderr
    carol = _promote(authed, "carol")
    assert (carol.returncode, carol.stdout) == (1, "")
    assert carol.stderr.splitlines() == ["refused: carol has READ on registered model toy; approving needs EDIT or MANAGE "
                                         "(an MLflow admin grants it: mmp users grant carol toy EDIT)"], carol.stderr
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
                                       "(an MLflow admin grants it: mmp users grant carol toy EDIT)\n")
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


def test_prompt_approvals_act_as_the_authenticated_user_with_permission_on_the_prompt(authed, monkeypatch, capsys):
    """The prompt's asset records alice (authenticated) as author; alice (its author, MANAGE as creator) is refused,
    carol (no grant on the prompt) is refused, EDIT on the registered model of the same name is not EDIT on the prompt (MLflow keeps
    prompt grants apart), bob with EDIT on the prompt approves; rollback needs the same permission."""
    from mmp_assets.prompts.evaluation_run import evaluate_registered
    from mmp_assets.prompts.publish import publish_prompt
    from mmp_assets.prompts.registry import EVALUATION_RUN, PromptRegistry
    from mmp_assets.recipes import load_recipes

    root, config = authed["root"], authed["config"]
    recipes = load_recipes(root)
    prompt = recipes.prompts["support_reply"]
    _as(monkeypatch, "alice")
    mlflow_resource = MlflowResource(project_dir=str(root), env="dev")
    registry, audit = PromptRegistry(mlflow_resource.client()), AuditLog.for_data_dir(config.data_dir)
    alice = acting_identity(config)  # as the prompt's assets call it (their wiring is checked by tests/envs/test_dev_demo.py)
    publish_prompt(registry, prompt, dagster_run_id="run-p", audit=audit, identity=alice)
    dataset = recipes.files[("prompt", prompt.name)].parent / prompt.evaluation.dataset
    evaluate_registered(prompt, dataset, str(dataset), registry=registry, client=mlflow_resource.client(),
                        experiment_id=mlflow_resource.experiment_id("prompts/support_reply"), audit=audit,
                        dagster_run_id="run-p", identity=alice)
    assert registry.version("support_reply", 1).tags["mmp.author"] == "alice"
    assert {(e["action"], e["actor"], e["details"].get("identity_source")) for e in audit.entries(kind="prompt")} == {
        ("register", "alice", "mlflow basic-auth"), ("alias", "alice", "mlflow basic-auth"), ("evaluate", "alice", "mlflow basic-auth")}

    outputs = [_mmp(capsys, "prompts", "approve", "support_reply", "1")]  # alice, its author
    assert outputs[-1] == (1, "", "refused: alice (approver) is the author of support_reply v1 (alice); a second person must approve\n")
    _as(monkeypatch, "carol")
    outputs.append(_mmp(capsys, "prompts", "approve", "support_reply", "1"))
    assert outputs[-1] == (1, "", "refused: carol has no grant on prompt support_reply; approving needs EDIT or MANAGE "
                                  "(an MLflow admin grants it: mmp users grant carol support_reply EDIT --prompt)\n")
    outputs.append(_mmp(capsys, "prompts", "approve", "support_reply", "1", "--approver", "bob"))
    assert outputs[-1] == (2, "", "--approver bob: refused under MLflow auth (config/dev.yaml mlflow.auth: basic); the approver "
                                  "is the user of MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD, drop --approver\n")
    monkeypatch.setenv("MLFLOW_AUTH_ADMIN_PASSWORD", PASSWORDS["admin"])
    assert _mmp(capsys, "users", "grant", "bob", "support_reply", "EDIT") == (0, "bob: EDIT on registered model support_reply\n", "")
    monkeypatch.delenv("MLFLOW_AUTH_ADMIN_PASSWORD")
    _as(monkeypatch, "bob")
    outputs.append(_mmp(capsys, "prompts", "approve", "support_reply", "1"))
    assert outputs[-1][0] == 1 and outputs[-1][2].startswith("refused: bob has no grant on prompt support_reply;"), outputs[-1]
    monkeypatch.setenv("MLFLOW_AUTH_ADMIN_PASSWORD", PASSWORDS["admin"])
    assert _mmp(capsys, "users", "grant", "bob", "support_reply", "EDIT", "--prompt") == (0, "bob: EDIT on prompt support_reply\n", "")
    listed = _mmp(capsys, "users", "list")
    monkeypatch.delenv("MLFLOW_AUTH_ADMIN_PASSWORD")
    assert listed[0] == 0 and [line.split()[:2] for line in listed[1].splitlines()] == [
        ["admin", "admin"], ["alice", "user"], ["bob", "user"], ["carol", "user"]]
    assert "prompt support_reply: EDIT" in listed[1] and "registered_model support_reply: EDIT" in listed[1]

    outputs.append(_mmp(capsys, "prompts", "approve", "support_reply", "1"))
    assert outputs[-1] == (0, "support_reply v1 is now production (approved by bob)\n", "")
    assert registry.aliases("support_reply")["production"] == 1
    _as(monkeypatch, "carol")
    outputs.append(_mmp(capsys, "prompts", "rollback", "support_reply"))
    assert outputs[-1] == (1, "", "refused: carol has no grant on prompt support_reply; rolling back needs EDIT or MANAGE "
                                  "(an MLflow admin grants it: mmp users grant carol support_reply EDIT --prompt)\n")

    decisions = [(e["action"], e["actor"], e["details"].get("approver"), e["details"].get("identity_source"))
                 for e in audit.entries(kind="prompt") if e["action"] in ("refuse", "approve")]
    assert decisions == [("refuse", "alice", "alice", "mlflow basic-auth"), ("refuse", "carol", "carol", "mlflow basic-auth"),
                         ("refuse", "bob", "bob", "mlflow basic-auth"), ("approve", "bob", "bob", "mlflow basic-auth"),
                         ("refuse", "carol", None, "mlflow basic-auth")]
    assert audit.verify(registry.anchors("support_reply")) == []

    client = mlflow_resource.client()
    version = registry.version("support_reply", 1)
    run = client.get_run(version.tags[EVALUATION_RUN])
    surfaces = {"server log": authed["server"].log_file.read_text(errors="replace"), "audit log": audit.path.read_text(),
                "prompt version tags": json.dumps(version.tags),
                "prompt tags": json.dumps(client.get_prompt("support_reply").tags),
                "evaluation run tags and params": json.dumps({**run.data.tags, **run.data.params}),
                "cli output": "".join(out + err for _, out, err in [*outputs, listed])}
    assert [(where, user) for where, text in surfaces.items() for user, pw in PASSWORDS.items() if pw in text] == []


def test_missing_credentials_are_one_line_before_any_work(tmp_path, monkeypatch, capsys):
    shutil.copytree(REPO / "config", tmp_path / "config")
    monkeypatch.delenv("MMP_MLFLOW_AUTH", raising=False)  # dev's default is basic
    monkeypatch.setenv("MMP_DATA_DIR", str(tmp_path / ".mmp"))
    monkeypatch.setenv("MMP_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("MMP_ENV", "dev")
    monkeypatch.setenv("MMP_MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    for key in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_AUTH_ADMIN_PASSWORD", "MMP_NEW_USER_PASSWORD"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(IdentityRefused) as refused:  # no server is asked: nothing to send it
        acting_identity(load_config(tmp_path, "dev"))
    assert str(refused.value) == ("config/dev.yaml: mlflow.auth is basic but MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD "
                                  "are not set; export your own MLflow credentials (nobody acts by a typed name under auth)")
    assert _mmp(capsys, "users", "add", "dave") == (2, "", "mmp users add dave: no password; set MMP_NEW_USER_PASSWORD or run it "
                                                           "in a terminal to be asked\n")  # never an argument
    assert _mmp(capsys, "users", "list") == (1, "", "MLFLOW_AUTH_ADMIN_PASSWORD is not set; managing users needs the MLflow admin's "
                                                    "credentials (MLFLOW_AUTH_ADMIN_USERNAME, default admin, and MLFLOW_AUTH_ADMIN_PASSWORD)\n")


def test_a_password_changed_through_mlflow_is_refused_at_once_though_the_server_caches_credentials(authed, monkeypatch):
    """The server keeps verified credentials for mlflow.auth_cache_ttl_s (60 s): without that cache each request
    ran the scrypt check up to three times. A change made through MLflow's API reaches its one worker at once."""
    from mlflow.server.auth.client import AuthServiceClient

    config, server = authed["config"], authed["server"]
    assert "auth_cache_ttl_seconds = 60\n" in (server.state_dir / "basic_auth.ini").read_text()
    _as(monkeypatch, "carol")
    assert acting_identity(config).name == "carol"  # verified, so cached
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "admin")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORDS["admin"])
    AuthServiceClient(server.url).update_user_password("carol", "Car0l-pw-rotated-e41b")
    _as(monkeypatch, "carol")  # the old password
    with pytest.raises(IdentityRefused, match="rejected the credentials of MLFLOW_TRACKING_USERNAME='carol'"):
        acting_identity(config)

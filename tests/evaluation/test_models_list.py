"""`mmp models list` reads the embedded store with sqlite3 (mmp_resources.registry_reader) and prints exactly what
MlflowClient's answers give, on an honest registry and on one rewritten behind mmp's back; where the reader does
not know what it finds, the command asks MlflowClient instead.

One real MLflow SQLite store for the module, written by real MLflow: versions registered, evaluated (gate records
as artifacts, anchored audit entries) and promoted as mmp records them, then tampered with through MlflowClient.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from mmp_assets.cli.main import main
from mmp_assets.cli.models import _listing
from mmp_assets.registry.lifecycle import promote
from mmp_resources import load_config, registry_reader
from mmp_resources.audit_log import AuditLog
from mmp_resources.registry_reader import Unanswerable, embedded_store
from tests.command_probe import run_probed
from tests.evaluation.conftest import registry_in

REPO = Path(__file__).resolve().parents[2]
NOT_MLFLOW = ("mlflow", "sqlalchemy", "pandas")


@pytest.fixture(scope="module")
def project(tmp_path_factory, empty_mlflow_db):
    """A project on the embedded default whose model `fraud` has honest, tampered and odd versions."""
    root = tmp_path_factory.mktemp("models_list")
    (root / "config").mkdir()
    shutil.copy(REPO / "config" / "base.yaml", root / "config" / "base.yaml")
    with pytest.MonkeyPatch.context() as env:
        _select(env, root)
        config = load_config(root)
        config.data_dir.mkdir(parents=True)
        shutil.copy(empty_mlflow_db, config.data_dir / "mlflow.db")
        client = MlflowClient(tracking_uri=config.tracking_uri, registry_uri=config.registry_uri)
        client.experiment = client.create_experiment("fraud", artifact_location=config.artifact_root)
        audit = AuditLog.for_data_dir(config.data_dir)
        fraud = registry_in(client, audit, "fraud")
        first, second = fraud.add_version(), fraud.add_version()
        promote(client, audit, "fraud", first, approver="bob", reason="first")
        promote(client, audit, "fraud", second, approver="bob", reason="better")
        client.set_registered_model_alias("fraud", "candidate", second)  # two aliases on one version
        flipped = fraud.add_version(gate="failed")
        client.set_model_version_tag("fraud", flipped, "gate", "passed")
        rewritten = fraud.add_version()
        record = audit.entries()[-1]["details"]
        client.log_text(record["run_id"], json.dumps({"model": "fraud", "version": rewritten, "passed": True}), record["record"])
        retagged = fraud.add_version()
        client.set_model_version_tag("fraud", retagged, "mmp.trainer", "mallory")
        client.set_tag(client.get_model_version("fraud", retagged).run_id, "mlflow.user", "mallory")
        by_hand = fraud.add_version(gate=None)  # an evaluation appended to the log, anchored nowhere
        run_id = client.get_model_version("fraud", by_hand).run_id
        audit.append(kind="model", subject="fraud", action="evaluate", version=by_hand, gate="passed", record=record["record"],
                     sha256=record["sha256"], run_id=run_id)
        run = client.create_run(client.experiment, tags={"mlflow.user": "dave"})  # registration interrupted: no audit entry
        client.create_model_version("fraud", source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id,
                                    tags={"mmp.registration": "pending", "gate": "passed"})
        client.delete_model_version("fraud", fraud.add_version())  # deleted versions are not listed
        fraud.add_version(gate=None)
        client.register_prompt(name="reply", template="Hi {{name}}")  # a prompt is not a model
        client.create_registered_model("fraudXv")  # `fraud_v` and `Fraud` name nothing: `_` is no wildcard, case counts
        client.create_registered_model("empty")  # a model with no versions
        many = registry_in(client, audit, "many")
        for _ in range(11):  # 11 versions: 10 sorts above 9 and 2, as numbers
            many.add_version(gate=None)
        odd = registry_in(client, audit, "odd")
        gone = odd.add_version()
        client.delete_run(client.get_model_version("odd", gone).run_id)  # a deleted run keeps its params and artifacts
        client.create_model_version("odd", source="file:///nowhere/model")  # no run at all, no audit entry
        blank = odd.add_version(gate=None)
        client.set_model_version_tag("odd", blank, "gate", "")  # empty tag values
        client.set_model_version_tag("odd", blank, "mmp.trainer", "")
        spaced = client.create_experiment("spaced", artifact_location=f"{config.artifact_root}/with space%20and percent")
        odd.experiment = spaced
        odd.add_version()  # its gate record lies under an artifact root MLflow percent-decodes
        for name in ("o'brien", "ünï", "with space", "pct%"):  # names the reader leaves to MlflowClient
            client.create_registered_model(name)
        client.create_registered_model("nl\n")  # `$` matches before a final newline
        run = client.create_run(client.experiment, tags={"mlflow.user": "erin"})
        client.create_model_version("nl\n", source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
        run = client.create_run(client.experiment, tags={"mlflow.user": "erin"})
        crash = registry_in(client, audit, "crash")
        client.create_model_version("crash", source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)  # no audit entry
        crash.add_version(gate=None)
    return root


def _select(env: pytest.MonkeyPatch, root: Path) -> None:
    env.setenv("MMP_PROJECT_DIR", str(root))
    env.setenv("MMP_DATA_DIR", str(root / ".mmp"))
    env.delenv("MMP_ENV", raising=False)


@pytest.fixture
def selected(project, monkeypatch):
    _select(monkeypatch, project)
    return load_config(project)


def _both_paths(argv: list[str], capsys, monkeypatch) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `mmp <argv>`, required identical on the embedded reader and on MlflowClient."""
    capsys.readouterr()
    code = main(argv)
    printed = capsys.readouterr()
    with monkeypatch.context() as patch:  # a schema the reader does not know: MlflowClient answers
        patch.setattr(registry_reader, "MLFLOW_SCHEMA", "not-this-one")
        assert main(argv) == code
    assert capsys.readouterr() == printed
    return code, printed.out, printed.err


def test_the_reader_prints_what_mlflow_prints_on_a_tampered_store(selected, capsys, monkeypatch):
    code, listed, _ = _both_paths(["models", "list", "fraud"], capsys, monkeypatch)
    assert code == 0
    lines = [line.split(maxsplit=4) for line in listed.splitlines()[1:]]
    assert [line[:4] for line in lines] == [
        ["9", "-", "not", "evaluated"],
        ["7", "-", "registration", "incomplete"],  # its `gate` tag says passed; dave started its run
        ["6", "-", "unverifiable", "alice"],  # the hand-appended evaluation
        ["5", "-", "passed", "alice"],  # its tag and its run's mlflow.user say mallory
        ["4", "-", "unverifiable", "(tag:"],  # the gate record was rewritten; its tag says passed
        ["3", "-", "failed", "(tag:"],  # the gate tag was flipped
        ["2", "candidate,champion", "passed", "alice"],
        ["1", "previous_champion", "passed", "alice"],
    ]
    rows = listed.splitlines()
    assert "incomplete (tag: passed) dave " in rows[2] and "alice (tag: mallory)" in rows[4]
    assert "bob at " in rows[-2] and rows[-2].endswith(": better")
    with embedded_store(selected.registry_uri, selected.tracking_uri) as store:  # the reader answered all of it itself
        assert store is not None
        assert "".join(line + "\n" for _, line in _listing(store, AuditLog.for_data_dir(selected.data_dir), "fraud")) == listed
    # a fresh process prints the same without importing MLflow, SQLAlchemy or pandas
    assert run_probed(["models", "list", "fraud"], heavy=NOT_MLFLOW) == (0, listed, [])


def test_no_such_model_and_a_prompt_read_the_same(selected, capsys, monkeypatch):
    for name in ("nothing", "reply"):  # a prompt's name: the reader leaves it to MlflowClient, which hides prompts
        assert _both_paths(["models", "list", name], capsys, monkeypatch) == (
            1, "", f"no registered model {name!r}; materialize {name}/model first\n")


def test_what_the_reader_does_not_know_goes_to_mlflow(selected, capsys, monkeypatch):
    with sqlite3.connect(selected.data_dir / "mlflow.db") as db:  # the reader knows the pinned MLflow's schema, only that
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(registry_reader.MLFLOW_SCHEMA,)]
    with monkeypatch.context() as patch, embedded_store(selected.registry_uri, selected.tracking_uri) as store:
        assert store is not None
        patch.setattr(registry_reader, "MLFLOW_SCHEMA", "not-this-one")
        with embedded_store(selected.registry_uri, selected.tracking_uri) as unknown:
            assert unknown is None
    with embedded_store(f"{selected.registry_uri}?mode=ro", selected.tracking_uri) as store:
        assert store is None
    # a gate record gone from the artifact store: MLflow's error names its own exception type, so MLflow answers
    audit = AuditLog.for_data_dir(selected.data_dir)
    record = next(e["details"] for e in audit.entries() if e["action"] == "evaluate" and e["details"]["version"] == "1")
    artifacts = Path(MlflowClient(tracking_uri=selected.tracking_uri).get_run(record["run_id"]).info.artifact_uri.removeprefix("file://"))
    kept = (artifacts / record["record"]).read_bytes()
    (artifacts / record["record"]).unlink()
    try:
        with embedded_store(selected.registry_uri, selected.tracking_uri) as store, pytest.raises(Unanswerable):
            list(_listing(store, audit, "fraud"))
        code, listed, _ = _both_paths(["models", "list", "fraud"], capsys, monkeypatch)
        assert code == 0 and listed.splitlines()[-1].split()[:3] == ["1", "previous_champion", "unverifiable"]
    finally:
        (artifacts / record["record"]).write_bytes(kept)



@pytest.mark.parametrize("recipe", ["fraud_v", "Fraud", "fraud%", "empty", "many", "odd", "o'brien", "ünï", "with space", "pct%", "nl\n", "nl"])
def test_odd_names_and_versions_read_the_same(selected, capsys, monkeypatch, recipe):
    """`_` and `%` are no wildcards and case counts; no versions, 11 versions, a deleted run, a version without a run,
    empty tag values, an artifact root with a space and `%20`; names the reader leaves to MlflowClient (which, for
    o'brien, cannot parse its own filter and answers that no such model exists); `nl\n`, which MLflow reads as it is."""
    code, listed, err = _both_paths(["models", "list", recipe], capsys, monkeypatch)
    if recipe in ("fraud_v", "Fraud", "fraud%", "o'brien", "nl"):
        assert (code, listed) == (1, "") and err.startswith("no registered model ")
        return
    assert (code, err) == (0, "")
    numbers = [line.split()[0] for line in listed.splitlines()[1:]]
    assert numbers == {"many": [str(n) for n in range(11, 0, -1)], "odd": ["4", "3", "2", "1"], "nl\n": ["1"]}.get(recipe, [])
    if recipe == "odd":  # the deleted run's gate verifies; no run: trainer unknown; empty tags claim nothing
        assert [line.split()[2:4] for line in listed.splitlines()[1:]] == [
            ["passed", "alice"], ["not", "evaluated"], ["not", "evaluated"], ["passed", "alice"]]
        assert listed.splitlines()[3].split()[4] == "?"
    if recipe in ("empty", "many"):  # answered by the reader itself, not by the fallback
        with embedded_store(selected.registry_uri, selected.tracking_uri) as store:
            assert "".join(line + "\n" for _, line in _listing(store, AuditLog.for_data_dir(selected.data_dir), recipe)) == listed


def test_a_percent_in_the_data_dir_is_left_to_mlflow(project, tmp_path, empty_mlflow_db, capsys, monkeypatch):
    """SQLAlchemy percent-decodes a sqlite URI's path (`a%41b` opens `aAb`); reading the undecoded file would
    list another store than MLflow does."""
    data_dir = tmp_path / "a%41b"
    shutil.copytree(project / ".mmp", data_dir)
    (tmp_path / "aAb").mkdir()
    shutil.copy(empty_mlflow_db, tmp_path / "aAb" / "mlflow.db")  # what MlflowClient opens
    monkeypatch.setenv("MMP_PROJECT_DIR", str(project))
    monkeypatch.setenv("MMP_DATA_DIR", str(data_dir))
    monkeypatch.delenv("MMP_ENV", raising=False)
    config = load_config(project)
    with embedded_store(config.registry_uri, config.tracking_uri) as store:
        assert store is None
    assert _both_paths(["models", "list", "fraud"], capsys, monkeypatch) == (
        1, "", "no registered model 'fraud'; materialize fraud/model first\n")


def test_a_crash_midway_prints_what_mlflow_prints_before_it(selected, capsys, monkeypatch):
    """A hand-written `register` line without an actor (the audit log's reader keeps it) makes the listing raise
    at v1, after the header and v2: MlflowClient's path has printed those lines by then, and so must the reader's."""
    path = AuditLog.for_data_dir(selected.data_dir).path
    kept = path.read_bytes()
    line = {"seq": 10**6, "kind": "model", "subject": "crash", "action": "register", "details": {"version": "1"}, "hash": "x"}
    path.write_bytes(kept + json.dumps(line).encode() + b"\n")
    try:
        printed = []
        for schema in (registry_reader.MLFLOW_SCHEMA, "not-this-one"):  # the reader first, then MlflowClient
            with monkeypatch.context() as patch:
                patch.setattr(registry_reader, "MLFLOW_SCHEMA", schema)
                capsys.readouterr()
                with pytest.raises(KeyError, match="actor"):
                    main(["models", "list", "crash"])
                printed.append(capsys.readouterr())
        assert printed[0] == printed[1]
        assert [row.split()[0] for row in printed[0].out.splitlines()] == ["version", "2"]
    finally:
        path.write_bytes(kept)


def test_an_empty_or_missing_audit_log_reads_the_same(selected, capsys, monkeypatch):
    """Without the audit log nothing is verified: no gate, and trainers from the runs' mlflow.user."""
    path = AuditLog.for_data_dir(selected.data_dir).path
    kept = path.read_bytes()
    try:
        outputs = []
        for content in (b"", None):
            path.unlink()
            if content is not None:
                path.write_bytes(content)
            outputs.append(_both_paths(["models", "list", "fraud"], capsys, monkeypatch))
        assert outputs[0] == outputs[1]
        code, listed, err = outputs[0]
        assert (code, err) == (0, "")
        rows = listed.splitlines()[1:]
        assert [row.split()[0] for row in rows if "not evaluated" in row] == ["9", "6", "5", "4", "3", "2", "1"]
        assert "registration incomplete (tag: passed) dave " in rows[1] and " mallory " in rows[3]  # v7; v5's run says mallory
        with embedded_store(selected.registry_uri, selected.tracking_uri) as store:  # answered by the reader itself
            assert "".join(line + "\n" for _, line in _listing(store, AuditLog.for_data_dir(selected.data_dir), "fraud")) == listed
    finally:
        path.write_bytes(kept)

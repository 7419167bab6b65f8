"""What promotion trusts: records written when an event happened, never a tag anyone can set.

- Every model event in the audit log is anchored in MLflow: the registered model's tag
  `mmp.audit_head` holds the newest entry's `seq:hash`, and the version's run gets an immutable
  param `mmp.audit.<seq>` = hash. `model_anchors` reads them back for `verify(anchors)`.
- The evaluation writes its gate record (rules, metrics, checks, verdict) as a run artifact and its
  sha256 into an anchored audit entry. `verified_gate` loads the artifact, checks the hash against
  that entry and re-applies the threshold rules to the stored metrics. The `gate` tag is display only.
- The trainer is the actor of the audit entry written at registration (else the run's `mlflow.user`).
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmp_assets.tags import AUDIT_HEAD, AUDIT_PARAM_PREFIX, GATE, GATE_MESSAGE, MLFLOW_USER
from mmp_resources.audit_log import Anchor, AuditLog
from mmp_resources.registry_reader import lookup_errors

if TYPE_CHECKING:  # `mmp models list` reads the embedded store without MLflow (mmp_resources.registry_reader)
    from mlflow.tracking import MlflowClient

    from mmp_resources.registry_reader import EmbeddedStore

_RULE = re.compile(r"^\s*(>=|<=|>|<|==)\s*(\S+)\s*$")  # the recipe's threshold syntax (evaluation/gate.py)
_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq}


def append_anchored(client: MlflowClient, audit: AuditLog, name: str, *, action: str, version: str | None = None,
                    anchor_version: str | None = None, **details: Any) -> dict:
    """Append a model event and anchor it in MLflow (on `anchor_version`'s run, default `version`)."""
    fields = {"version": version} if version is not None else {}
    entry = audit.append(kind="model", subject=name, action=action, **fields, **details)
    anchor(client, entry, name, anchor_version or version)
    return entry


def anchor(client: MlflowClient, entry: dict, name: str, version: str | None) -> None:
    from mlflow.exceptions import MlflowException

    try:
        client.set_registered_model_tag(name, AUDIT_HEAD, f"{entry['seq']}:{entry['hash']}")
        if version is not None:
            run_id = client.get_model_version(name, str(version)).run_id
            if run_id:
                client.log_param(run_id, f"{AUDIT_PARAM_PREFIX}{entry['seq']}", entry["hash"])
    except MlflowException:
        pass  # a refusal about a model or version that does not exist has nowhere to be anchored


def model_anchors(client: MlflowClient, name: str | None = None) -> list[Anchor]:
    """Every anchor recorded on registered models (or only `name`) and their versions' runs."""
    from mlflow.exceptions import MlflowException

    found: list[Anchor] = []
    if name is None:
        models = _all(client.search_registered_models)
    else:
        try:
            models = [client.get_registered_model(name)]
        except MlflowException:
            return []
    for model in models:
        head = (model.tags or {}).get(AUDIT_HEAD)
        if head and ":" in head:
            seq, _, digest = head.partition(":")
            if seq.isdigit():
                found.append(Anchor(int(seq), digest, f"model {model.name} tag {AUDIT_HEAD}"))
        for version in _all(client.search_model_versions, f"name = '{model.name}'"):
            if not version.run_id:
                continue
            try:
                params = client.get_run(version.run_id).data.params
            except MlflowException:
                continue
            for key, digest in params.items():
                seq = key.removeprefix(AUDIT_PARAM_PREFIX)
                if key.startswith(AUDIT_PARAM_PREFIX) and seq.isdigit():
                    found.append(Anchor(int(seq), digest, f"model {model.name} v{version.version} run param {key}"))
    return found


def _all(search, *args) -> list:
    found, token = [], None
    while True:
        page = search(*args, max_results=1000, page_token=token) if args else search(max_results=1000, page_token=token)
        found += list(page)
        token = getattr(page, "token", None)
        if not token:
            return found


def record_gate(client: MlflowClient, audit: AuditLog, name: str, version: str, *, run_id: str, rules: dict,
                metrics: dict, checks: list[dict], passed: bool, message: str) -> dict:
    """Store the gate record as an artifact of the version's run, its hash in an anchored audit entry, then the tags."""
    record = {"model": name, "version": str(version), "rules": rules, "metrics": metrics, "checks": checks,
              "passed": bool(passed), "message": message}
    text = json.dumps(record, sort_keys=True, indent=2, default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()
    path = f"evaluation/gate-{digest[:16]}.json"
    client.log_text(run_id, text, path)
    entry = append_anchored(client, audit, name, action="evaluate", version=str(version), gate="passed" if passed else "failed",
                            record=path, sha256=digest, run_id=run_id)
    client.set_model_version_tag(name, version, GATE, "passed" if passed else "failed")
    client.set_model_version_tag(name, version, GATE_MESSAGE, message[:4000])
    return entry


@dataclass(frozen=True)
class GateEvidence:
    """The gate verdict re-derived from the stored evaluation; `problem` says why it cannot be trusted."""

    verdict: str  # passed | failed | not evaluated
    message: str
    seq: int | None = None
    problem: str | None = None


def verified_gate(client: MlflowClient | EmbeddedStore, audit: AuditLog, name: str, version: str) -> GateEvidence:
    """Load the newest evaluation record of `name` v`version`, check its hash, re-apply its rules."""
    evaluations = [e for e in audit.entries(kind="model", subject=name)
                   if e["action"] == "evaluate" and str(e["details"].get("version")) == str(version)]
    if not evaluations:
        return GateEvidence("not evaluated", "no evaluation in the audit log")
    entry = evaluations[-1]
    details, seq = entry["details"], entry["seq"]
    where = f"the evaluation recorded in audit entry {seq}"
    unanchored = not_anchored(client, entry, details.get("run_id"))
    if unanchored:
        return GateEvidence("not evaluated", "", seq, unanchored)
    try:
        with tempfile.TemporaryDirectory() as tmp, _quiet_download():
            text = Path(client.download_artifacts(details["run_id"], details["record"], tmp)).read_text(encoding="utf-8")
    except (*lookup_errors(), OSError, KeyError) as exc:
        return GateEvidence("not evaluated", "", seq, f"{where} has no readable record ({type(exc).__name__}); re-run the evaluation")
    if hashlib.sha256(text.encode()).hexdigest() != details.get("sha256"):
        return GateEvidence("not evaluated", "", seq, f"artifact {details['record']} does not match the sha256 in {where}: "
                                                    "it was rewritten after the evaluation")
    record = json.loads(text)
    if record.get("model") != name or str(record.get("version")) != str(version):
        return GateEvidence("not evaluated", "", seq, f"{where} is about {record.get('model')} v{record.get('version')}")
    failures = _rederive(record)
    verdict = "failed" if failures else "passed"
    if verdict != ("passed" if record.get("passed") else "failed"):
        return GateEvidence(verdict, "; ".join(failures), seq, f"{where} says {'passed' if record.get('passed') else 'failed'}, "
                                                              f"but its rules applied to its metrics say {verdict}")
    return GateEvidence(verdict, "; ".join(failures) or record.get("message") or "", seq)


@contextmanager
def _quiet_download() -> Iterator[None]:
    """No MLflow progress bar on the promote command's stderr, where the refusal line must come first."""
    before = os.environ.get("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR")
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", None)
        else:
            os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = before


def _rederive(record: dict) -> list[str]:
    """The failures: each threshold rule re-applied to the stored metrics; relative rules (versus the champion,
    the baseline) need the predictions, so their recorded outcome is taken from the hash-checked record."""
    failures = []
    for metric, rule in (record.get("rules") or {}).items():
        match = _RULE.match(str(rule))
        if metric == "max_regression" or not match:
            continue
        actual, bound = (record.get("metrics") or {}).get(metric), float(match.group(2))
        if actual is None or not _OPS[match.group(1)](float(actual), bound):
            failures.append(f"{metric} is {'not computed' if actual is None else f'{float(actual):.4f}'}, needs {match.group(1)} {bound:g}")
    failures += [str(c.get("message") or c.get("rule") or "?") for c in record.get("checks") or []
                 if not c.get("passed") and str(c.get("message")) not in failures]  # same wording as evaluation/gate.py
    return failures


def not_anchored(client: MlflowClient | EmbeddedStore, entry: dict, run_id: str | None) -> str | None:
    """None when `entry` is anchored on run `run_id` (param `mmp.audit.<seq>` = its hash), else why it cannot be trusted:
    a line appended to the log by hand, however well chained, has no anchor in MLflow."""
    key = f"{AUDIT_PARAM_PREFIX}{entry['seq']}"
    try:
        recorded = client.get_run(run_id).data.params.get(key) if run_id else None
    except lookup_errors():
        recorded = None
    if recorded != entry["hash"]:
        return (f"audit entry {entry['seq']} ({entry['action']}) has no matching anchor {key} on run {run_id}: "
                "it was not written by mmp where the event happened")
    return None


def trainer_of(client: MlflowClient | EmbeddedStore, audit: AuditLog, name: str, version: str) -> tuple[str | None, str]:
    """(who trained `name` v`version`, where that comes from): the registration's audit entry, else the run's `mlflow.user`."""
    registered = [e for e in audit.entries(kind="model", subject=name)
                  if e["action"] == "register" and str(e["details"].get("version")) == str(version)]
    if registered:  # the first: a version is registered once, a later "register" line cannot re-assign it
        return registered[0]["actor"], f"audit entry {registered[0]['seq']}, the registration"
    found = client.get_model_version(name, str(version))
    user = client.get_run(found.run_id).data.tags.get(MLFLOW_USER) if found.run_id else None
    return user, f"run {found.run_id} tag {MLFLOW_USER}"

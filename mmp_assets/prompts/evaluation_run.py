"""Evaluate the registered version of a prompt recipe and record the verdict everywhere it is read.

The verdict lands in three places: the MLflow evaluation run (metrics, case table), tags on the
prompt version (shown, not trusted) and the shared audit log, anchored on the run (what
`mmp prompts approve` re-derives the verdict from).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from mlflow import MlflowClient

from mmp_assets.prompts import registry as reg
from mmp_assets.prompts.cases import load_cases
from mmp_assets.prompts.content import content_hash
from mmp_assets.prompts.evaluate import EvaluationResult, evaluate
from mmp_assets.prompts.registry import PromptRegistry, VersionInfo
from mmp_assets.prompts.responders import Responder, responder_from_env
from mmp_assets.prompts.tracking import log_evaluation
from mmp_assets.recipes.common import digest
from mmp_assets.recipes.prompt import PromptRecipe
from mmp_resources.audit_log import AuditLog
from mmp_resources.identity import Identity

# MLflow caps tag values, so the tag keeps the first breaches, shortened; the run's case table has them all
_MAX_BREACHES, _MAX_BREACH_CHARS = 12, 240


class PromptNotRegistered(Exception):
    """The recipe's current content has no registry version yet."""


@dataclass(frozen=True)
class EvaluationOutcome:
    version: VersionInfo
    result: EvaluationResult
    run_id: str
    data_version: str


def evaluate_registered(prompt: PromptRecipe, dataset: Path, shown: str, *, registry: PromptRegistry,
                        client: MlflowClient, experiment_id: str, audit: AuditLog, dagster_run_id: str,
                        responder: Responder | None = None, identity: Identity | None = None) -> EvaluationOutcome:
    digest_ = content_hash(prompt)
    version = registry.for_content(prompt.name, digest_)
    if version is None:
        raise PromptNotRegistered(
            f"prompt {prompt.name!r} has no registered version with content {digest_}; materialize prompts/{prompt.name} first"
        )
    cases = load_cases(dataset, shown)  # a bad dataset stops here, before anything is recorded
    responder = responder or responder_from_env(recorded_for=prompt.evaluation.recorded_for, content_hash=digest_)
    result = evaluate(version.template, cases, prompt.evaluation.thresholds, responder, prompt.model_config_)
    dataset_hash = hashlib.sha256(dataset.read_bytes()).hexdigest()[:16]
    run_id = log_evaluation(client, experiment_id, version, result, dagster_run_id=dagster_run_id, dataset_hash=dataset_hash)
    summary = _summary(result)
    registry.tag(prompt.name, version.version, {
        reg.VERDICT: result.verdict,
        reg.EVALUATION_RUN: run_id,
        reg.EVALUATION_SUMMARY: summary,
    })
    verified = {"actor": identity.name, "identity_source": identity.source} if identity is not None else {}
    registry.record(audit, prompt.name, action="evaluate", run_id=run_id, **verified, version=version.version, verdict=result.verdict,
                 metrics=result.metrics(), breaches=len(result.breaches()), mlflow_run_id=run_id,
                 dataset_hash=dataset_hash, responder=result.responder, dagster_run_id=dagster_run_id)
    data_version = digest("prompt-evaluation", digest_, dataset_hash, prompt.evaluation.thresholds.model_dump(), result.responder)
    return EvaluationOutcome(version=registry.version(prompt.name, version.version), result=result, run_id=run_id,
                             data_version=data_version)


def _summary(result: EvaluationResult) -> str:
    breaches = [b if len(b) <= _MAX_BREACH_CHARS else b[: _MAX_BREACH_CHARS - 3] + "..." for b in result.breaches()]
    if len(breaches) > _MAX_BREACHES:
        breaches = breaches[: _MAX_BREACHES - 1] + [f"... and {len(breaches) - _MAX_BREACHES + 1} more in the MLflow case table"]
    return json.dumps({"metrics": result.metrics(), "breaches": breaches}, sort_keys=True)

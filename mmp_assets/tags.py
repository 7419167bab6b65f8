"""The MLflow names mmp writes — aliases and tags — spelled once, and a typed reader of a model version's tags.

The strings are those earlier versions wrote (the gate verdict is `gate`, without the `mmp.` prefix),
so registries written before keep reading the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# aliases: a model's candidate, champion and previous champion; a prompt's candidate and production
CANDIDATE, CHAMPION, PREVIOUS_CHAMPION, PRODUCTION = "candidate", "champion", "previous_champion", "production"

# model version and its MLflow run: where the version came from, written once at registration
DAGSTER_RUN_ID, ASSET_KEY, CODE_VERSION = "mmp.dagster_run_id", "mmp.asset_key", "mmp.code_version"
TRAINING_SET_VERSION, TRAINING_SET_HASH = "mmp.training_set_version", "mmp.training_set_hash"
PINNED_VIEWS, INPUTS_DIGEST = "mmp.pinned_views", "mmp.inputs_digest"
# model version: what its search found, written once at registration
BEST_PARAMS, BEST_SCORE, METRIC, THRESHOLD = "mmp.best_params", "mmp.best_score", "mmp.metric", "mmp.threshold"
MLFLOW_RUN_ID, STUDY_NAME = "mmp.mlflow_run_id", "mmp.study_name"
# model version: governance, set by whoever trains, evaluates and approves (prompt versions share the approval tags)
TRAINER, GATE, GATE_MESSAGE = "mmp.trainer", "gate", "mmp.gate_message"
# model version: pending while it is being registered, complete after its audit entry, incomplete when a
# registration was interrupted (mmp_assets.registry.registration; the audit log decides, the tag is shown)
REGISTRATION = "mmp.registration"
APPROVED_BY, APPROVED_AT, APPROVAL_REASON = "mmp.approved_by", "mmp.approved_at", "mmp.approval_reason"
# registered model: the stack of champions, for rollback
CHAMPION_HISTORY = "mmp.champion_history"
# anchors of the audit log outside its file: the newest entry about a registered model or prompt ("seq:hash"),
# and one immutable run param per entry about a model version (`mmp.audit.<seq>` = hash, on the version's run)
AUDIT_HEAD, AUDIT_PARAM_PREFIX = "mmp.audit_head", "mmp.audit."
# MLflow's own run tag: who started the run
MLFLOW_USER = "mlflow.user"

# prompt versions and their evaluation runs
OWNER, AUTHOR, CONTENT_HASH, COMMIT_MESSAGE = "mmp.owner", "mmp.author", "mmp.content_hash", "mmp.commit_message"
VERDICT, EVALUATION_RUN, EVALUATION_SUMMARY = "mmp.evaluation", "mmp.evaluation_run_id", "mmp.evaluation_summary"
PROMPT_NAME, PROMPT_VERSION, PROMPT_VERDICT, RESPONDER = "mmp.prompt_name", "mmp.prompt_version", "mmp.verdict", "mmp.responder"


@dataclass(frozen=True)
class GovernanceClaims:
    """What a version's tags CLAIM about who trained it, its gate verdict and its approval.

    Anyone with write access to the registry can set these tags, so they are claims, not facts:
    show them, but decide nothing on them. Promotion re-derives the gate and the trainer from the
    records written when they happened (`mmp_assets.registry.evidence`) and refuses when a tag disagrees.
    """

    trainer: str | None
    gate: str | None
    gate_message: str | None
    approved_by: str | None
    approved_at: str | None
    approval_reason: str | None

    @classmethod
    def of(cls, tags: Mapping[str, str]) -> GovernanceClaims:
        return cls(tags.get(TRAINER), tags.get(GATE), tags.get(GATE_MESSAGE), tags.get(APPROVED_BY),
                   tags.get(APPROVED_AT), tags.get(APPROVAL_REASON))


@dataclass(frozen=True)
class VersionTags:
    """Everything mmp recorded on one registered model version, parsed.

    The top-level fields are informational lineage, written once when the version was registered:
    they locate its inputs (training set, pinned views, parameters) and the lineage audit re-verifies
    them against the stores. Governance lives apart, in `claims`. None means the tag is absent.
    """

    name: str
    version: str
    dagster_run_id: str | None = None
    asset_key: str | None = None
    code_version: str | None = None
    training_set_version: int | None = None
    training_set_hash: str | None = None
    pinned_views: dict[str, int] | None = None
    inputs_digest: str | None = None
    best_params: dict[str, Any] = field(default_factory=dict)
    best_score: float | None = None
    metric: str | None = None
    threshold: float | None = None
    mlflow_run_id: str | None = None
    study_name: str | None = None
    claims: GovernanceClaims = field(default_factory=lambda: GovernanceClaims.of({}))

    @classmethod
    def of(cls, version) -> VersionTags:
        """From an MLflow `ModelVersion`; a ValueError naming the version and tag when a value does not parse."""
        tags: Mapping[str, str] = version.tags or {}

        def parsed(key: str, parse):
            raw = tags.get(key)
            if not raw:
                return None
            try:
                return parse(raw)
            except ValueError:
                raise ValueError(f"{version.name} v{version.version}: tag {key} is {raw!r}, which mmp did not write; "
                                 "it was edited outside mmp") from None

        return cls(
            name=version.name, version=str(version.version), dagster_run_id=tags.get(DAGSTER_RUN_ID),
            asset_key=tags.get(ASSET_KEY), code_version=tags.get(CODE_VERSION),
            training_set_version=parsed(TRAINING_SET_VERSION, int), training_set_hash=tags.get(TRAINING_SET_HASH),
            pinned_views=parsed(PINNED_VIEWS, json.loads), inputs_digest=tags.get(INPUTS_DIGEST),
            best_params=parsed(BEST_PARAMS, json.loads) or {}, best_score=parsed(BEST_SCORE, float),
            metric=tags.get(METRIC), threshold=parsed(THRESHOLD, float), mlflow_run_id=tags.get(MLFLOW_RUN_ID),
            study_name=tags.get(STUDY_NAME), claims=GovernanceClaims.of(tags),
        )

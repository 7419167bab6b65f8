"""Registered versions of `<recipe>`: found by alias or number, and the fitted pipeline inside.

Other stages (training, evaluation, backtest, SHAP, serving) read models through these helpers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mmp_assets.tags import CANDIDATE, CHAMPION, GovernanceClaims

if TYPE_CHECKING:  # listing versions needs no scikit-learn, nor MLflow on the embedded store (mmp_resources.registry_reader)
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.tracking import MlflowClient
    from sklearn.pipeline import Pipeline

    from mmp_resources.registry_reader import EmbeddedStore


@dataclass(frozen=True)
class VersionRow:
    """One registered version as `mmp models list` shows it; the governance fields are the tags' claims."""

    version: str
    aliases: list[str]
    gate: str
    trainer: str
    approved_by: str
    approved_at: str
    reason: str
    created: str


def load_pipeline(model_uri: str) -> Pipeline:
    """The fitted sklearn Pipeline inside a logged mmp model (`models:/<name>/<version>`, `runs:/...`)."""
    import mlflow

    return mlflow.pyfunc.load_model(model_uri).unwrap_python_model().pipeline


def version_for_alias(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    """The version behind `alias`, or None when the model or the alias does not exist."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def first_version(client: MlflowClient, name: str, aliases: tuple[str, ...] = (CHAMPION, CANDIDATE)) -> tuple[str, ModelVersion] | None:
    """(alias, version) for the first of `aliases` that is set: by default the champion, else the candidate."""
    for alias in aliases:
        found = version_for_alias(client, name, alias)
        if found is not None:
            return alias, found
    return None


def latest_version(client: MlflowClient, name: str) -> ModelVersion | None:
    from mlflow.exceptions import MlflowException

    try:
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        return None
    return max(versions, key=lambda v: int(v.version), default=None)


def champion(client: MlflowClient, name: str) -> str | None:
    found = client.get_registered_model(name).aliases.get(CHAMPION)
    return None if found is None else str(found)


def versions(client: MlflowClient | EmbeddedStore, name: str) -> list[VersionRow]:
    """Every version, newest first, with its aliases, gate verdict, trainer and approval."""
    by_version: dict[str, list[str]] = {}  # search results leave aliases empty; the registered model has them
    for alias, number in client.get_registered_model(name).aliases.items():
        by_version.setdefault(str(number), []).append(alias)
    rows = []
    for v in sorted(client.search_model_versions(f"name = '{name}'"), key=lambda v: -int(v.version)):
        claims = GovernanceClaims.of(v.tags)
        rows.append(VersionRow(
            version=str(v.version), aliases=sorted(by_version.get(str(v.version), [])), gate=claims.gate or "not evaluated",
            trainer=claims.trainer or "?", approved_by=claims.approved_by or "", approved_at=claims.approved_at or "",
            reason=claims.approval_reason or "",
            created=datetime.fromtimestamp(v.creation_timestamp / 1000, UTC).isoformat(timespec="seconds"),
        ))
    return rows

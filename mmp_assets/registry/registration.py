"""Registration is all or nothing: a version is complete once its anchored `register` audit entry exists.

Registering takes several writes: the MLflow version (with tag `mmp.registration` = pending and its
lineage tags), the registered model's description, alias `candidate`, then the audit entry that names
the trainer, and the tag set to complete. A process killed between them leaves a version that is
registered but never became the candidate and has no trainer of record. The next `<recipe>/model`
run finds it (`interrupted`), removes any alias it got, tags it incomplete and records an anchored
`abandon` audit entry; the version can never be evaluated or promoted, and the run trains and
registers afresh, comparing its inputs with the newest *complete* version only.

The decision rests on the audit log (anchored in MLflow), not on the tag: a version with a `register`
entry is complete whatever its tags say; the pending tag only keeps versions registered by hand
(or by an mmp that predates it) from being taken for interrupted ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mmp_assets.registry.evidence import append_anchored
from mmp_assets.tags import CANDIDATE, DAGSTER_RUN_ID, REGISTRATION
from mmp_resources.audit_log import AuditLog
from mmp_resources.registry_reader import lookup_errors

if TYPE_CHECKING:  # `mmp models list` reads the embedded store without MLflow (mmp_resources.registry_reader)
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.tracking import MlflowClient

    from mmp_resources.registry_reader import EmbeddedStore

PENDING, COMPLETE, INCOMPLETE = "pending", "complete", "incomplete"
ABANDON = "abandon"


def _versions_with(audit: AuditLog, name: str, action: str) -> set[str]:
    return {str(e["details"].get("version")) for e in audit.entries(kind="model", subject=name) if e["action"] == action}


def state(audit: AuditLog, name: str, version: ModelVersion) -> str:
    """complete (its register entry exists), incomplete (abandoned), pending (interrupted, not yet repaired),
    or complete for a version mmp never marked pending."""
    return _state(version, _versions_with(audit, name, "register"), _versions_with(audit, name, ABANDON))


def _state(version: ModelVersion, registered: set[str], abandoned: set[str]) -> str:
    number = str(version.version)
    if number in registered:
        return COMPLETE
    if number in abandoned:
        return INCOMPLETE
    return PENDING if (version.tags or {}).get(REGISTRATION) in (PENDING, INCOMPLETE) else COMPLETE


def _states(client: MlflowClient, audit: AuditLog, name: str) -> list[tuple[ModelVersion, str]]:
    """Every version of `name`, oldest first, with its state (the audit log read once)."""
    from mlflow.exceptions import MlflowException

    try:
        found = sorted(client.search_model_versions(f"name = '{name}'"), key=lambda v: int(v.version))
    except MlflowException:
        return []
    registered, abandoned = _versions_with(audit, name, "register"), _versions_with(audit, name, ABANDON)
    return [(v, _state(v, registered, abandoned)) for v in found]


def interrupted(client: MlflowClient, audit: AuditLog, name: str,
                in_progress: Callable[[str | None], bool] = lambda run_id: False) -> list[ModelVersion]:
    """Versions whose registration started and never completed, leaving out those a live run is registering now."""
    return [v for v, now in _states(client, audit, name)
            if now == PENDING and not in_progress((v.tags or {}).get(DAGSTER_RUN_ID))]


def latest_complete(client: MlflowClient, audit: AuditLog, name: str) -> ModelVersion | None:
    """The newest version whose registration completed: what a new run's inputs are compared with."""
    done = [v for v, now in _states(client, audit, name) if now == COMPLETE]
    return done[-1] if done else None


def abandon(client: MlflowClient, audit: AuditLog, name: str, version: ModelVersion) -> str:
    """Take an interrupted version out of use for good: no alias (alias candidate goes back to the newest complete
    version, where the dead run found it), tagged incomplete, an anchored `abandon` entry. Returns the line to show."""
    number = str(version.version)
    removed = []
    for alias, points_at in client.get_registered_model(name).aliases.items():
        if str(points_at) == number:
            client.delete_registered_model_alias(name, alias)
            removed.append(alias)
    restored = latest_complete(client, audit, name) if CANDIDATE in removed else None
    if restored is not None:  # where the candidate was before the dead run moved it
        client.set_registered_model_alias(name, CANDIDATE, restored.version)
    client.set_model_version_tag(name, number, REGISTRATION, INCOMPLETE)
    client.update_model_version(name, number, description="registration interrupted (the registering process died); "
                                                          "never evaluated or promoted; a complete version was registered after it")
    why = f"registration of v{number} did not complete (run {(version.tags or {}).get(DAGSTER_RUN_ID, '?')} died)"
    append_anchored(client, audit, name, action=ABANDON, version=number, reason=why, aliases_removed=removed)
    aliases = f"; alias {', '.join(removed)} removed" if removed else ""
    aliases += f" (candidate is v{restored.version} again)" if restored is not None else ""
    return f"{name} v{number}: {why}; marked incomplete, it can never be promoted{aliases}"


def incomplete_refusal(client: MlflowClient | EmbeddedStore, audit: AuditLog, name: str, version: str) -> str | None:
    """Why `name` v`version` may not be evaluated or promoted because its registration never completed; None if it did."""
    try:
        found = client.get_model_version(name, str(version))
    except lookup_errors():
        return None
    current = state(audit, name, found)
    if current == COMPLETE:
        return None
    repair = "" if current == INCOMPLETE else f"; materialize {name}/model to repair the registry"
    return f"{name} v{version}: its registration did not complete (no register entry in the audit log){repair}"

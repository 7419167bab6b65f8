"""Register a prompt version only when its content changed; keep alias `candidate` on the newest."""

from __future__ import annotations

from dataclasses import dataclass

from mmp_assets.prompts import registry as reg
from mmp_assets.prompts.content import content_hash
from mmp_assets.prompts.registry import PromptRegistry, VersionInfo
from mmp_assets.recipes.prompt import PromptRecipe
from mmp_resources.audit_log import AuditLog, current_user
from mmp_resources.identity import Identity


@dataclass(frozen=True)
class Published:
    version: VersionInfo
    created: bool  # False when the newest version already had this content


def publish_prompt(registry: PromptRegistry, prompt: PromptRecipe, *, dagster_run_id: str, audit: AuditLog,
                   identity: Identity | None = None) -> Published:
    """The version holding the recipe's content: the newest one if its hash matches, else a new one.

    Compared with the newest version only, so reverting to an older template makes a new version:
    the history then reads as it happened (v1 → v2 → v3 equal to v1), and v3 must be evaluated and
    approved on its own. The author of a new version is `identity` (under MLflow auth the authenticated
    user whose credentials register it), else MMP_USER or the OS user; it is the `register` entry's actor.
    """
    digest = content_hash(prompt)
    latest = registry.latest(prompt.name)
    created = latest is None or latest.content_hash != digest
    author = identity.name if identity is not None else current_user()
    verified = {"identity_source": identity.source} if identity is not None else {}
    if created:
        tags = {reg.OWNER: prompt.owner, reg.AUTHOR: author, reg.CONTENT_HASH: digest,
                reg.DAGSTER_RUN: dagster_run_id, reg.COMMIT_MESSAGE: prompt.commit_message}
        latest = registry.register(prompt.name, prompt.template, commit_message=prompt.commit_message, tags=tags,
                                   model_config=prompt.model_config_, response_format=prompt.response_format)
        registry.record(audit, prompt.name, action="register", actor=author, version=latest.version,
                     content_hash=digest, commit_message=prompt.commit_message, owner=prompt.owner,
                     dagster_run_id=dagster_run_id, **verified)
    previous = registry.aliases(prompt.name).get(reg.CANDIDATE)
    if previous != latest.version:
        registry.set_alias(prompt.name, reg.CANDIDATE, latest.version)
        registry.record(audit, prompt.name, action="alias", actor=author, alias=reg.CANDIDATE, version=latest.version,
                        previous=previous, reason="newest version", **verified)
        latest = registry.version(prompt.name, latest.version)
    return Published(version=latest, created=created)

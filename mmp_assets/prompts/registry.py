"""mmp's view of MLflow's prompt registry: versions with their mmp tags, aliases, registration.

Only this module and the evaluation logger talk to MLflow; everything else works on the plain
`VersionInfo` records it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mmp_resources.audit_log import Anchor, AuditLog

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from mmp_assets.tags import (AUDIT_HEAD, AUDIT_PARAM_PREFIX, AUTHOR, CANDIDATE, COMMIT_MESSAGE, CONTENT_HASH, EVALUATION_RUN, EVALUATION_SUMMARY, OWNER,
                             PRODUCTION, VERDICT)
from mmp_assets.tags import DAGSTER_RUN_ID as DAGSTER_RUN

__all__ = ["AUTHOR", "CANDIDATE", "COMMIT_MESSAGE", "CONTENT_HASH", "DAGSTER_RUN", "EVALUATION_RUN", "EVALUATION_SUMMARY",
           "OWNER", "PRODUCTION", "VERDICT", "PromptRegistry", "VersionInfo"]


@dataclass(frozen=True)
class VersionInfo:
    name: str
    version: int
    template: str
    tags: dict[str, str]
    created_ms: int
    aliases: tuple[str, ...] = ()
    model_config: dict[str, Any] | None = field(default=None, compare=False)
    response_format: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def verdict(self) -> str:
        """`passed`, `failed`, or `unevaluated`."""
        return self.tags.get(VERDICT, "unevaluated")

    @property
    def content_hash(self) -> str | None:
        return self.tags.get(CONTENT_HASH)


class PromptRegistry:
    """One prompt store (a tracking/registry URI pair); the client must already point at it."""

    def __init__(self, client: MlflowClient):
        self.client = client

    def exists(self, name: str) -> bool:
        return self.client.get_prompt(name) is not None

    def versions(self, name: str) -> list[VersionInfo]:
        """Every version of `name`, oldest first; empty when the prompt was never registered."""
        if not self.exists(name):
            return []
        found, token = [], None
        while True:
            page = self.client.search_prompt_versions(name, max_results=1000, page_token=token)
            found += list(page)
            token = getattr(page, "token", None)
            if not token:
                break
        # search results carry no aliases, so each version is read once more on its own
        numbers = sorted(int(v.version) for v in found)
        return [_info(self.client.get_prompt_version(name, n)) for n in numbers]

    def version(self, name: str, version: int) -> VersionInfo | None:
        return next((v for v in self.versions(name) if v.version == int(version)), None)

    def latest(self, name: str) -> VersionInfo | None:
        versions = self.versions(name)
        return versions[-1] if versions else None

    def for_content(self, name: str, content_hash: str) -> VersionInfo | None:
        """The newest version registered with this content hash."""
        matches = [v for v in self.versions(name) if v.content_hash == content_hash]
        return matches[-1] if matches else None

    def aliases(self, name: str) -> dict[str, int]:
        return {alias: v.version for v in self.versions(name) for alias in v.aliases}

    def register(self, name: str, template: str, *, commit_message: str, tags: dict[str, str],
                 model_config: dict[str, Any] | None, response_format: dict[str, Any] | None) -> VersionInfo:
        created = self.client.register_prompt(
            name=name, template=template, commit_message=commit_message or None, tags=tags,
            model_config=model_config or None, response_format=response_format,
        )
        return self.version(name, created.version)

    def set_alias(self, name: str, alias: str, version: int) -> None:
        self.client.set_prompt_alias(name, alias, int(version))

    def tag(self, name: str, version: int, tags: dict[str, str]) -> None:
        for key, value in tags.items():
            self.client.set_prompt_version_tag(name, int(version), key, value)

    def record(self, audit: AuditLog, name: str, *, action: str, run_id: str | None = None, **details: Any) -> dict[str, Any]:
        """Append a prompt event to the audit log and anchor it in MLflow: the prompt's tag `mmp.audit_head`
        and, for an evaluation, an immutable param `mmp.audit.<seq>` on its evaluation run."""
        entry = audit.append(kind="prompt", subject=name, action=action, **details)
        try:
            self.client.set_prompt_tag(name, AUDIT_HEAD, f"{entry['seq']}:{entry['hash']}")
            if run_id:
                self.client.log_param(run_id, f"{AUDIT_PARAM_PREFIX}{entry['seq']}", entry["hash"])
        except MlflowException:
            pass  # a refusal about a prompt that does not exist has nowhere to be anchored
        return entry

    def anchors(self, name: str | None = None) -> list[Anchor]:
        """Every anchor recorded on prompts (or only `name`) and their evaluation runs."""
        found: list[Anchor] = []
        prompts, token = ([self.client.get_prompt(name)] if name else []), None
        while name is None:
            page = self.client.search_prompts(max_results=1000, page_token=token)
            prompts += list(page)
            token = getattr(page, "token", None)
            if not token:
                break
        for prompt in (p for p in prompts if p is not None):
            head = (prompt.tags or {}).get(AUDIT_HEAD, "")
            seq, _, digest = head.partition(":")
            if seq.isdigit():
                found.append(Anchor(int(seq), digest, f"prompt {prompt.name} tag {AUDIT_HEAD}"))
            for version in self.versions(prompt.name):
                run_id = version.tags.get(EVALUATION_RUN)
                try:
                    params = self.client.get_run(run_id).data.params if run_id else {}
                except MlflowException:
                    continue
                for key, digest in params.items():
                    seq = key.removeprefix(AUDIT_PARAM_PREFIX)
                    if key.startswith(AUDIT_PARAM_PREFIX) and seq.isdigit():
                        found.append(Anchor(int(seq), digest, f"prompt {prompt.name} v{version.version} evaluation run param {key}"))
        return found


def _info(v: Any) -> VersionInfo:
    return VersionInfo(
        name=v.name, version=int(v.version), template=v.template, tags=dict(v.tags or {}),
        created_ms=int(v.creation_timestamp or 0), aliases=tuple(v.aliases or ()), model_config=v.model_config,
        response_format=v.response_format,
    )

"""Read-only answers from an embedded MLflow registry (SQLite) with the standard library, not MLflow.

`import mlflow` and opening its SQLAlchemy store cost more CPU than the 2 s goal for `mmp prompts list`
(docs/decisions.md), so that command reads MLflow's registry tables directly. It answers only for a
schema it was written against; for anything else it returns None and the caller asks MlflowClient, so
the output never differs.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

# the migration head of the pinned MLflow (requirements.lock); tests/resources/test_registry_reader.py checks it
MLFLOW_SCHEMA = "dc11669786a5"
_IS_PROMPT, _TEXT, _TYPE = "mlflow.prompt.is_prompt", "mlflow.prompt.text", "_mlflow_prompt_type"
_DELETED = "Deleted_Internal"  # MLflow's stage for a deleted version, which its searches leave out
_WORKSPACE = "default"  # the only workspace of a single-tenant store


@dataclass(frozen=True)
class PromptVersionRow:
    """One prompt version as MlflowClient.get_prompt_version gives it: number, every tag (MLflow's own included), aliases."""

    version: int
    tags: dict[str, str]
    aliases: tuple[str, ...]


def read_prompts(registry_uri: str, limit: int = 1000) -> list[tuple[str, list[PromptVersionRow]]] | None:
    """Up to `limit` prompts by name with their versions, oldest first; None when this reader cannot answer exactly."""
    if not registry_uri.startswith("sqlite:///") or "?" in registry_uri:
        return None
    path = Path(registry_uri.removeprefix("sqlite:///"))
    if not path.is_file():
        return None  # MlflowClient creates the store; this reader never writes
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            return _prompts(db, limit)
    except (sqlite3.Error, ValueError):  # a schema or content this reader does not know
        return None


def _prompts(db: sqlite3.Connection, limit: int) -> list[tuple[str, list[PromptVersionRow]]] | None:
    if db.execute("SELECT version_num FROM alembic_version").fetchall() != [(MLFLOW_SCHEMA,)]:
        return None
    if any(db.execute(f"SELECT 1 FROM {table} WHERE workspace != ? LIMIT 1", (_WORKSPACE,)).fetchall()
           for table in ("registered_models", "model_versions")):
        return None  # MLflow refuses such a store without workspaces enabled, or reads another workspace
    names = [n for (n,) in db.execute(
        "SELECT m.name FROM registered_models m JOIN registered_model_tags t ON t.name = m.name AND t.workspace = m.workspace "
        "WHERE m.workspace = ? AND t.key = ? AND t.value = 'true' ORDER BY m.name LIMIT ?", (_WORKSPACE, _IS_PROMPT, limit))]
    found = []
    for name in sorted(names):
        aliases: dict[int, list[str]] = {}
        for alias, version in db.execute("SELECT alias, version FROM registered_model_aliases WHERE name = ? AND workspace = ?",
                                         (name, _WORKSPACE)):
            aliases.setdefault(int(version), []).append(alias)
        tags: dict[int, dict[str, str]] = {}
        for version, key, value in db.execute(
                "SELECT v.version, t.key, t.value FROM model_versions v JOIN model_version_tags t "
                "ON t.name = v.name AND t.version = v.version AND t.workspace = v.workspace "
                "WHERE v.name = ? AND v.workspace = ? AND v.current_stage != ?",  # as MLflow filters (a NULL stage is left out too)
                (name, _WORKSPACE, _DELETED)):
            tags.setdefault(int(version), {})[key] = value
        versions = []
        for number in sorted(n for n, t in tags.items() if t.get(_IS_PROMPT) == "true"):
            if _TEXT not in tags[number]:
                return None  # MlflowClient raises on such a version; let it
            if tags[number].get(_TYPE) == "chat":
                json.loads(tags[number][_TEXT])  # MlflowClient parses a chat template; a broken one must fail the same way
            versions.append(PromptVersionRow(number, tags[number], tuple(aliases.get(number, ()))))
        found.append((name, versions))
    return found

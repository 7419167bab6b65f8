"""Read-only answers from an embedded MLflow store (SQLite, local artifacts) with the standard library, not MLflow.

`import mlflow` and opening its SQLAlchemy store cost more CPU than the 2 s goal for `mmp prompts list`
and `mmp models list` (docs/decisions.md), so these commands read MLflow's tables directly. The reader
answers only for a schema it was written against; for anything else it returns None or raises
`Unanswerable`, and the caller asks MlflowClient, so the output never differs.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
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


def _sqlite_file(uri: str) -> Path | None:
    """The file of a `sqlite:///<file>` URI that exists; None for any other URI (a server, options after `?`, a `%`,
    which SQLAlchemy percent-decodes: `a%41b/mlflow.db` is the store in `aAb`, that MLflow opens or creates)."""
    if not uri.startswith("sqlite:///") or "?" in uri or "%" in uri:
        return None
    path = Path(uri.removeprefix("sqlite:///"))
    return path if path.is_file() else None  # MlflowClient creates a missing store; this reader never writes


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def read_prompts(registry_uri: str, limit: int = 1000) -> list[tuple[str, list[PromptVersionRow]]] | None:
    """Up to `limit` prompts by name with their versions, oldest first; None when this reader cannot answer exactly."""
    path = _sqlite_file(registry_uri)
    if path is None:
        return None
    try:
        with closing(_connect(path)) as db:
            return _prompts(db, limit)
    except (sqlite3.Error, ValueError):  # a schema or content this reader does not know
        return None


def _prompts(db: sqlite3.Connection, limit: int) -> list[tuple[str, list[PromptVersionRow]]] | None:
    if not _known(db, ("registered_models", "model_versions")):
        return None
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


# `mmp models list`: the few MlflowClient calls mmp_assets.registry makes to list versions and re-derive their
# gate and trainer (versions, verified_gate, not_anchored, incomplete_refusal, trainer_of), answered the same way

_NAME = re.compile(r"^[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*$")  # MLflow accepts it and `name = '...'` quotes it plainly
_RUN_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")  # MLflow's own check (utils/validation.py); it refuses others
_LOCAL_ROOT = re.compile(r"^file:///[A-Za-z0-9_./+-]*$")  # a local artifact root: no host, %-escape, query or fragment
_ARTIFACT_PATH = re.compile(r"^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*$")
_WORKSPACE_ENV = ("MLFLOW_ENABLE_WORKSPACES", "MLFLOW_WORKSPACE", "MLFLOW_WORKSPACE_STORE_URI")
_MAX_VERSIONS = 10000  # one page of search_model_versions, MLflow's default; a longer list MLflow would cut


class Unanswerable(Exception):
    """The store holds something this reader was not written for: ask MlflowClient, which answers for everything."""


class NotFound(Exception):
    """No such registered model, version or run: where MlflowClient raises MlflowException (RESOURCE_DOES_NOT_EXIST)."""


def lookup_errors() -> tuple[type[Exception], ...]:
    """What a registry lookup raises for something that does not exist: this reader's NotFound, and MlflowException
    whenever MLflow is loaded (always, once an MlflowClient exists) -- found without importing MLflow."""
    loaded = sys.modules.get("mlflow.exceptions")
    return (NotFound,) if loaded is None else (NotFound, loaded.MlflowException)


@dataclass(frozen=True)
class RegisteredModelRow:
    name: str
    aliases: dict[str, int]
    tags: dict[str, str]


@dataclass(frozen=True)
class ModelVersionRow:
    name: str
    version: int
    run_id: str | None
    creation_timestamp: int
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunInfoRow:
    run_id: str
    artifact_uri: str | None


@dataclass(frozen=True)
class RunDataRow:
    params: dict[str, str]
    tags: dict[str, str]


@dataclass(frozen=True)
class RunRow:
    info: RunInfoRow
    data: RunDataRow


class EmbeddedStore:
    """Read-only stand-in for MlflowClient over the embedded store: get_registered_model, search_model_versions
    (`name = '<name>'` only), get_model_version, get_run, download_artifacts (local files only), answered from the
    tables as MLflow 3.17's SQLAlchemy store and local artifact repository answer them. Where MlflowClient raises
    MlflowException for something missing it raises NotFound; anything it does not know raises Unanswerable."""

    def __init__(self, registry: sqlite3.Connection, tracking: sqlite3.Connection):
        self._registry, self._tracking = registry, tracking

    @staticmethod
    def _rows(db: sqlite3.Connection, sql: str, params: tuple = ()) -> list[tuple]:
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise Unanswerable(f"the store cannot be read as MLflow {MLFLOW_SCHEMA} wrote it: {exc}") from exc

    @staticmethod
    def _name(name: object) -> str:
        if not isinstance(name, str) or not _NAME.match(name):
            raise Unanswerable(f"model name {name!r}: MLflow decides what it makes of it")
        return name

    def get_registered_model(self, name: str) -> RegisteredModelRow:
        self._name(name)
        if not self._rows(self._registry, "SELECT 1 FROM registered_models WHERE name = ? AND workspace = ?", (name, _WORKSPACE)):
            raise NotFound(f"Registered Model with name={name} not found")
        tags = dict(self._rows(self._registry, "SELECT key, value FROM registered_model_tags WHERE name = ? AND workspace = ?",
                               (name, _WORKSPACE)))
        if _IS_PROMPT in tags:
            raise Unanswerable(f"{name} is a prompt, which MlflowClient hides from its model calls")
        aliases = dict(self._rows(self._registry, "SELECT alias, version FROM registered_model_aliases WHERE name = ? "
                                                  "AND workspace = ?", (name, _WORKSPACE)))
        return RegisteredModelRow(name, aliases, tags)

    def search_model_versions(self, filter_string: str) -> list[ModelVersionRow]:
        match = re.fullmatch(r"name = '([^']*)'", filter_string)
        if match is None:
            raise Unanswerable(f"search filter {filter_string!r}: only `name = '<name>'` is read here")
        name = self._name(match.group(1))
        found = self._versions(name, "")
        if len(found) > _MAX_VERSIONS:
            raise Unanswerable(f"{name} has more versions than one page of MLflow's search")
        return found

    def get_model_version(self, name: str, version: str | int) -> ModelVersionRow:
        self._name(name)
        try:
            number = int(version)
        except (TypeError, ValueError) as exc:
            raise Unanswerable(f"version {version!r}: MLflow decides what it makes of it") from exc
        found = self._versions(name, " AND v.version = ?", (number,))
        if not found:
            raise NotFound(f"Model Version (name={name}, version={version}) not found")
        return found[0]

    def _versions(self, name: str, where: str, params: tuple = ()) -> list[ModelVersionRow]:
        rows = self._rows(self._registry, "SELECT v.version, v.run_id, v.creation_time FROM model_versions v WHERE v.name = ? "
                          f"AND v.workspace = ? AND v.current_stage != ?{where}", (name, _WORKSPACE, _DELETED, *params))
        tags: dict[int, dict[str, str]] = {}
        for number, key, value in self._rows(
                self._registry, "SELECT v.version, t.key, t.value FROM model_versions v JOIN model_version_tags t ON t.name = v.name "
                "AND t.version = v.version AND t.workspace = v.workspace WHERE v.name = ? AND v.workspace = ? "
                f"AND v.current_stage != ?{where}", (name, _WORKSPACE, _DELETED, *params)):
            tags.setdefault(number, {})[key] = value
        found = []
        for number, run_id, created in rows:
            if type(number) is not int or type(created) is not int or not (run_id is None or isinstance(run_id, str)):
                raise Unanswerable(f"{name} v{number}: a row MLflow did not write")
            if _IS_PROMPT in tags.get(number, {}):
                raise Unanswerable(f"{name} v{number} is a prompt version, which MlflowClient hides from its model calls")
            found.append(ModelVersionRow(name, number, run_id, created, tags.get(number, {})))
        return found

    def get_run(self, run_id: str) -> RunRow:
        if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
            raise Unanswerable(f"run id {run_id!r}: MLflow refuses it in its own words")
        found = self._rows(self._tracking, "SELECT artifact_uri FROM runs WHERE run_uuid = ?", (run_id,))
        if not found:
            raise NotFound(f"Run with id={run_id} not found")
        params = dict(self._rows(self._tracking, "SELECT key, value FROM params WHERE run_uuid = ?", (run_id,)))
        tags = dict(self._rows(self._tracking, "SELECT key, value FROM tags WHERE run_uuid = ?", (run_id,)))
        return RunRow(RunInfoRow(run_id, found[0][0]), RunDataRow(params, tags))

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        """The local path of artifact `path` of run `run_id`, a regular UTF-8 file under a `file:///` artifact root. A
        missing or odd artifact is Unanswerable, not NotFound: MLflow's error for it is part of what gets printed."""
        try:
            root = self.get_run(run_id).info.artifact_uri
        except NotFound as exc:
            raise Unanswerable(str(exc)) from exc
        if (not isinstance(root, str) or not _LOCAL_ROOT.match(root) or not isinstance(path, str) or not _ARTIFACT_PATH.match(path)
                or any(part in (".", "..") for part in path.split("/"))):
            raise Unanswerable(f"artifact {path!r} under {root!r}: not a local file this reader knows")
        file = Path(root.removeprefix("file://")) / path
        try:
            if file.is_symlink() or not file.is_file():
                raise Unanswerable(f"artifact {file}: not a regular file")
            file.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise Unanswerable(f"artifact {file}: {exc}") from exc
        return str(file)


def _known(db: sqlite3.Connection, tables: tuple[str, ...]) -> bool:
    """The pinned MLflow's schema, every row in the default workspace (MLflow refuses others without workspaces enabled)."""
    if db.execute("SELECT version_num FROM alembic_version").fetchall() != [(MLFLOW_SCHEMA,)]:
        return False
    return not any(db.execute(f"SELECT 1 FROM {table} WHERE workspace != ? LIMIT 1", (_WORKSPACE,)).fetchall() for table in tables)


@contextmanager
def embedded_store(registry_uri: str, tracking_uri: str) -> Iterator[EmbeddedStore | None]:
    """The read-only reader over an embedded store this module knows, or None: then MlflowClient must answer."""
    registry, tracking = _sqlite_file(registry_uri), _sqlite_file(tracking_uri)
    if registry is None or tracking is None or any(os.environ.get(name) for name in _WORKSPACE_ENV):
        yield None
        return
    with ExitStack() as opened:
        try:
            registry_db = opened.enter_context(closing(_connect(registry)))
            same = registry.resolve() == tracking.resolve()
            tracking_db = registry_db if same else opened.enter_context(closing(_connect(tracking)))
            known = (_known(registry_db, ("registered_models", "model_versions", *(("experiments",) if same else ())))
                     and (same or _known(tracking_db, ("experiments",))))
        except sqlite3.Error:  # not an MLflow store this reader knows
            known = False
        yield EmbeddedStore(registry_db, tracking_db) if known else None

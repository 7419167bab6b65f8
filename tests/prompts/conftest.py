"""Prompt fixtures: the project copy from tests/conftest.py with a real MLflow SQLite store in tmp_path.

Creating an MLflow store runs its schema migrations (seconds on a busy machine), so one empty store
is migrated per session and every test gets its own file copy of it.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow import MlflowClient

from mmp_assets.prompts.registry import PromptRegistry
from mmp_assets.recipes import RecipeSet, load_recipes
from mmp_resources.audit_log import AuditLog
from mmp_resources.tracking import MlflowResource

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def empty_mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mlflow_template") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path}", registry_uri=f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def prompt_project(project: Path, empty_mlflow_store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project copy plus the failing example prompt, its MLflow store in place, and alice as the acting user."""
    for example in (REPO / "docs" / "examples" / "prompts").iterdir():
        shutil.copy(example, project / "recipes" / "prompts" / example.name)
    data_dir = project / ".mmp"
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(empty_mlflow_store, data_dir / "mlflow.db")
    monkeypatch.setenv("MMP_USER", "alice")
    monkeypatch.delenv("MMP_PROMPT_RESPONDER", raising=False)
    return project


@pytest.fixture
def mlflow_resource(prompt_project: Path) -> MlflowResource:
    return MlflowResource(project_dir=str(prompt_project), env="base")


@pytest.fixture
def registry(mlflow_resource: MlflowResource) -> PromptRegistry:
    return PromptRegistry(mlflow_resource.client())


@pytest.fixture
def audit(prompt_project: Path) -> AuditLog:
    return AuditLog.for_data_dir(prompt_project / ".mmp")


@pytest.fixture
def recipes(prompt_project: Path) -> RecipeSet:
    found = load_recipes(prompt_project)
    assert not [p for p in found.problems if "prompts" in p.file], found.problems
    return found


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Any attempt to open a network connection raises, and is recorded for the test to assert on."""
    attempts: list[str] = []

    def refuse(*args, **kwargs):
        attempts.append(repr(args[:2]))
        raise OSError("network access is blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield attempts

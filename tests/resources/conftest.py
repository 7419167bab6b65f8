"""Fixtures for the resource contract tests: a throwaway project whose config picks one implementation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from mmp_resources.sandbox import private_services

REPO = Path(__file__).resolve().parents[2]
CONTRACT_ENV = "contract"


def write_project(folder: Path, overlay: dict) -> tuple[Path, str]:
    """A project in `folder`: the repo's base.yaml plus `config/contract.yaml` = overlay, data under folder/data."""
    root = folder / "project"
    (root / "config").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "config" / "base.yaml", root / "config" / "base.yaml")
    body = {"data_dir": str(folder / "data"), **overlay}
    (root / "config" / f"{CONTRACT_ENV}.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    return root, CONTRACT_ENV


@pytest.fixture(scope="session")
def pg_services(tmp_path_factory):
    """Private PostgreSQL databases and Redis prefix shared by this folder's server-backed params."""
    with private_services(tmp_path_factory.mktemp("services")) as sandbox:
        yield sandbox


@pytest.fixture
def contract_project(tmp_path):
    """make(overlay) → (project root, env name) for one test."""
    return lambda overlay: write_project(tmp_path, overlay)

"""Shared fixtures: a throwaway copy of the project (config + recipes) with its data dir in tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repo's config/ and recipes/ in tmp_path, selected via MMP_PROJECT_DIR, base env."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "config", root / "config")
    shutil.copytree(REPO / "recipes", root / "recipes")
    monkeypatch.setenv("MMP_PROJECT_DIR", str(root))
    monkeypatch.setenv("MMP_DATA_DIR", str(root / ".mmp"))
    monkeypatch.delenv("MMP_ENV", raising=False)
    return root

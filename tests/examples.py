"""A project built from one of `docs/examples/<name>`: the repo's config/ (plus a `ci` overlay capping the search),
the example's recipes, and the data its own `write_data.py` generates — what a user copying the example gets."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]


def example_module(name: str) -> ModuleType:
    """`docs/examples/<name>/write_data.py`, imported under a name of its own."""
    spec = importlib.util.spec_from_file_location(f"{name}_write_data", REPO / "docs" / "examples" / name / "write_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def example_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, *, max_trials: int = 2) -> Path:
    """The project folder, with MMP_PROJECT_DIR / MMP_DATA_DIR / MMP_ENV pointing at it; data not yet written."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "config", root / "config")
    shutil.copytree(REPO / "docs" / "examples" / name / "recipes", root / "recipes")
    (root / "config" / "ci.yaml").write_text(f"hpo:\n  max_trials: {max_trials}\n  max_timeout_s: 120\n")
    monkeypatch.setenv("MMP_PROJECT_DIR", str(root))
    monkeypatch.setenv("MMP_DATA_DIR", str(root / ".mmp"))
    monkeypatch.setenv("MMP_ENV", "ci")
    return root

"""A project holding only the forecasting example (docs/examples/forecasting), its series written by write_data.py."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "forecasting"


def example_module():
    spec = importlib.util.spec_from_file_location("forecast_write_data", EXAMPLE / "write_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def forecast_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """config/ of the repo (plus a `ci` overlay capping the search at 2 trials) and the example recipe with its data."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "config", root / "config")
    shutil.copytree(EXAMPLE / "recipes", root / "recipes")
    (root / "config" / "ci.yaml").write_text("hpo:\n  max_trials: 2\n  max_timeout_s: 120\n")
    monkeypatch.setenv("MMP_PROJECT_DIR", str(root))
    monkeypatch.setenv("MMP_DATA_DIR", str(root / ".mmp"))
    monkeypatch.setenv("MMP_ENV", "ci")
    example_module().write_tables(root)
    return root

"""A project holding only the uplift example (docs/examples/uplift), with its generated experiment written to data/."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "uplift"


def example_module():
    spec = importlib.util.spec_from_file_location("uplift_write_data", EXAMPLE / "write_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def uplift_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """config/ of the repo (plus a `ci` overlay capping the search at 2 trials), the example recipes and data."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "config", root / "config")
    shutil.copytree(EXAMPLE / "recipes", root / "recipes")
    (root / "config" / "ci.yaml").write_text("hpo:\n  max_trials: 2\n  max_timeout_s: 120\n")
    monkeypatch.setenv("MMP_PROJECT_DIR", str(root))
    monkeypatch.setenv("MMP_DATA_DIR", str(root / ".mmp"))
    monkeypatch.setenv("MMP_ENV", "ci")
    example_module().write_data(root, rows=1200)
    return root

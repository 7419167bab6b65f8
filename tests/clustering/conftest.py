"""A project holding only the clustering example (docs/examples/clustering), with its generated table."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "clustering"
RECIPE = "recipes/shopper_segments.yaml"


def example_module():
    spec = importlib.util.spec_from_file_location("write_clustering_data", EXAMPLE / "write_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def cluster_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """config/ of the repo (plus a `ci` overlay capping the search at 3 trials), the example recipes and 400 generated rows."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "config", root / "config")
    shutil.copytree(EXAMPLE / "recipes", root / "recipes")
    (root / "config" / "ci.yaml").write_text("hpo:\n  max_trials: 3\n  max_timeout_s: 120\n")
    monkeypatch.setenv("MMP_PROJECT_DIR", str(root))
    monkeypatch.setenv("MMP_DATA_DIR", str(root / ".mmp"))
    monkeypatch.setenv("MMP_ENV", "ci")
    example_module().write_tables(root, 400)
    return root

"""A project holding only the clustering example (docs/examples/clustering), with its generated table."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.examples import example_module as _example_module
from tests.examples import example_project
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "clustering"
RECIPE = "recipes/shopper_segments.yaml"


def example_module():
    return _example_module("clustering")


@pytest.fixture
def cluster_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """config/ of the repo (plus a `ci` overlay capping the search at 3 trials), the example recipes and 400 generated rows."""
    root = example_project(tmp_path, monkeypatch, "clustering", max_trials=3)
    example_module().write_tables(root, 400)
    return root

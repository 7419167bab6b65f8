"""A project holding only the uplift example (docs/examples/uplift), with its generated experiment written to data/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.examples import example_module as _example_module
from tests.examples import example_project
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "uplift"


def example_module():
    return _example_module("uplift")


@pytest.fixture
def uplift_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """config/ of the repo (plus a `ci` overlay capping the search at 2 trials), the example recipes and data."""
    root = example_project(tmp_path, monkeypatch, "uplift", max_trials=2)
    example_module().write_data(root, rows=1200)
    return root

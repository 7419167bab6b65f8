"""A project holding only the forecasting example (docs/examples/forecasting), its series written by write_data.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.examples import example_module as _example_module
from tests.examples import example_project
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "forecasting"


def example_module():
    return _example_module("forecasting")


@pytest.fixture
def forecast_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """config/ of the repo (plus a `ci` overlay capping the search at 2 trials) and the example recipe with its data."""
    root = example_project(tmp_path, monkeypatch, "forecasting", max_trials=2)
    example_module().write_tables(root)
    return root

"""A project holding only the plain-table examples (docs/examples/plain_tables), with their data written from sklearn."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.examples import example_module as _example_module
from tests.examples import example_project
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "plain_tables"


def example_module():
    return _example_module("plain_tables")


@pytest.fixture
def plain_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """config/ of the repo (plus a `ci` overlay capping the search at 2 trials) and the example recipes."""
    root = example_project(tmp_path, monkeypatch, "plain_tables", max_trials=2)
    example_module().write_tables(root)
    return root

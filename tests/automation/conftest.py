"""The tiny synthetic project (tests/automation/synthetic.py), selected as the active project."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.automation.synthetic import build_project


@pytest.fixture
def tiny_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = build_project(tmp_path / "project")
    monkeypatch.setenv("MMP_PROJECT_DIR", str(root))
    monkeypatch.setenv("MMP_DATA_DIR", str(root / ".mmp"))
    monkeypatch.delenv("MMP_ENV", raising=False)
    monkeypatch.delenv("MMP_ALERT_WEBHOOK_URL", raising=False)
    return root

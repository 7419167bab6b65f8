"""Bad input at the command line is one line first on stderr, before any log line, and changes nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MMP = str(Path(sys.executable).with_name("mmp"))


def _mmp(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MMP_PROJECT_DIR": str(project), "MMP_DATA_DIR": str(project / ".mmp")}
    for name in ("MMP_ENV", "DAGSTER_HOME"):
        env.pop(name, None)
    return subprocess.run([MMP, *args], cwd=project, env=env, capture_output=True, text=True, timeout=300)


def test_a_project_dir_without_recipes_is_one_line(tmp_path):
    project = tmp_path / "not_a_project"
    shutil.copytree(REPO / "config", project / "config")
    done = _mmp(project, "validate")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (f"{project}: recipes/: no such folder: run mmp from your project folder (or set "
                                           "MMP_PROJECT_DIR to it), or start a project with `mmp init <dir>`")
    assert not (project / "recipes").exists()


def test_promoting_an_unknown_version_leads_with_the_refusal_not_mlflow_logs(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(REPO / "config", project / "config")
    (project / "recipes").mkdir()
    done = _mmp(project, "models", "promote", "fraud", "--version", "99", "--approver", "bob", "--reason", "x")
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["refused: model 'fraud' has no version 99; versions: none"]

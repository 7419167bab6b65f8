"""Run one `mmp` command in a fresh process and say which heavy modules it imported: read-only
commands must pay only for what they read (tests/test_cli.py does the same for `--help`)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("dagster", "sklearn", "catboost", "xgboost", "lightgbm", "optuna", "shap", "evidently", "duckdb",
         "mmp_assets.recipes", "mmp_assets.training", "mmp_assets.evaluation")
_PROBE = """import sys
from mmp_assets.cli.main import main
code = main({argv!r})
print(" ".join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
sys.exit(code)"""


def run_probed(argv: list[str], heavy: tuple[str, ...] = HEAVY) -> tuple[int, str, list[str]]:
    """(exit code, stdout, which of `heavy` were imported) of `mmp <argv>` in a fresh process with this environment."""
    done = subprocess.run([sys.executable, "-c", _PROBE.format(argv=argv, heavy=heavy)], capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr.strip().splitlines()[-1].split() if done.stderr.strip() else []

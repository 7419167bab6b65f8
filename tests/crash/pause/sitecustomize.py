"""Test only, never installed: imported by the child `mmp materialize` of tests/crash (this folder is put on its
PYTHONPATH), it makes the child stop at one point so the test can `kill -9` it there.

MMP_CRASH_TEST_POINT names the point; on reaching it the child writes its pid to MMP_CRASH_TEST_MARKER and
sleeps until it is killed. Production code holds no hook: the points are functions wrapped here.
"""

import os

POINT = os.environ.get("MMP_CRASH_TEST_POINT")


def _hold() -> None:
    import time
    from pathlib import Path

    Path(os.environ["MMP_CRASH_TEST_MARKER"]).write_text(str(os.getpid()))
    time.sleep(900)  # the test kills the process group long before


def _wrap(module, name: str, when: str) -> None:
    original = getattr(module, name)

    def held(*args, **kwargs):
        if when == "before":
            _hold()
        result = original(*args, **kwargs)
        _hold()
        return result

    setattr(module, name, held)


if POINT == "step_start":  # the view step has claimed its mmp_duckdb slot and started; nothing is written yet
    from mmp_assets.feature_store import views

    _wrap(views, "materialize_view", "before")
elif POINT == "publish":  # inside the publish transaction: catalog row written, current pointer moved, no COMMIT
    from mmp_assets.feature_store import catalog

    _wrap(catalog, "set_current", "after")
elif POINT == "register":  # the MLflow version exists; no candidate alias, no audit entry yet
    import mlflow

    _wrap(mlflow, "register_model", "after")
elif POINT == "evaluate":  # the report is written under data_dir; nothing logged to MLflow or the audit log yet
    from mmp_assets.evaluation import run

    _wrap(run, "write_report", "after")
elif POINT:
    raise SystemExit(f"MMP_CRASH_TEST_POINT: unknown point {POINT!r}")

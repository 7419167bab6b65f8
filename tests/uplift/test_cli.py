"""`mmp list tasks|metrics` show the uplift task, its metrics and what it fits."""

from __future__ import annotations

from mmp_assets.cli.main import main


def test_list_tasks_and_metrics_show_uplift(capsys) -> None:
    assert main(["list", "tasks"]) == 0
    out = capsys.readouterr().out
    assert ("uplift\n  metrics: qini (max), auuc (max), uplift_at_30 (max)\n"
            "  first-class models: catboost.CatBoostClassifier, xgboost.XGBClassifier, lightgbm.LGBMClassifier\n"
            "  learners: uplift.learner s | t | x over model.class_path (see docs/training.md)") in out
    assert main(["list", "metrics"]) == 0
    rows = [line.split()[:4] for line in capsys.readouterr().out.splitlines() if " uplift " in line]
    assert rows == [["qini", "uplift", "maximize", "predictions"], ["auuc", "uplift", "maximize", "predictions"],
                    ["uplift_at_30", "uplift", "maximize", "predictions"]]

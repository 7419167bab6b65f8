"""The evaluation and drift assets on a real DuckDB file, MLflow store and Dagster instance."""

from pathlib import Path

import dagster as dg
import numpy as np
import pytest
import yaml

from mmp_assets import keys
from mmp_assets.evaluation.assets import build_evaluation_assets
from mmp_assets.feature_store.assets import build_feature_store_assets, build_training_set_assets
from mmp_assets.recipes import load_recipes
from mmp_assets.training.assets import build_model_assets
from mmp_resources import load_config
from mmp_resources.resources import build_resources
from tests.evaluation.conftest import synthetic_frame

REPO = Path(__file__).resolve().parents[2]

RECIPE = {
    "description": "Toy classifier whose gate is set out of reach.", "owner": "team:tests", "task": "classification",
    "spine": {"source": "events", "entity": "user_id", "timestamp": "event_time", "label": "label",
              "columns": ["strong", "weak", "noise", "channel", "visits", "fresh", "is_new"]},
    "split": {"strategy": "temporal", "validation": 0.15, "test": 0.2, "seed": 1},
    "preprocessing": {"categorical": {"encode": "onehot"}},
    "model": {"class_path": "sklearn.ensemble.HistGradientBoostingClassifier", "params": {"max_iter": 20, "random_state": 0},
              "search_space": {"learning_rate": {"type": "float", "low": 0.05, "high": 0.3}}},
    "tuning": {"n_trials": 1, "metric": "roc_auc", "pruner": "none"},
    "evaluation": {"metrics": ["roc_auc", "f1"], "gate": {"roc_auc": ">= 0.999"}, "backtest": {"windows": 2},
                   "shap_sample": 50, "bootstrap": 20},
    "monitoring": {"scoring_source": "scoring", "drift": {"share_drifted_max": 0.2, "psi_max": 0.2}},
}


@pytest.fixture
def toy_project(tmp_path, monkeypatch, webhook):
    root = tmp_path / "project"
    (root / "config").mkdir(parents=True)
    (root / "config" / "base.yaml").write_text((REPO / "config" / "base.yaml").read_text())
    (root / "recipes" / "sources").mkdir(parents=True)
    (root / "data").mkdir()
    frame = synthetic_frame(900, seed=8).drop(columns="split")
    frame["user_id"] = frame["user_id"].astype(str)
    # an integer column without NULLs (it used to fail registration after the search) and a column
    # just added to the source, NULL in every row so far (it used to fail every trial)
    frame["visits"] = np.arange(len(frame)) % 7
    frame["fresh"] = np.nan
    frame["is_new"] = np.arange(len(frame)) % 3 == 0  # BOOLEAN: a categorical the scoring rows share
    frame.to_parquet(root / "data" / "events.parquet")
    scoring = synthetic_frame(300, seed=9).drop(columns=["split", "label"])
    scoring["user_id"] = scoring["user_id"].astype(str)
    scoring["visits"], scoring["fresh"], scoring["is_new"] = np.arange(len(scoring)) % 7, 1.0, np.arange(len(scoring)) % 3 == 0
    scoring["strong"] += 1.5  # the live data moved
    scoring["event_time"] += np.timedelta64(200, "D")
    scoring.to_parquet(root / "data" / "scoring.parquet")
    for name in ("events", "scoring"):
        source = {"name": name, "description": f"{name} rows.", "owner": "team:tests", "path": f"data/{name}.parquet"}
        (root / "recipes" / "sources" / f"{name}.yaml").write_text(yaml.safe_dump(source))
    (root / "recipes" / "toy.yaml").write_text(yaml.safe_dump(RECIPE))
    monkeypatch.setenv("MMP_PROJECT_DIR", str(root))
    monkeypatch.setenv("MMP_DATA_DIR", str(root / ".mmp"))
    monkeypatch.setenv("MMP_ALERT_WEBHOOK_URL", webhook[0])
    monkeypatch.setenv("MMP_USER", "alice")
    monkeypatch.delenv("MMP_ENV", raising=False)
    return root


@pytest.mark.slow
def test_failing_gate_blocks_downstream_tags_the_version_and_alerts(toy_project, webhook):
    recipes = load_recipes(toy_project)
    assert not recipes.problems, recipes.problems
    config = load_config(toy_project)
    recipe = recipes.models["toy"]
    evaluation_key = keys.recipe_key("toy", "evaluation")

    @dg.asset(key=dg.AssetKey(["toy", "deployment"]), deps=[evaluation_key])
    def deployment() -> None:
        """Stands for anything that must only run after a passing gate."""

    assets = [*build_feature_store_assets(recipes, config, toy_project), *build_training_set_assets(recipe, recipes, config, toy_project),
              *build_model_assets(recipe, recipes, config, toy_project), *build_evaluation_assets(recipe, recipes, config, toy_project),
              deployment]
    with dg.instance_for_test() as instance:
        result = dg.materialize(assets, resources=build_resources(config, toy_project), instance=instance, raise_on_error=False,
                                selection=dg.AssetSelection.assets(*[a.key for a in assets if a.key != keys.recipe_key("toy", "predictions")]))
        materialized = {e.asset_key for e in result.get_asset_materialization_events()}
        checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
        metadata = next(e.materialization.metadata for e in result.get_asset_materialization_events()
                        if e.asset_key == evaluation_key)
        model_metadata = next(e.materialization.metadata for e in result.get_asset_materialization_events()
                              if e.asset_key == keys.recipe_key("toy", "model"))

    assert evaluation_key in materialized and keys.recipe_key("toy", "drift") in materialized
    assert [w for w in model_metadata["warnings"].value if "'fresh'" in w]  # left out of the model, and said so
    assert dg.AssetKey(["toy", "deployment"]) not in materialized  # the blocking gate stopped it
    assert isinstance(metadata["test_roc_auc"], dg.FloatMetadataValue)  # numeric, so Dagster charts it
    assert "data:image/png;base64," in metadata["model_card"].value and metadata["gate"].value == "failed"
    assert not checks["quality_gate"].passed and "roc_auc is" in checks["quality_gate"].description
    assert not checks["drift_within_thresholds"].passed and "PSI of strong" in checks["drift_within_thresholds"].description
    assert "is_new" not in checks["drift_within_thresholds"].description  # same flags on both sides, same types

    client = build_resources(config, toy_project)["mlflow"].client()
    version = client.get_model_version_by_alias("toy", "candidate")
    assert version.tags["gate"] == "failed" and "roc_auc is" in version.tags["mmp.gate_message"]
    artifacts = {a.path for a in client.list_artifacts(version.run_id, "evaluation")}
    assert {"evaluation/report.html", "evaluation/model_card.md", "evaluation/drift.html"} <= artifacts
    html = (config.data_dir / "reports" / "toy" / f"v{version.version}" / "report.html").read_text()
    for section in ("Metrics (test split)", "Comparisons", "Backtest replay", "Explanations", "Drift", "Quality gate", "Limitations"):
        assert section in html
    titles = [alert["title"] for _, alert in webhook[1]]
    assert "toy: quality gate failed" in titles and "toy: drift breach" in titles

    # a gate tag flipped by hand does not promote: promotion re-derives the verdict from the stored gate record
    from mmp_assets.registry.lifecycle import PromotionRefused, promote
    from mmp_resources.audit_log import AuditLog

    client.set_model_version_tag("toy", version.version, "gate", "passed")
    with pytest.raises(PromotionRefused, match=r"tag gate says 'passed' but the evaluation recorded in audit entry \d+ says 'failed'"):
        promote(client, AuditLog.for_data_dir(config.data_dir), "toy", version.version, approver="reviewer", reason="flipped")

"""A tiny project in tmp_path: three sources, two views, three recipes with different column needs.

    events  ─────────────────────────────▶ alpha, beta, gamma (spine)
    profiles ─▶ features/user_view ──────▶ alpha (all columns), beta (p1 only)
    merchants ─▶ features/merchant_view ─▶ beta, gamma  (SQL naming its columns)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[2]
N_EVENTS = 240
DRIFT_CHECK = "no_drift"


def _recipe(name: str, features: list[dict], **extra) -> dict:
    return {
        "name": name, "description": f"Toy model {name} for automation tests.", "owner": "team:tests",
        "task": "classification",
        "spine": {"source": "events", "entity": "user_id", "timestamp": "event_time", "label": "label", "columns": ["x"]},
        "features": features,
        "split": {"strategy": "temporal", "validation": 0.2, "test": 0.2},
        "model": {"class_path": "sklearn.linear_model.LogisticRegression", "params": {"max_iter": 200}},
        "tuning": {"n_trials": 1, "metric": "roc_auc", "pruner": "none"},
        "evaluation": {"metrics": ["roc_auc"], "bootstrap": 0, "shap_sample": 20, "gate": {"roc_auc": ">= 0.0"}},
        **extra,
    }


def frames(seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    users, merchants = [f"u{i}" for i in range(12)], [f"m{i}" for i in range(4)]
    start = pd.Timestamp("2024-01-01")
    events = pd.DataFrame({
        "user_id": rng.choice(users, N_EVENTS), "merchant_id": rng.choice(merchants, N_EVENTS),
        "event_time": start + pd.to_timedelta(np.sort(rng.uniform(10, 60, N_EVENTS)), unit="D"), "x": rng.normal(size=N_EVENTS),
    })
    events["label"] = (events["x"] + rng.normal(scale=0.5, size=N_EVENTS) > 0).astype(int)
    snapshots = [start + pd.Timedelta(days=7 * w) for w in range(9)]
    profiles = pd.DataFrame([{"user_id": u, "snapshot_time": t, "p1": float(rng.normal()), "p2": float(rng.normal())}
                             for u in users for t in snapshots])
    merchant_rows = pd.DataFrame([{"merchant_id": m, "snapshot_time": t, "m1": float(rng.normal())} for m in merchants for t in snapshots])
    return {"events": events, "profiles": profiles, "merchants": merchant_rows}


def write_source(root: Path, name: str, frame: pd.DataFrame) -> None:
    path = root / "data" / f"{name}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)


def _yaml(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def build_project(root: Path, *, beta_retrains_on_compatible: bool = False) -> Path:
    """Write config, recipes and data for the tiny project under `root`."""
    shutil.copytree(REPO / "config", root / "config")
    recipes = root / "recipes"
    for name in ("events", "profiles", "merchants"):
        _yaml(recipes / "sources" / f"{name}.yaml",
              {"name": name, "description": f"Toy {name}.", "owner": "team:tests", "path": f"data/{name}.parquet"})
    _yaml(recipes / "features" / "user_view.yaml", {
        "name": "user_view", "description": "Toy user features.", "owner": "team:tests", "entity": "user_id",
        "timestamp": "snapshot_time", "ttl": "30d", "source": "profiles"})
    _yaml(recipes / "features" / "merchant_view.yaml", {
        "name": "merchant_view", "description": "Toy merchant features.", "owner": "team:tests", "entity": "merchant_id",
        "timestamp": "snapshot_time", "source": {"sql": "SELECT merchant_id, snapshot_time, m1 FROM merchants"}})
    beta_monitoring = {"monitoring": {"retrain_on_compatible_schema_change": True}} if beta_retrains_on_compatible else {}
    _yaml(recipes / "alpha.yaml", _recipe("alpha", [{"view": "user_view"}]))
    _yaml(recipes / "beta.yaml", _recipe("beta", [{"view": "user_view", "columns": ["p1"]},
                                                  {"view": "merchant_view", "on": "merchant_id"}], **beta_monitoring))
    _yaml(recipes / "gamma.yaml", _recipe("gamma", [{"view": "merchant_view", "on": "merchant_id"}]))
    for name, frame in frames().items():
        write_source(root, name, frame)
    return root


def stub_stage_specs(recipes) -> list:
    """No-op stand-ins for the model, evaluation and drift assets, so the graph has its real shape."""
    import dagster as dg

    from mmp_assets import keys

    stubs = []
    for name, recipe in recipes.models.items():
        model, evaluation, drift = (keys.recipe_key(name, stage) for stage in ("model", "evaluation", "drift"))
        specs = [
            dg.AssetSpec(model, deps=[keys.recipe_key(name, "training_set")], group_name=name),
            dg.AssetSpec(evaluation, deps=[model], group_name=name),
            dg.AssetSpec(drift, deps=[model, keys.source_key(recipe.spine.source)], group_name=name),
        ]

        @dg.multi_asset(specs=specs, name=f"{name}_stages", can_subset=True,
                        check_specs=[dg.AssetCheckSpec(DRIFT_CHECK, asset=drift, blocking=False)])
        def _stages(context):
            for spec in context.assets_def.specs:  # in topological order, as Dagster requires of a multi-asset
                if spec.key in context.selected_asset_keys:
                    yield dg.MaterializeResult(asset_key=spec.key)

        stubs.append(_stages)
    return stubs


def feature_store_definitions(root: Path):
    """Sources, views and training sets from the feature store's own factories, model stages stubbed,
    with mmp's automation applied: the graph the automation tests reason about."""
    import dagster as dg

    from mmp_assets.audit.job import build_audit_job
    from mmp_assets.automation import build_automation
    from mmp_assets.automation.conditions import apply_automation
    from mmp_assets.feature_store import build_feature_store_assets, build_training_set_assets
    from mmp_assets.recipes import load_recipes
    from mmp_resources import build_resources, load_config

    config, recipes = load_config(root), load_recipes(root)
    assets = list(build_feature_store_assets(recipes, config, root))
    for recipe in recipes.models.values():
        assets += build_training_set_assets(recipe, recipes, config, root)
    assets = apply_automation(assets + stub_stage_specs(recipes), recipes, config)
    sensors, schedules, jobs = build_automation(recipes, config, root)
    return dg.Definitions(assets=assets, sensors=sensors, schedules=schedules, jobs=jobs, resources=build_resources(config, root))


def project_definitions(root: Path):
    """Every stage's real factory (the lead's `build_recipe_assets`) with mmp's automation applied."""
    import dagster as dg

    from mmp_assets.audit.job import build_audit_job
    from mmp_assets.automation import build_automation
    from mmp_assets.automation.conditions import apply_automation
    from mmp_assets.recipes import load_recipes
    from mmp_resources import build_resources, load_config

    config, recipes = load_config(root), load_recipes(root)
    try:
        from mmp_assets.factory import build_recipe_assets

        assets = build_recipe_assets(recipes, config, root)
    except ModuleNotFoundError:  # the evaluation factory has not landed yet: feature store + training only
        from mmp_assets.feature_store import build_feature_store_assets, build_training_set_assets
        from mmp_assets.training.assets import build_model_assets

        assets = list(build_feature_store_assets(recipes, config, root))
        for recipe in recipes.models.values():
            assets += build_training_set_assets(recipe, recipes, config, root) + build_model_assets(recipe, recipes, config, root)
    sensors, schedules, jobs = build_automation(recipes, config, root)
    return dg.Definitions(assets=apply_automation(assets, recipes, config), sensors=sensors, schedules=schedules,
                          jobs=[*jobs, build_audit_job()],
                          resources=build_resources(config, root))


def materialize(defs, instance, selection: list[str], tags: dict | None = None):
    """Run the selected assets (with their checks) in process, the way `mmp materialize` does."""
    import dagster as dg

    job = defs.resolve_implicit_global_asset_job_def()
    keys = [dg.AssetKey(s.split("/")) for s in selection]
    return job.execute_in_process(instance=instance, asset_selection=keys, tags=tags or {}, raise_on_error=False)

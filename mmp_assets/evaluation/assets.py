"""`<recipe>/evaluation` with its blocking quality gate, and `<recipe>/drift` with its drift check.

Construction reads no data and contacts no server; everything heavy is imported in asset bodies.
"""

from pathlib import Path

import dagster as dg

from mmp_assets import keys
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.recipes.versions import model_code_version
from mmp_resources.feature_store import FeatureStoreResource
from mmp_resources.settings import PlatformConfig
from mmp_resources.tracking import MlflowResource

GATE_CHECK = "quality_gate"
DRIFT_CHECK = "drift_within_thresholds"
SUSPICION_CHECK = "no_suspicious_feature"


def build_evaluation_assets(recipe: ModelRecipe, recipes: RecipeSet, config: PlatformConfig, root: Path) -> list:
    """`<recipe>/evaluation`, plus `<recipe>/drift` when the recipe names a scoring source."""
    assets = [_evaluation_asset(recipe, config)]
    if recipe.monitoring.scoring_source:
        assets.append(_drift_asset(recipe, recipes, config, root))
    return assets


def _evaluation_asset(recipe: ModelRecipe, config: PlatformConfig) -> dg.AssetsDefinition:
    key = keys.recipe_key(recipe.name, "evaluation")
    gate = ", ".join(f"{k} {v}" if k != "max_regression" else f"max_regression {v}" for k, v in recipe.evaluation.gate.items())

    @dg.asset(
        key=key,
        deps=[keys.recipe_key(recipe.name, "model"), keys.recipe_key(recipe.name, "training_set")],
        group_name=recipe.name,
        owners=[recipe.owner],
        kinds={"mlflow", "shap", "evidently"},
        tags=keys.mmp_tags(recipe=recipe.name, stage="evaluation"),
        code_version=model_code_version(recipe, "evaluation"),
        pool=config.feature_store_pool,
        description=f"{recipe.name}: test-split report of the candidate version (metrics, baseline/champion, backtest, SHAP, drift) and its gate.",
        check_specs=[dg.AssetCheckSpec(GATE_CHECK, asset=key, blocking=True,
                                       description=f"The candidate meets the recipe's gate ({gate or 'no rules'}); sets MLflow tag gate."),
                     dg.AssetCheckSpec(SUSPICION_CHECK, asset=key, blocking=False,
                                       description="No feature alone all but determines the label on training rows (AUC, |Spearman| "
                                                   "or entropy explained >= 0.99) and no test metric is near-perfect; warns, never blocks.")],
    )
    def evaluation(context: dg.AssetExecutionContext, feature_store: FeatureStoreResource, mlflow: MlflowResource):
        from mmp_assets.evaluation.alerts import send_alert
        from mmp_assets.evaluation.metadata import evaluation_metadata
        from mmp_assets.evaluation.run import evaluate_candidate

        cfg = mlflow.config
        evaluated = evaluate_candidate(recipe, client=mlflow.client(), connect=feature_store.connect,
                                       data_dir=cfg.data_dir, log=context.log.info)
        gate = evaluated.report.gate
        message = f"{recipe.name} v{evaluated.version}: {gate.message}"
        if not gate.passed:
            context.log.error(message)
            send_alert(cfg, f"{recipe.name}: quality gate failed", {
                "recipe": recipe.name, "version": evaluated.version, "failures": gate.failures,
                "dagster_run_id": context.run_id})
        suspicion = _suspicion_result(recipe, evaluated, feature_store)
        if not suspicion.passed:
            context.log.warning(suspicion.description)
        return dg.MaterializeResult(
            metadata=evaluation_metadata(evaluated),
            check_results=[dg.AssetCheckResult(
                check_name=GATE_CHECK, passed=gate.passed, severity=dg.AssetCheckSeverity.ERROR, description=message,
                metadata={"model_version": evaluated.version, "rules": dg.MetadataValue.json(gate.checks)}), suspicion],
        )

    return evaluation


def _suspicion_result(recipe: ModelRecipe, evaluated, feature_store: FeatureStoreResource) -> dg.AssetCheckResult:
    """The non-blocking suspicion check of one evaluated version, on its training set's train rows."""
    from mmp_assets.evaluation.suspicion import suspicion
    from mmp_assets.feature_store import load_training_set

    with feature_store.connect() as conn:
        training_set = load_training_set(conn, recipe, evaluated.report.context.training_set_version)
    passed, description, measured = suspicion(
        training_set.part("train"), training_set.numeric_columns, list(training_set.categorical_columns), training_set.label,
        recipe.task, dict(evaluated.report.metrics.values))
    message = f"{recipe.name} v{evaluated.version}: {description}"
    return dg.AssetCheckResult(
        check_name=SUSPICION_CHECK, passed=passed, severity=dg.AssetCheckSeverity.WARN, description=message,
        metadata={"model_version": evaluated.version,
                  "associations": dg.MetadataValue.json({a.feature: {a.measure: round(a.value, 4)} for a in measured})})


def _drift_asset(recipe: ModelRecipe, recipes: RecipeSet, config: PlatformConfig, root: Path) -> dg.AssetsDefinition:
    key = keys.recipe_key(recipe.name, "drift")
    scoring = recipe.monitoring.scoring_source
    limits = recipe.monitoring.drift

    @dg.asset(
        key=key,
        deps=keys.scoring_deps(recipe),
        group_name=recipe.name,
        owners=[recipe.owner],
        kinds={"evidently", "duckdb"},
        tags=keys.mmp_tags(recipe=recipe.name, stage="drift"),
        code_version=model_code_version(recipe, "drift"),
        pool=config.feature_store_pool,
        description=f"{recipe.name}: drift of the newest {scoring} rows against the serving version's training rows.",
        check_specs=[dg.AssetCheckSpec(DRIFT_CHECK, asset=key, blocking=False, description=(
            f"At most {limits.share_drifted_max:.0%} of features drift (p < {limits.p_value}) and no PSI exceeds {limits.psi_max}."))],
    )
    def drift(context: dg.AssetExecutionContext, feature_store: FeatureStoreResource, mlflow: MlflowResource):
        from mmp_assets.evaluation.alerts import send_alert
        from mmp_assets.evaluation.metadata import drift_metadata
        from mmp_assets.evaluation.monitor import measure_scoring_drift

        cfg = mlflow.config
        measured = measure_scoring_drift(recipe, recipes, root, client=mlflow.client(), connect=feature_store.connect,
                                         data_dir=cfg.data_dir)
        breaches = measured.result.breaches(limits.share_drifted_max, limits.psi_max)
        message = (f"{recipe.name}: drift breach in {scoring}: " + "; ".join(breaches)) if breaches else (
            f"{recipe.name}: {scoring} within drift thresholds ({measured.result.share_drifted:.0%} of features drifted)")
        if breaches:
            context.log.warning(message)
            send_alert(cfg, f"{recipe.name}: drift breach", {"recipe": recipe.name, "breaches": breaches,
                                                              "reference": measured.reference, "dagster_run_id": context.run_id})
        return dg.MaterializeResult(
            metadata=drift_metadata(measured.result, reference=measured.reference, current_rows=measured.current_rows,
                                    html_path=measured.html_path),
            check_results=[dg.AssetCheckResult(
                check_name=DRIFT_CHECK, passed=not breaches, severity=dg.AssetCheckSeverity.WARN, description=message,
                metadata={"share_drifted": float(measured.result.share_drifted), "breaches": dg.MetadataValue.json(breaches)})],
        )

    return drift

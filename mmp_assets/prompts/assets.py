"""One prompt recipe → `prompts/<name>` (registry version), `prompts/<name>/evaluation` and a blocking check."""

# no `from __future__ import annotations`: Dagster checks the `context` annotation as a real class
import json
from pathlib import Path

import dagster as dg

from mmp_assets import keys
from mmp_assets.recipes import PromptRecipe, RecipeSet
from mmp_assets.recipes.versions import prompt_code_version
from mmp_assets.tags import AUTHOR, EVALUATION_SUMMARY
from mmp_resources.audit_log import AuditLog
from mmp_resources.errors import display_path
from mmp_resources.settings import PlatformConfig
from mmp_resources.tracking import MlflowResource


def build_prompt_assets(prompt: PromptRecipe, recipes: RecipeSet, config: PlatformConfig, root: Path) -> list:
    """Both assets and the evaluation gate of one prompt. Reads no data and contacts no server."""
    name = prompt.name
    dataset = recipes.files[("prompt", name)].parent / prompt.evaluation.dataset
    shown_dataset = display_path(dataset, root)
    common = {"owners": [prompt.owner], "group_name": keys.PROMPTS_GROUP, "code_version": prompt_code_version(prompt),
              "kinds": {"mlflow"}}

    @dg.asset(key=keys.prompt_key(name), description=f"Prompt {name} as a version in MLflow's prompt registry.",
              tags=keys.mmp_tags(prompt=name, stage="registry"), **common)
    def _prompt(context: dg.AssetExecutionContext, mlflow: MlflowResource) -> dg.MaterializeResult:
        from mmp_assets.prompts.publish import publish_prompt
        from mmp_assets.prompts.registry import PromptRegistry
        from mmp_resources.identity import acting_identity

        author = acting_identity(mlflow.config)  # under MLflow auth: the verified user of the env's credentials, before any work
        published = publish_prompt(PromptRegistry(mlflow.client()), prompt, dagster_run_id=context.run_id,
                                   audit=AuditLog.for_data_dir(mlflow.config.data_dir), identity=author)
        v = published.version
        return dg.MaterializeResult(
            data_version=dg.DataVersion(v.content_hash),
            metadata={"version": v.version, "new_version": published.created, "content_hash": v.content_hash,
                      "aliases": ", ".join(v.aliases), "author": v.tags.get(AUTHOR, ""), "verdict": v.verdict,
                      "uri": f"prompts:/{name}/{v.version}"},
        )

    @dg.asset(key=keys.prompt_evaluation_key(name), deps=[keys.prompt_key(name)],
              description=f"Offline evaluation of prompt {name}: toxicity, groundedness, PII, length.",
              tags=keys.mmp_tags(prompt=name, stage="evaluation"), **common)
    def _evaluation(context: dg.AssetExecutionContext, mlflow: MlflowResource) -> dg.MaterializeResult:
        from mmp_assets.prompts.evaluation_run import evaluate_registered
        from mmp_assets.prompts.registry import PromptRegistry
        from mmp_resources.identity import acting_identity

        evaluator = acting_identity(mlflow.config)  # under MLflow auth the verified user, recorded as the entry's actor
        outcome = evaluate_registered(
            prompt, dataset, shown_dataset, registry=PromptRegistry(mlflow.client()), client=mlflow.client(),
            experiment_id=mlflow.experiment_id(f"prompts/{name}"), audit=AuditLog.for_data_dir(mlflow.config.data_dir),
            dagster_run_id=context.run_id, identity=evaluator,
        )
        result = outcome.result
        rows = [c.row() for c in result.cases]
        table = "| case | passed | toxicity | groundedness | PII | length | failures |\n|---|---|---|---|---|---|---|\n" + "\n".join(
            f"| {r['case']} | {'yes' if r['passed'] else '**no**'} | {r['toxicity']} | {r['groundedness']} | {r['pii']} | "
            f"{r['length']} | {(r['failures'] or '').replace('|', '/')} |" for r in rows
        )
        return dg.MaterializeResult(
            data_version=dg.DataVersion(outcome.data_version),
            metadata={"prompt_version": outcome.version.version, "verdict": result.verdict, "responder": result.responder,
                      **result.metrics(), "cases_table": dg.MetadataValue.md(table),
                      "mlflow_run": mlflow.run_url(mlflow.experiment_id(f"prompts/{name}"), outcome.run_id)},
        )

    @dg.asset_check(asset=keys.prompt_evaluation_key(name), name="thresholds_met", blocking=True,
                    description=f"Fails when prompt {name}'s current version breaches its evaluation thresholds.")
    def _gate(mlflow: MlflowResource) -> dg.AssetCheckResult:
        from mmp_assets.prompts.content import content_hash
        from mmp_assets.prompts.registry import PromptRegistry

        version = PromptRegistry(mlflow.client()).for_content(name, content_hash(prompt))
        if version is None or version.verdict == "unevaluated":
            return dg.AssetCheckResult(passed=False, metadata={"reason": "the current version has not been evaluated"})
        summary = json.loads(version.tags.get(EVALUATION_SUMMARY, "{}") or "{}")
        breaches = summary.get("breaches", []) if isinstance(summary, dict) else []
        return dg.AssetCheckResult(
            passed=version.verdict == "passed",
            metadata={"prompt_version": version.version, "verdict": version.verdict,
                      "breaches": dg.MetadataValue.md("\n".join(f"- {b}" for b in breaches) or "none")},
        )

    return [_prompt, _evaluation, _gate]

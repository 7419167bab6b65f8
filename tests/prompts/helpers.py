"""Shared steps of the prompt tests: publish and evaluate a recipe without Dagster, edit a recipe."""

from __future__ import annotations

from mmp_assets.prompts.evaluation_run import EvaluationOutcome, evaluate_registered
from mmp_assets.prompts.governance import approve
from mmp_assets.prompts.publish import Published, publish_prompt
from mmp_assets.prompts.registry import PromptRegistry
from mmp_assets.recipes import PromptRecipe, RecipeSet
from mmp_resources.audit_log import AuditLog
from mmp_resources.tracking import MlflowResource


def publish(registry: PromptRegistry, audit: AuditLog, prompt: PromptRecipe, run_id: str = "run-1") -> Published:
    return publish_prompt(registry, prompt, dagster_run_id=run_id, audit=audit)


def publish_and_evaluate(mlflow: MlflowResource, audit: AuditLog, recipes: RecipeSet, prompt: PromptRecipe) -> EvaluationOutcome:
    registry = PromptRegistry(mlflow.client())
    publish(registry, audit, prompt)
    dataset = recipes.files[("prompt", prompt.name)].parent / prompt.evaluation.dataset
    return evaluate_registered(prompt, dataset, str(dataset), registry=registry, client=mlflow.client(),
                               experiment_id=mlflow.experiment_id(f"prompts/{prompt.name}"), audit=audit,
                               dagster_run_id="run-1")


def edited(prompt: PromptRecipe, suffix: str) -> PromptRecipe:
    """The same recipe with a changed template (same variables), whose recorded responses are re-recorded."""
    evaluation = prompt.evaluation.model_copy(update={"recorded_for": None})
    return prompt.model_copy(update={"template": prompt.template + suffix, "evaluation": evaluation})


def two_approved_versions(mlflow: MlflowResource, registry: PromptRegistry, audit: AuditLog, recipes: RecipeSet, monkeypatch) -> None:
    """support_reply v1 and an edited v2, both evaluated, then approved in turn by bob (not the author)."""
    prompt = recipes.prompts["support_reply"]
    publish_and_evaluate(mlflow, audit, recipes, prompt)
    publish_and_evaluate(mlflow, audit, recipes, edited(prompt, "\nKeep it short."))
    monkeypatch.setenv("MMP_USER", "bob")
    approve(registry, audit, "support_reply", 1)
    approve(registry, audit, "support_reply", 2)

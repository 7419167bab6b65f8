"""`uplift:` in a model recipe: the treatment column and the meta-learner of a `task: uplift` model.

The spine's `label` is the outcome (0/1); `uplift.treatment` names the spine column saying which arm a
row was in (0/1 or true/false). The model predicts the uplift, P(outcome | treated) - P(outcome | control).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mmp_assets.recipes.common import Strict
from mmp_resources.errors import Problem


class Uplift(Strict):
    """Treatment column and meta-learner of an uplift (causal) model."""

    treatment: str = Field(description="Spine column holding the arm of each row: 1/true treated, 0/false control. Never a feature.")
    learner: Literal["s", "t", "x"] = Field(
        "t",
        description="Meta-learner: s (one model, the treatment as an extra feature), t (one model per arm) or x (X-learner: "
                    "per-arm models, then imputed effects regressed per arm and blended by the propensity).",
    )
    propensity: float | None = Field(
        None, gt=0, lt=1,
        description="Known probability of being treated (a randomized experiment); the X-learner blends with it. "
                    "Omitted: the X-learner fits a propensity classifier (model.class_path) on the features.",
    )
    effect_model: str | None = Field(
        None,
        description="Regressor class the X-learner fits the imputed effects with; defaults to model.class_path with "
                    "Classifier replaced by Regressor (catboost.CatBoostRegressor, sklearn.ensemble.RandomForestRegressor, ...).",
    )
    min_arm_rows: int = Field(
        30, ge=1, description="Fewest rows each arm (treated, control) must have in the training split; fewer is refused."
    )


def effect_class_path(recipe) -> str | None:
    """The X-learner's regressor: `uplift.effect_model`, else the classifier's name with Classifier → Regressor."""
    spec = recipe.uplift
    if spec.effect_model:
        return spec.effect_model
    path = recipe.model.class_path
    return path.replace("Classifier", "Regressor") if path.endswith("Classifier") else None


def uplift_problems(recipe, shown: str) -> list[Problem]:
    """What makes an uplift recipe unusable before any data is read (one Problem each)."""
    spec, spine = recipe.uplift, recipe.spine
    if recipe.task != "uplift":
        return [Problem(shown, "uplift", f"an uplift section needs task: uplift (task is {recipe.task}); remove it or set task: uplift")] if spec else []
    if spec is None:
        return [Problem(shown, "uplift", "task: uplift needs an uplift section naming the treatment column, such as uplift: {treatment: treated}")]
    problems = []
    if spec.treatment == spine.label:
        problems.append(Problem(shown, "uplift.treatment", f"{spec.treatment!r} is the label (the outcome); name the column holding the arm"))
    if spec.treatment in spine.listed_columns:
        at = spine.listed_columns.index(spec.treatment)
        problems.append(Problem(shown, f"spine.columns[{at}]", f"{spec.treatment!r} is uplift.treatment; the treatment is never a "
                                                              "feature (the model predicts the effect of it); remove it from spine.columns"))
    if spec.treatment in spine.entity or spec.treatment == spine.timestamp:
        problems.append(Problem(shown, "uplift.treatment", f"{spec.treatment!r} is a spine key or the timestamp; name the column holding the arm"))
    if spec.learner == "x" and effect_class_path(recipe) is None:
        problems.append(Problem(shown, "uplift.effect_model", f"the X-learner needs a regressor for the imputed effects and "
                                                              f"{recipe.model.class_path} has no Regressor twin; name one, such as "
                                                              "sklearn.ensemble.RandomForestRegressor"))
    for i, entry in enumerate(recipe.preprocessing.columns):
        for j, step in enumerate(entry.steps):
            if step.op == "encode" and step.method == "target":
                problems.append(Problem(shown, f"preprocessing.columns[{i}].steps[{j}].method", "'target' encoding learns from the "
                                        "label, and an uplift model's target is outcome and treatment together; use onehot, ordinal or native"))
    if recipe.evaluation.backtest:
        problems.append(Problem(shown, "evaluation.backtest", "an uplift model has no backtest replay yet; remove backtest"))
    if recipe.model.calibration:
        problems.append(Problem(shown, "model.calibration", "an uplift model ranks by a difference of probabilities and is not "
                                                            "calibrated; remove calibration"))
    return problems

"""How long a search may run: the recipe asks, the environment caps, the stricter wins."""

from __future__ import annotations

from dataclasses import dataclass

from mmp_assets.recipes.model import ModelRecipe
from mmp_resources.settings import HpoConfig


@dataclass(frozen=True)
class Budget:
    """Resolved limits of one search, each with the setting it came from."""

    n_trials: int
    n_trials_from: str
    timeout_s: float | None
    timeout_from: str | None
    n_jobs: int
    n_jobs_from: str

    def as_metadata(self) -> dict[str, object]:
        return {
            "n_trials": self.n_trials,
            "n_trials_from": self.n_trials_from,
            "timeout_s": self.timeout_s,
            "timeout_from": self.timeout_from,
            "n_jobs": self.n_jobs,
            "n_jobs_from": self.n_jobs_from,
        }


def _stricter(recipe_value, recipe_field: str, env_value, env_field: str):
    """The smaller of two limits (None = unlimited) and where it came from; the recipe wins ties."""
    if env_value is None or (recipe_value is not None and recipe_value <= env_value):
        return recipe_value, (recipe_field if recipe_value is not None else None)
    return env_value, env_field


def resolve_budget(recipe: ModelRecipe, hpo: HpoConfig, trials_override: int | None = None) -> Budget:
    """`trials_override` (from `mmp tune --trials`) replaces the recipe's n_trials, still under the env cap."""
    asked, asked_from = (trials_override, "--trials") if trials_override else (recipe.tuning.n_trials, "tuning.n_trials")
    n_trials, n_trials_from = _stricter(asked, asked_from, hpo.max_trials, "hpo.max_trials")
    timeout_s, timeout_from = _stricter(recipe.tuning.timeout_s, "tuning.timeout_s", hpo.max_timeout_s, "hpo.max_timeout_s")
    n_jobs, n_jobs_from = _stricter(recipe.tuning.n_jobs, "tuning.n_jobs", hpo.n_jobs, "hpo.n_jobs")
    return Budget(n_trials, n_trials_from, timeout_s, timeout_from, n_jobs, n_jobs_from)

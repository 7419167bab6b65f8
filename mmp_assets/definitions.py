"""The Dagster entry point: load the environment and the recipes, merge every factory's assets."""

from __future__ import annotations

import logging

import dagster as dg

from mmp_assets.factory import build_recipe_assets, problem_specs
from mmp_assets.recipes import load_recipes
from mmp_resources import MmpValidationError, build_resources, load_config, project_root
from mmp_resources.executors import executor_definition
from mmp_resources.loader import cron_problems

log = logging.getLogger("mmp")


def build_definitions() -> dg.Definitions:
    """Definitions for the active MMP_ENV. A broken config fails loudly; a broken recipe is shown, not fatal."""
    root = project_root()
    config = load_config(root)
    if problems := cron_problems(config):  # one line naming the field, not Dagster's traceback further in
        raise MmpValidationError(problems)
    recipes = load_recipes(root)
    for problem in recipes.problems:
        log.warning("mmp: %s", problem)
    assets = build_recipe_assets(recipes, config, root) + problem_specs(recipes.problems)
    from mmp_assets.audit.job import build_audit_job
    from mmp_assets.automation import build_automation

    sensors, schedules, jobs = build_automation(recipes, config, root)
    return dg.Definitions(
        assets=assets,
        sensors=sensors,
        schedules=schedules,
        jobs=[*jobs, build_audit_job()],
        resources=build_resources(config, root),
        executor=executor_definition(config),  # in process (base); celery (dev) and k8s (prod) run each step elsewhere
        metadata={"mmp/env": config.env, "mmp/recipe_problems": len(recipes.problems)},
    )


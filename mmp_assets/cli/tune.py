"""`mmp tune --recipe <name>`: tune outside Dagster, or `--worker` to share a study's trials.

Workers are Optuna's own distributed mode: every process opens the same named study in the
configured RDB storage and takes trials until the study holds its n finished trials.
"""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("tune", help="tune a recipe's model outside Dagster, or join its study as a worker")
    parser.add_argument("--recipe", required=True, help="model recipe name (recipes/<name>.yaml)")
    parser.add_argument(
        "--worker", action="store_true", help="only run trials of the shared study (no refit, no registration); start several"
    )
    parser.add_argument("--trials", type=int, help="finished trials the study should reach (default: tuning.n_trials, capped by hpo.max_trials)")
    parser.add_argument("--no-progress", action="store_true", help="log one line per trial instead of a progress bar")
    parser.set_defaults(func=run_tune)


def _recipe(recipes, name: str):
    from mmp_resources.errors import MmpValidationError, Problem

    if name in recipes.models:
        return recipes.models[name]
    own = [p for p in recipes.problems if p.file.endswith(f"{name}.yaml")]
    raise MmpValidationError(own or [Problem("--recipe", "", f"unknown model recipe {name!r}; known: {', '.join(sorted(recipes.models)) or '(none)'}")])


def run_tune(args: argparse.Namespace) -> int:
    from mmp_assets.feature_store import load_training_set
    from mmp_assets.feature_store.partitions import newest_partition_version
    from mmp_assets.recipes.estimators import estimator_problems
    from mmp_assets.recipes.loader import load_recipes
    from mmp_resources import build_resources, load_config, project_root
    from mmp_resources.errors import MmpValidationError, Problem

    if args.trials is not None and args.trials < 1:
        raise MmpValidationError([Problem("--trials", "", f"{args.trials} is not a number of trials; give 1 or more")])
    root = project_root()
    config = load_config(root)
    recipes = load_recipes(root)
    recipe = _recipe(recipes, args.recipe)
    problems = estimator_problems(recipe, recipes.file_of("model", recipe.name))
    if problems:
        raise MmpValidationError(problems)
    resources = build_resources(config, root)
    with resources["feature_store"].connect() as conn:
        training_set = load_training_set(conn, recipe, newest_partition_version(conn, recipe))
    log = print if args.no_progress else None
    if args.worker:
        return _work(recipe, training_set, config, resources["study_storage"], args.trials, log)
    from mmp_assets.training.search import TuningFailed
    from mmp_assets.training.tuning import tune_model

    try:
        outcome = tune_model(
            recipe, training_set, config=config, study_storage=resources["study_storage"], mlflow_resource=resources["mlflow"],
            dagster_run_id="none (mmp tune)", asset_key=f"{recipe.name}/model", log=log, trials_override=args.trials,
            progress_bar=not args.no_progress, recipe_file=recipes.file_of("model", recipe.name),
        )
    except TuningFailed as exc:  # the cause in one line; each trial already printed its own
        print(f"{recipe.name}: {exc}", file=sys.stderr)
        return 1
    if not outcome.registered:
        print(f"{recipe.name}: {outcome.unchanged}")
        return 0
    search = outcome.search
    print(
        f"{recipe.name}: registered {outcome.model_uri} (alias candidate); best {recipe.tuning.metric} {outcome.best_score:.5g}; "
        f"{search.trials_complete} complete, {search.trials_pruned} pruned, {search.trials_failed} failed; "
        f"stopped by {search.stopped_by}; run {search.mlflow_run_url}"
    )
    return 0


def _shared_storage(study_storage, attempts: int = 4):
    """Workers started together on a fresh database race to create Optuna's tables; the losers retry."""
    import time

    from sqlalchemy.exc import SQLAlchemyError

    for attempt in range(attempts):
        try:
            return study_storage.storage()
        except SQLAlchemyError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))


def _work(recipe, training_set, config, study_storage, trials: int | None, log) -> int:
    from mmp_assets.training.budget import resolve_budget
    from mmp_assets.training.search import run_search
    from mmp_resources.errors import MmpValidationError, Problem

    if study_storage.kind == "memory":
        raise MmpValidationError(
            [Problem("config", "optuna.storage", "'memory' cannot be shared by workers; use journal (one machine) or an RDB URL")]
        )
    budget = resolve_budget(recipe, config.hpo, trials)
    result = run_search(recipe, training_set, budget, _shared_storage(study_storage), worker=True, log=log, progress_bar=log is None)
    counts = result.counts
    print(
        f"{result.study_name}: ran {result.ran_here} trial(s) here; study has {counts['complete']} complete, "
        f"{counts['pruned']} pruned, {counts['failed']} failed; best {result.best_value:.5g} (trial {result.best_trial})"
    )
    return 0

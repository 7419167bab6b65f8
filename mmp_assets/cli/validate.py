"""`mmp validate`: every recipe and the active config, one line per problem, exit 1 if any."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the recipe formats load when a command validates, not when `mmp --help` builds the parser
    from mmp_assets.recipes import RecipeSet


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("validate", help="check every recipe and the active config; exit 1 on any problem")
    parser.add_argument("--env", help="environment to validate (default: MMP_ENV, unset = base)")
    parser.add_argument("--data", action="store_true",
                        help="also read every source, compute every view and join every training set in memory, and check "
                             "the data (types, header-only files, NULL or tied timestamps, join key types, duplicates, "
                             "infinities, label classes); publishes nothing")
    parser.set_defaults(func=run)


def collect_problems(env: str | None = None) -> tuple[list, RecipeSet]:
    """Config problems, then recipe problems, then estimator problems (one never hides the other), and the
    recipes as loaded. Estimator answers are cached under the data dir when the config is valid."""
    from mmp_assets.recipes import load_recipes
    from mmp_assets.recipes.estimators import check_estimators
    from mmp_resources import MmpValidationError, load_config, project_root
    from mmp_resources.errors import Problem
    from mmp_resources.instance import ensure_instance_home
    from mmp_resources.loader import cron_problems

    root = project_root()
    problems, cache = [], None
    try:
        config = load_config(root, env)
        problems += cron_problems(config)
        ensure_instance_home(config, root)  # so Dagster's own CLI, run next, shares mmp's instance
        cache = config.data_dir / "cache" / "estimator_checks.json"
    except MmpValidationError as exc:
        problems += exc.problems
    if not (root / "recipes").is_dir():  # an empty project is fine; a project dir that is not one is a mistake
        problems.append(Problem(str(root), "recipes/", "no such folder: run mmp from your project folder (or set MMP_PROJECT_DIR "
                                                       "to it), or start a project with `mmp init <dir>`"))
    recipes = load_recipes(root)
    return problems + recipes.problems + check_estimators(recipes, cache), recipes


def run(args: argparse.Namespace) -> int:
    problems, recipes = collect_problems(args.env)
    warnings: list[str] = []
    if args.data and not problems:  # the data is read only through recipes that parse
        from mmp_assets.feature_store.data_checks import data_findings
        from mmp_resources import project_root

        found, warnings = data_findings(recipes, project_root())
        problems = problems + found
    for problem in problems:
        print(problem, file=sys.stderr)
    for warning in warnings:
        print(f"warn: {warning}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(
        f"ok: {len(recipes.sources)} sources, {len(recipes.views)} feature views, "
        f"{len(recipes.models)} model recipes, {len(recipes.prompts)} prompts" + (" (data checked, nothing published)" if args.data else "")
    )
    return 0

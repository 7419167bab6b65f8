"""`mmp predict <recipe>`: score a file or a source with any registered version, write Parquet, CSV or a table."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("predict", help="score a Parquet/CSV file or a source with a registered model version")
    parser.add_argument("recipe", help="model recipe name (recipes/<recipe>.yaml)")
    rows = parser.add_mutually_exclusive_group(required=True)
    rows.add_argument("--input", metavar="FILE", help="Parquet or CSV rows to score (with the spine timestamp, features are joined)")
    rows.add_argument("--source", metavar="NAME", help="a source of the project (recipes/sources/<name>.yaml) to score")
    parser.add_argument("--output", required=True, metavar="TARGET",
                        help="where scores go: a .parquet or .csv file, or duckdb:<table> in the offline store")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--version", type=int, metavar="N", help="model version to score with")
    which.add_argument("--alias", help="score with the version behind this alias (default: champion, else candidate)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mmp_assets.recipes import load_recipes
    from mmp_resources import MmpValidationError, Problem, build_resources, load_config, project_root

    root = project_root()
    recipes = load_recipes(root)
    if args.recipe not in recipes.models:
        own = [p for p in recipes.problems if p.file.endswith(f"{args.recipe}.yaml")]
        known = ", ".join(sorted(recipes.models)) or "(none)"
        raise MmpValidationError(own or [Problem("recipe", "", f"unknown model recipe {args.recipe!r}; known: {known}")])
    recipe = recipes.models[args.recipe]
    if args.source is not None and args.source not in recipes.sources:
        known = ", ".join(sorted(recipes.sources)) or "(none)"
        raise MmpValidationError([Problem("--source", "", f"unknown source {args.source!r}; known: {known}")])
    from mmp_assets.feature_store.sources import SourceError
    from mmp_assets.training.batch import ScoringInputError, resolve_version, score_batch
    from mmp_assets.training.batch_io import check_input, output_kind, read_input, write_scored

    config = load_config(root)
    resources = build_resources(config, root)
    try:
        output_kind(args.output)  # every check that needs no data comes before any is read
        if args.input is not None:
            check_input(args.input)
        found, alias = resolve_version(resources["mlflow"].client(), recipe.name, args.version, args.alias)
        with resources["feature_store"].connect() as conn:
            if args.input is not None:
                rows, shown = read_input(conn, args.input), f"--input: {args.input}"
            else:
                from mmp_assets.feature_store import read_source_frame

                rows, shown = read_source_frame(conn, args.source, recipes, root), recipes.file_of("source", args.source)
            batch = score_batch(conn, recipe, recipes, rows, found, alias, shown=shown)
            written = write_scored(batch, args.output, conn)
    except (ScoringInputError, SourceError, LookupError) as exc:  # each a one-line answer naming the culprit
        print(exc, file=sys.stderr)
        return 1
    by = f" ({batch.alias})" if batch.alias else ""
    views = ", ".join(f"{v} v{n}" for v, n in sorted(batch.view_versions.items())) or "none joined"
    print(f"scored {len(batch.frame)} rows with {recipe.name} version {batch.model_version}{by}; feature views: {views}; wrote {written}")
    return 0

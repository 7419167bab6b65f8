"""`mmp init <dir>` (a new project) and `mmp new recipe <name> --task T --source S` (a recipe from a source)."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    init = sub.add_parser("init", help="create a new project: config, recipes, workspace, an example recipe and its data")
    init.add_argument("dir", help="folder to create the project in (new or empty)")
    init.set_defaults(func=run_init)
    new = sub.add_parser("new", help="write a new recipe from a template")
    kinds = new.add_subparsers(dest="new_command", metavar="<kind>", required=True)
    recipe = kinds.add_parser("recipe", help="a commented model recipe listing the source's columns")
    recipe.add_argument("name", help="recipe name: recipes/<name>.yaml and the registered model's name")
    recipe.add_argument("--task", required=True, help="classification, regression or uplift")
    recipe.add_argument("--source", required=True, help="source the spine reads (recipes/sources/<name>.yaml)")
    recipe.set_defaults(func=run_new_recipe)


def run_init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mmp_assets.scaffold.project import ScaffoldError, init_project

    target = Path(args.dir)
    try:
        written = init_project(target)
    except ScaffoldError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"created an mmp project in {target} ({len(written)} files). Next:")
    print(f"  cd {target} && mmp validate && mmp materialize   # then: mmp dev, to see it in the Dagster UI")
    return 0


def run_new_recipe(args: argparse.Namespace) -> int:
    from mmp_assets.feature_store.databases import DatabaseError
    from mmp_assets.feature_store.sources import SourceError
    from mmp_assets.recipes import load_recipes
    from mmp_assets.scaffold.project import ScaffoldError
    from mmp_assets.scaffold.recipe import new_recipe
    from mmp_resources import project_root
    from mmp_resources.errors import display_path

    root = project_root()
    try:
        path = new_recipe(load_recipes(root), args.name, args.task, args.source)
    except (ScaffoldError, SourceError, DatabaseError) as exc:  # each a one-line answer naming the file and field
        print(exc, file=sys.stderr)
        return 1
    shown = display_path(path, root)
    todo = [p for p in load_recipes(root).problems if p.file == shown]
    print(f"wrote {shown}" + ("; fill in:" if todo else "; `mmp validate` accepts it. Check the guesses it lists, then materialize it."))
    for problem in todo:
        print(f"  {problem}")
    return 0

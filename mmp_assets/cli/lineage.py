"""`mmp lineage audit <recipe>` and `mmp lineage impact <source or view>`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("lineage", help="audit a model version's lineage, or list what a change would retrain")
    commands = parser.add_subparsers(dest="lineage_command", metavar="<audit|impact>", required=True)
    audit = commands.add_parser("audit", help="walk a registered model version back to its data and re-verify every hash")
    audit.add_argument("recipe", help="recipe (registered model) name")
    audit.add_argument("--version", type=int, default=None, help="model version (default: the champion, else the newest)")
    audit.add_argument("--format", choices=["md", "json"], default="md", help="Markdown with a Mermaid diagram, or JSON")
    audit.add_argument("--out", default=None, help="write the report to this file instead of printing it")
    audit.set_defaults(func=run_audit)
    impact = commands.add_parser("impact", help="everything downstream of a source or feature view")
    impact.add_argument("asset", help="sources/<name>, features/<name>, or a bare source or view name")
    impact.add_argument("--format", choices=["text", "json"], default="text")
    impact.set_defaults(func=run_impact)


def run_audit(args: argparse.Namespace) -> int:
    """Exit 0 when the report is complete and every hash verified, 1 otherwise."""
    import dagster as dg

    from mmp_assets.audit.lineage import audit_model_version
    from mmp_assets.audit.lineage_render import to_json, to_markdown
    from mmp_assets.cli.instance import use_instance_home
    from mmp_assets.recipes import load_recipes
    from mmp_resources import build_resources, load_config, project_root

    root = project_root()
    resources = build_resources(load_config(root), root)
    use_instance_home(root)
    with dg.DagsterInstance.get() as instance:
        report = audit_model_version(args.recipe, args.version, feature_store=resources["feature_store"],
                                     mlflow=resources["mlflow"], instance=instance, recipes=load_recipes(root))
    text = to_json(report) if args.format == "json" else to_markdown(report)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        print(f"{args.recipe} v{report.version}: {report.verdict}; report written to {args.out}")
    else:
        print(text)
    for problem in report.problems():
        print(problem, file=sys.stderr)
    return 0 if report.verified else 1


def run_impact(args: argparse.Namespace) -> int:
    from mmp_assets.audit.impact import impact, impact_text, resolve_key
    from mmp_assets.definitions import build_definitions
    from mmp_assets.recipes import load_recipes
    from mmp_resources import project_root

    graph = build_definitions().resolve_asset_graph()
    try:
        key = resolve_key(graph, args.asset)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    found = impact(graph, key, load_recipes(project_root()))
    print(json.dumps(found, indent=2) if args.format == "json" else impact_text(found))
    return 0

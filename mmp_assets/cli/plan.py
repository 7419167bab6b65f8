"""`mmp plan`: what would rebuild for the current recipes and data, and why — like `terraform plan`."""

from __future__ import annotations

import argparse
import json

SYMBOL = {"build": "+", "rebuild": "~", "follows": ">", "ok": " "}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("plan", help="show which assets are stale and why (recipe section, upstream data, schema)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--all", action="store_true", help="also list the assets that are up to date")
    parser.add_argument("--detailed-exitcode", action="store_true", help="exit 2 when something would rebuild (for CI)")
    parser.set_defaults(func=run_plan)


def format_plan(rows, *, show_all: bool = False) -> str:
    counts = {action: sum(r.action == action for r in rows) for action in SYMBOL}
    lines = [f"mmp plan: {counts['build']} to build, {counts['rebuild']} stale, {counts['follows']} downstream of a change, "
             f"{counts['ok']} up to date"]
    width = max((len(r.asset) for r in rows), default=0)
    for row in rows:
        if row.action != "ok" or show_all:
            lines.append(f"  {SYMBOL[row.action]} {row.asset:<{width}}  {'; '.join(row.reasons) or 'up to date'}")
    return "\n".join(lines)


def run_plan(args: argparse.Namespace) -> int:
    import dagster as dg

    from mmp_assets.audit.plan import plan, plan_dicts
    from mmp_assets.cli.instance import use_instance_home
    from mmp_assets.definitions import build_definitions
    from mmp_resources import project_root

    use_instance_home(project_root())
    defs = build_definitions()
    with dg.DagsterInstance.get() as instance:
        rows = plan(defs, instance)
    print(json.dumps(plan_dicts(rows), indent=2) if args.format == "json" else format_plan(rows, show_all=args.all))
    changing = any(r.action != "ok" for r in rows)
    return 2 if args.detailed_exitcode and changing else 0

"""`mmp <command>`: each command group lives in its own module with a `register(subparsers)`."""

from __future__ import annotations

import argparse
import importlib
import sys

from mmp_resources.audit_log import Refused
from mmp_resources.errors import MmpValidationError

# command modules, in the order `mmp --help` lists them; each defines register(subparsers)
COMMAND_MODULES = [
    "validate",
    "demo",
    "materialize",
    "features",
    "tune",
    "models",
    "prompts",
    "lineage",
    "plan",
    "audit",
    "services",
    "serve",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mmp", description="mmp: YAML recipes as Dagster assets.")
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"mmp_assets.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"mmp_assets.cli.{name}":
                continue  # that command group is not part of this build
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except MmpValidationError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except Refused as exc:  # a governance refusal is an answer, not a crash: one line, exit 1
        print(f"refused: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

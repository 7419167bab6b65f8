"""`mmp <command>`: each command group lives in its own module with a `register(subparsers)`.

Building the parser imports only those modules, which import nothing at their top but argparse:
each handler imports what its command uses when it runs, so `mmp --help` starts instantly.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# command modules, in the order `mmp --help` lists them; each defines register(subparsers)
COMMAND_MODULES = [
    "scaffold",
    "validate",
    "demo",
    "materialize",
    "features",
    "tune",
    "models",
    "predict",
    "catalog",
    "prompts",
    "lineage",
    "plan",
    "audit",
    "services",
    "users",
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
    args = parser.parse_args(argv)  # --help and usage errors exit here: they print no URL
    from mmp_resources.scrub import install

    install()  # no line this process prints shows a URL's password
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except Exception as exc:
        from mmp_resources.audit_log import Refused
        from mmp_resources.errors import MmpValidationError

        if isinstance(exc, MmpValidationError):
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            return 1
        if isinstance(exc, Refused):  # a governance refusal is an answer, not a crash: one line, exit 1
            print(f"refused: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())

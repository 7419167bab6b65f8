"""`mmp audit verify`: check the shared audit log's hash chain; exit 1 when any entry was tampered with."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("audit", help="the shared lifecycle audit log")
    cmds = parser.add_subparsers(dest="audit_command", metavar="<action>", required=True)
    verify = cmds.add_parser("verify", help="check the hash chain; exit 1 if an entry was edited, deleted or reordered")
    verify.add_argument("--log", type=Path, help="audit log file (default: <data_dir>/audit/audit.jsonl)")
    verify.set_defaults(func=_verify)


def _verify(args: argparse.Namespace) -> int:
    from mmp_resources import load_config, project_root
    from mmp_resources.audit_log import AuditLog

    log = AuditLog(args.log) if args.log else AuditLog.for_data_dir(load_config(project_root()).data_dir)
    if not log.path.exists():
        print(f"{log.path}: no audit log yet (nothing recorded)")
        return 0
    problems = log.verify()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{log.path}: {len(problems)} problem(s); the log was tampered with", file=sys.stderr)
        return 1
    print(f"{log.path}: intact, {len(log.entries())} entries")
    return 0

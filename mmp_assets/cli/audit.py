"""`mmp audit verify`: check the shared audit log's hash chain against its anchors in MLflow; exit 1 on tampering."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("audit", help="the shared lifecycle audit log")
    cmds = parser.add_subparsers(dest="audit_command", metavar="<action>", required=True)
    verify = cmds.add_parser("verify", help="check the hash chain, its anchors in MLflow and the aliases mmp moves; "
                                            "exit 1 if an entry was edited, deleted or re-hashed or an alias moved outside mmp")
    verify.add_argument("--log", type=Path, help="audit log file (default: <data_dir>/audit/audit.jsonl)")
    verify.set_defaults(func=_verify)


def _verify(args: argparse.Namespace) -> int:
    from mmp_assets.audit.chain import verify_against_mlflow
    from mmp_resources import load_config, project_root
    from mmp_resources.audit_log import AuditLog
    from mmp_resources.mlflow_stores import mlflow_client

    config = load_config(project_root())
    log = AuditLog(args.log) if args.log else AuditLog.for_data_dir(config.data_dir)
    uri = config.tracking_uri
    if not log.path.exists() and uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        print(f"{log.path}: no audit log yet (nothing recorded)")  # and no registry that could anchor one
        return 0
    result = verify_against_mlflow(mlflow_client(config), log)
    for notice in result.notices:
        print(f"note: {notice}", file=sys.stderr)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    if result.problems:
        print(f"{log.path}: {len(result.problems)} problem(s); the log or the registry was tampered with", file=sys.stderr)
        return 1
    if not log.path.exists():
        print(f"{log.path}: no audit log yet (nothing recorded)")
        return 0
    print(f"{log.path}: intact, {result.entries} entries, agrees with MLflow")
    return 0

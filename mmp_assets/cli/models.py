"""`mmp models list|promote|rollback`: thin wrappers over mmp_assets.registry."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("models", help="model versions: list, promote (four-eyes), rollback")
    cmds = parser.add_subparsers(dest="models_command", metavar="<action>", required=True)
    listing = cmds.add_parser("list", help="versions of a recipe's model with aliases, verified gate verdict, trainer and approvals")
    listing.add_argument("recipe")
    listing.set_defaults(func=_list)
    prom = cmds.add_parser("promote", help="move alias champion to a version whose gate passed (not by its trainer)")
    prom.add_argument("recipe")
    prom.add_argument("--version", required=True, type=int, help="model version to promote")
    prom.add_argument("--approver", help="who approves (embedded default only; must not be who trained it). Under MLflow "
                      "auth the approver is the user of MLFLOW_TRACKING_USERNAME/PASSWORD and this option is refused")
    prom.add_argument("--reason", required=True, help="why this version should serve")
    prom.set_defaults(func=_promote)
    back = cmds.add_parser("rollback", help="move alias champion back to the previous champion")
    back.add_argument("recipe")
    back.add_argument("--reason", default="rollback", help="why (recorded in the audit log)")
    back.set_defaults(func=_rollback)


def _stores(config=None):
    # imported here so `mmp --help` pays for neither MLflow nor Dagster (not needed for a client)
    from mmp_resources import load_config, project_root
    from mmp_resources.audit_log import AuditLog
    from mmp_resources.mlflow_stores import mlflow_client

    config = config or load_config(project_root())
    return mlflow_client(config), AuditLog.for_data_dir(config.data_dir)


def _list(args: argparse.Namespace) -> int:
    from mlflow.exceptions import MlflowException

    from mmp_assets.registry.versions import versions

    from mmp_assets.registry.evidence import trainer_of, verified_gate
    from mmp_assets.registry.registration import incomplete_refusal

    client, audit = _stores()
    try:
        rows = versions(client, args.recipe)
    except MlflowException:
        print(f"no registered model {args.recipe!r}; materialize {args.recipe}/model first", file=sys.stderr)
        return 1
    print(f"{'version':>7}  {'aliases':<28} {'gate':<22} {'trainer':<22} approved")
    for r in rows:  # gate and trainer as promotion re-derives them; a tag that claims otherwise is shown beside
        evidence = verified_gate(client, audit, args.recipe, r.version)
        gate = "unverifiable" if evidence.problem else evidence.verdict
        if incomplete_refusal(client, audit, args.recipe, r.version):  # never evaluated nor promoted, whatever tags say
            gate = "registration incomplete"
        trainer = trainer_of(client, audit, args.recipe, r.version)[0] or "?"
        gate += "" if r.gate in (gate, "not evaluated") else f" (tag: {r.gate})"
        trainer += "" if r.trainer in (trainer, "?") else f" (tag: {r.trainer})"
        approved = f"{r.approved_by} at {r.approved_at}: {r.reason}" if r.approved_by else "-"
        print(f"{r.version:>7}  {','.join(r.aliases) or '-':<28} {gate:<22} {trainer:<22} {approved}")
    return 0


def _promote(args: argparse.Namespace) -> int:
    from mmp_assets.registry.lifecycle import promote
    from mmp_resources import load_config, project_root
    from mmp_resources.identity import acting_identity, registered_model_permission

    config = load_config(project_root())
    if config.mlflow.auth == "basic" and args.approver is not None:
        print(f"--approver {args.approver}: refused under MLflow auth (config/{config.env}.yaml mlflow.auth: basic); the approver "
              "is the user of MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD, drop --approver", file=sys.stderr)
        return 2
    if config.mlflow.auth != "basic" and not args.approver:
        print("--approver is required (embedded default: name who approves; it must not be who trained the version)", file=sys.stderr)
        return 2
    identity = acting_identity(config)  # under auth: verified against the tracking server, before any work
    permission = registered_model_permission(config, identity, args.recipe) if identity.authenticated else None
    client, audit = _stores(config)
    moved = promote(client, audit, args.recipe, args.version, approver=args.approver or identity.name, reason=args.reason,
                    identity=identity if identity.authenticated else None, permission=permission)
    before = f"v{moved.from_version}" if moved.from_version else "(none)"
    approver = identity.name if identity.authenticated else args.approver
    print(f"{args.recipe}: champion {before} -> v{moved.to_version} (approved by {approver})")
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from mmp_assets.registry.lifecycle import rollback
    from mmp_resources import load_config, project_root
    from mmp_resources.identity import acting_identity, registered_model_permission

    config = load_config(project_root())
    identity = acting_identity(config)  # under auth: verified against the tracking server, before any work
    permission = registered_model_permission(config, identity, args.recipe) if identity.authenticated else None
    client, audit = _stores(config)
    moved = rollback(client, audit, args.recipe, reason=args.reason, identity=identity if identity.authenticated else None,
                     permission=permission)
    print(f"{args.recipe}: champion v{moved.from_version} -> v{moved.to_version}")
    return 0

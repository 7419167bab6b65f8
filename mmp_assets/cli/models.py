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
    from mmp_resources import load_config, project_root
    from mmp_resources.audit_log import AuditLog
    from mmp_resources.registry_reader import embedded_store

    config = load_config(project_root())
    audit = AuditLog.for_data_dir(config.data_dir)
    # the embedded store is read without MLflow, whose import alone costs more than the 2 s goal (docs/decisions.md)
    with embedded_store(config.registry_uri, config.tracking_uri) as store:
        if store is not None:
            try:
                lines = list(_listing(store, audit, args.recipe))
            except Exception:  # Unanswerable, NotFound or any other failure (an audit line mmp did not write): MLflow's
                pass  # path answers from the start, prints the lines before a failure and raises it from its own frames
            else:
                for stream, line in lines:
                    print(line, file=stream)
                return 1 if lines[0][0] is sys.stderr else 0
    client, audit = _stores(config)
    for stream, line in _listing(client, audit, args.recipe):  # printed as it comes, as an error may cut it short
        print(line, file=stream)
        if stream is sys.stderr:
            return 1
    return 0


def _listing(client, audit, recipe: str):
    """(stream, line) of the listing: versions newest first; on MlflowClient or the embedded store, the same lines."""
    from mmp_assets.registry.evidence import trainer_of, verified_gate
    from mmp_assets.registry.registration import incomplete_refusal
    from mmp_assets.registry.versions import versions
    from mmp_resources.registry_reader import lookup_errors

    try:
        rows = versions(client, recipe)
    except lookup_errors():
        yield sys.stderr, f"no registered model {recipe!r}; materialize {recipe}/model first"
        return
    yield sys.stdout, f"{'version':>7}  {'aliases':<28} {'gate':<22} {'trainer':<22} approved"
    for r in rows:  # gate and trainer as promotion re-derives them; a tag that claims otherwise is shown beside
        evidence = verified_gate(client, audit, recipe, r.version)
        gate = "unverifiable" if evidence.problem else evidence.verdict
        if incomplete_refusal(client, audit, recipe, r.version):  # never evaluated nor promoted, whatever tags say
            gate = "registration incomplete"
        trainer = trainer_of(client, audit, recipe, r.version)[0] or "?"
        gate += "" if r.gate in (gate, "not evaluated") else f" (tag: {r.gate})"
        trainer += "" if r.trainer in (trainer, "?") else f" (tag: {r.trainer})"
        approved = f"{r.approved_by} at {r.approved_at}: {r.reason}" if r.approved_by else "-"
        yield sys.stdout, f"{r.version:>7}  {','.join(r.aliases) or '-':<28} {gate:<22} {trainer:<22} {approved}"


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

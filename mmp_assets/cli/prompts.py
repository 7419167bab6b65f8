"""`mmp prompts list|show|diff|approve|rollback|audit`: thin wrappers over mmp_assets.prompts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the prompt modules pull in MLflow: imported when a command runs, not for --help
    from mmp_assets.prompts.registry import PromptRegistry
    from mmp_resources.audit_log import AuditLog


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("prompts", help="prompt registry: versions, approval, rollback, audit export")
    cmds = parser.add_subparsers(dest="prompts_command", metavar="<action>", required=True)
    cmds.add_parser("list", help="every prompt with its versions, aliases and verdicts").set_defaults(func=_list)
    show = cmds.add_parser("show", help="one prompt's versions in detail, or one version's template")
    show.add_argument("name")
    show.add_argument("version", nargs="?", type=int)
    show.set_defaults(func=_show)
    diff = cmds.add_parser("diff", help="unified diff of template and settings between two versions")
    diff.add_argument("name")
    diff.add_argument("old", type=int)
    diff.add_argument("new", type=int)
    diff.set_defaults(func=_diff)
    appr = cmds.add_parser("approve", help="move alias production to a version that passed evaluation (not by its author)")
    appr.add_argument("name")
    appr.add_argument("version", type=int)
    appr.add_argument("--approver", help="who approves (embedded default only; default MMP_USER or the OS user). Under MLflow "
                      "auth the approver is the user of MLFLOW_TRACKING_USERNAME/PASSWORD and this option is refused")
    appr.set_defaults(func=_approve)
    back = cmds.add_parser("rollback", help="move alias production back to the version it replaced")
    back.add_argument("name")
    back.set_defaults(func=_rollback)
    audit = cmds.add_parser("audit", help="write an audit document (Markdown, plus HTML beside it)")
    audit.add_argument("name")
    audit.add_argument("--out", type=Path, help="Markdown file to write (default: prompt_audit_<name>.md)")
    audit.set_defaults(func=_audit)


def _stores(config=None) -> tuple[PromptRegistry, AuditLog]:
    from mmp_assets.prompts.registry import PromptRegistry
    from mmp_resources import load_config, project_root
    from mmp_resources.audit_log import AuditLog
    from mmp_resources.mlflow_stores import mlflow_client

    config = config or load_config(project_root())
    return PromptRegistry(mlflow_client(config)), AuditLog.for_data_dir(config.data_dir)


def _acting(name: str):
    """(config, identity, permission on prompt `name`): under MLflow auth verified against the server, before any work."""
    from mmp_resources import load_config, project_root
    from mmp_resources.identity import acting_identity, prompt_permission

    config = load_config(project_root())
    identity = acting_identity(config)
    permission = prompt_permission(config, identity, name) if identity.authenticated else None
    return config, identity, permission


def _names(registry: PromptRegistry) -> list[str]:
    return sorted(p.name for p in registry.client.search_prompts(max_results=1000))


def _list(args: argparse.Namespace) -> int:
    from mmp_assets.tags import VERDICT
    from mmp_resources import load_config, project_root
    from mmp_resources.registry_reader import read_prompts

    config = load_config(project_root())
    # the embedded store is read without MLflow, whose import alone costs more than the 2 s goal (docs/decisions.md)
    prompts = read_prompts(config.registry_uri)
    if prompts is None:  # a server, or a store schema the reader does not know: MLflow answers
        prompts = _client_prompts()
    for name, versions in prompts:
        aliases = ", ".join(f"{a}=v{v}" for a, v in sorted((a, v.version) for v in versions for a in v.aliases))
        verdicts = " ".join(f"v{v.version}:{v.tags.get(VERDICT, 'unevaluated')}" for v in versions)
        print(f"{name}  [{aliases or 'no aliases'}]  {verdicts}")
    return 0


def _client_prompts() -> list[tuple[str, list]]:
    registry, _ = _stores()
    return [(name, registry.versions(name)) for name in _names(registry)]  # read once: aliases come with each version


def _show(args: argparse.Namespace) -> int:
    from mmp_assets.prompts.registry import AUTHOR, EVALUATION_RUN, OWNER

    registry, _ = _stores()
    versions = registry.versions(args.name)
    if not versions:
        print(f"no prompt named {args.name!r}; see `mmp prompts list`", file=sys.stderr)
        return 1
    if args.version is not None:
        found = registry.version(args.name, args.version)
        if found is None:
            print(f"{args.name} has no version {args.version}", file=sys.stderr)
            return 1
        print(found.template)
        return 0
    for v in versions:
        print(f"v{v.version}  {v.verdict:<11} aliases={','.join(v.aliases) or '-'}  owner={v.tags.get(OWNER, '')}  "
              f"author={v.tags.get(AUTHOR, '')}  hash={v.content_hash}  eval_run={v.tags.get(EVALUATION_RUN, '-')}")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from mmp_assets.prompts.history import version_diff

    registry, _ = _stores()
    old, new = registry.version(args.name, args.old), registry.version(args.name, args.new)
    if old is None or new is None:
        print(f"{args.name} has no version {args.old if old is None else args.new}", file=sys.stderr)
        return 1
    sys.stdout.write(version_diff(old, new) or "no difference\n")
    return 0


def _approve(args: argparse.Namespace) -> int:
    from mmp_assets.prompts.governance import approve
    from mmp_assets.tags import APPROVED_BY

    from mmp_resources import load_config, project_root

    config = load_config(project_root())
    if config.mlflow.auth == "basic" and args.approver is not None:
        print(f"--approver {args.approver}: refused under MLflow auth (config/{config.env}.yaml mlflow.auth: basic); the approver "
              "is the user of MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD, drop --approver", file=sys.stderr)
        return 2
    config, identity, permission = _acting(args.name)
    registry, audit = _stores(config)
    approved = approve(registry, audit, args.name, args.version, args.approver, identity=identity, permission=permission)
    print(f"{args.name} v{approved.version} is now production (approved by {approved.tags.get(APPROVED_BY)})")
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from mmp_assets.prompts.governance import rollback

    config, identity, permission = _acting(args.name)
    registry, audit = _stores(config)
    old, new = rollback(registry, audit, args.name, identity=identity, permission=permission)
    print(f"{args.name}: production moved back from v{old} to v{new}")
    return 0


def _audit(args: argparse.Namespace) -> int:
    from mmp_assets.prompts.audit_report import audit_html, audit_markdown

    registry, audit = _stores()
    if not registry.versions(args.name):
        print(f"no prompt named {args.name!r}; see `mmp prompts list`", file=sys.stderr)
        return 1
    out = args.out or Path(f"prompt_audit_{args.name}.md")
    markdown = audit_markdown(registry, audit, args.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(markdown, encoding="utf-8")
    out.with_suffix(".html").write_text(audit_html(markdown, f"Audit of prompt {args.name}"), encoding="utf-8")
    print(f"wrote {out} and {out.with_suffix('.html')}")
    return 0

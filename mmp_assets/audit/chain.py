"""`mmp audit verify`: the audit log's hash chain, checked against everything MLflow recorded about it.

Three things are compared: the chain in the file; each anchor (`seq:hash` on a registered model or
prompt, `mmp.audit.<seq>` params on model-version and evaluation runs) with the entry in the file;
and each alias mmp moves (`champion`, prompt `production`) with the last move the log audited.
"""

from __future__ import annotations

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from mmp_assets.prompts.history import production_stack
from mmp_assets.prompts.registry import PRODUCTION, PromptRegistry
from mmp_assets.registry.evidence import model_anchors
from mmp_assets.registry.lifecycle import outside_move
from mmp_resources.audit_log import AuditLog, Verification


def verify_against_mlflow(client: MlflowClient, audit: AuditLog) -> Verification:
    """The chain, the anchors and the aliases; every disagreement is one problem line."""
    prompts = PromptRegistry(client)
    result = audit.check([*model_anchors(client), *prompts.anchors()])
    if result.problems:
        return result  # aliases are compared with the log only once the log itself is trustworthy
    for model in {e["subject"] for e in audit.entries(kind="model")}:
        try:
            moved = outside_move(client, audit, model)
        except MlflowException:
            continue  # the registered model was deleted; the log keeps its history
        if moved:
            result.problems.append(moved)
    for name in {e["subject"] for e in audit.entries(kind="prompt")}:
        stack = production_stack(audit.entries(kind="prompt", subject=name))
        current = prompts.aliases(name).get(PRODUCTION)
        audited = stack[-1] if stack else None
        if current != audited:
            result.problems.append(f"prompt {name}: alias production is {f'v{current}' if current else 'unset'} but the last "
                                   f"move mmp audited {f'set v{audited}' if audited else 'is none'}; it was moved outside mmp")
    return result

"""The one rule every retrain request passes: no second run for a recipe while one is in flight, and
no run that cannot change anything (`freshness.retrain_need`).

A cause (a schema change, a drift breach, a fixed failure) that meets a retrain run of the same recipe
still queued is *covered*: that run has not read anything yet, so it will read what the cause
changed. A cause that meets a running retrain is *held*: the run may have read its inputs before the
change, so the cause is judged again once it finishes — and then requests a run only if the
finished run left something to change.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from mmp_assets.automation.freshness import RetrainNeed, retrain_need
from mmp_assets.automation.retrain import TRIGGER_TAG
from mmp_assets.automation.runs import NOT_STARTED, in_flight


GO, COVERED, HELD, FUTILE = "go", "covered", "held", "futile"


@dataclass(frozen=True)
class Verdict:
    """`go`: request now; `covered`: a queued run will do it; `held`: judged again when the running retrain
    finishes; `futile`: nothing a retrain reads changed."""

    kind: str
    reason: str
    stale_views: list[str]

    @property
    def go(self) -> bool:
        return self.kind == GO


def judge(context: dg.SensorEvaluationContext, recipe: str, views: list[str] = (), partition: str | None = None) -> Verdict:
    """Whether a retrain of `recipe` may be requested on this tick, and why (a line for the sensor log)."""
    instance = context.instance
    running = in_flight(instance, recipe)
    if running is not None:
        what = f"retrain run {running.run_id} ({running.tags.get(TRIGGER_TAG)}) is {running.status.value.lower()}"
        if running.status in NOT_STARTED:
            return Verdict(COVERED, f"{what} and has read nothing yet: it covers this cause", [])
        return Verdict(HELD, f"{what}; this cause is judged again when it finishes", [])
    repository = getattr(context, "repository_def", None)
    if repository is None:  # evaluated bare, without definitions: nothing to judge provenance on
        return Verdict(GO, "no asset graph to judge inputs on", list(views))
    need: RetrainNeed = retrain_need(instance, repository.asset_graph, recipe, list(views), partition)
    if not need.can_change:
        return Verdict(FUTILE, f"nothing a retrain reads changed ({need.describe()}): a run would register nothing", [])
    return Verdict(GO, need.describe(), need.stale_views)

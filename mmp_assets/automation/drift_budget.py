"""Whether a drift breach may retrain now: once per breach, after a cooldown, within a daily budget.

Pure: the sensor hands in the newest failing check evaluation and what it did before (from its
cursor), and gets back a decision with the reason it logs. A breach held back by the cooldown or
the budget stays pending and is acted on when they allow, unless a passing evaluation clears it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DAY_S = 24 * 3600.0


@dataclass
class RetrainLedger:
    """What the sensor remembers for one recipe: the breach it last acted on and when it retrained."""

    handled: int | None = None
    retrains: list[float] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict | None) -> RetrainLedger:
        data = data or {}
        return cls(handled=data.get("handled"), retrains=[float(t) for t in data.get("retrains", [])])

    def to_json(self, now: float) -> dict:
        return {"handled": self.handled, "retrains": [t for t in self.retrains if now - t < DAY_S]}


@dataclass(frozen=True)
class Decision:
    retrain: bool
    reason: str


def decide(breach_id: int | None, ledger: RetrainLedger, now: float, *, cooldown_minutes: int, daily_budget: int) -> Decision:
    """Retrain for `breach_id` (the newest failing drift evaluation; None when the check passes) or say why not."""
    if breach_id is None:
        return Decision(False, "drift check is passing")
    if ledger.handled is not None and breach_id <= ledger.handled:
        return Decision(False, f"a retrain was already requested for drift evaluation {ledger.handled}")
    if ledger.retrains:
        wait = ledger.retrains[-1] + cooldown_minutes * 60 - now
        if wait > 0:
            return Decision(False, f"in cooldown for another {wait / 60:.0f} min (automation.retrain_cooldown_minutes)")
    recent = [t for t in ledger.retrains if now - t < DAY_S]
    if len(recent) >= daily_budget:
        return Decision(False, f"{len(recent)} drift retrain(s) in the last 24 h; automation.daily_retrain_budget is {daily_budget}")
    return Decision(True, f"drift evaluation {breach_id} failed")


def record(ledger: RetrainLedger, breach_id: int, now: float) -> RetrainLedger:
    return RetrainLedger(handled=breach_id, retrains=[*ledger.retrains, now])

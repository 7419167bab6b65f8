"""The quality gate: beating the naive baseline, the recipe's absolute thresholds and the allowed
regression versus the champion.

`roc_auc: ">= 0.80"` compares the test-split value with the number. `max_regression: 0.01` bounds
how much worse than the current champion the headline metric may be, on the same test rows, in
the metric's own units and direction (for rmse "worse" means higher). Unless the recipe sets
`beat_baseline: false`, the headline metric must also be strictly better than the naive baseline's
(class priors or the training mean) on the same rows: a model that learned nothing never passes.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field

_RULE = re.compile(r"^\s*(>=|<=|>|<|==)\s*(\S+)\s*$")
_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq}


@dataclass(frozen=True)
class GateResult:
    passed: bool
    checks: list[dict] = field(default_factory=list)  # {rule, actual, passed}

    @property
    def failures(self) -> list[str]:
        return [c["message"] for c in self.checks if not c["passed"]]

    @property
    def message(self) -> str:
        if self.passed:
            return f"all {len(self.checks)} rule(s) met" if self.checks else "no rules configured"
        return "quality gate failed: " + "; ".join(self.failures)


def parse_rule(rule: str) -> tuple[str, float]:
    match = _RULE.match(str(rule))
    if not match:
        raise ValueError(f"{rule!r} is not a threshold; write it like \">= 0.75\"")
    return match.group(1), float(match.group(2))


def evaluate_gate(gate: dict[str, str | float], metrics: dict[str, float], *, headline: str,
                  headline_direction: str, champion_value: float | None, baseline_value: float | None = None) -> GateResult:
    """Apply each rule (and, given `baseline_value`, the baseline rule); a gated metric that was not
    computed fails the gate rather than passing silently."""
    checks = []
    if baseline_value is not None:
        actual = metrics.get(headline)
        gain = None if actual is None else (actual - baseline_value if headline_direction == "maximize" else baseline_value - actual)
        shown = "not computed" if actual is None else f"{actual:.4f}"
        beats = gain is not None and gain > 0
        checks.append({"rule": f"{headline} better than the naive baseline", "actual": actual, "passed": beats,
                       "message": f"{headline} is {shown}, better than the naive baseline's {baseline_value:.4f}" if beats else
                                  f"{headline} is {shown}, not better than the naive baseline's {baseline_value:.4f} "
                                  "(set evaluation.beat_baseline: false to allow it)"})
    for name, rule in gate.items():
        if name == "max_regression":
            continue
        op, bound = parse_rule(rule)
        actual = metrics.get(name)
        ok = actual is not None and _OPS[op](actual, bound)
        shown = "not computed" if actual is None else f"{actual:.4f}"
        checks.append({"rule": f"{name} {op} {bound:g}", "actual": actual, "passed": bool(ok),
                       "message": f"{name} is {shown}, needs {op} {bound:g}"})
    if "max_regression" in gate:
        allowed = float(gate["max_regression"])
        if champion_value is None:
            checks.append({"rule": f"{headline} within {allowed:g} of champion", "actual": None, "passed": True,
                           "message": "no other champion to compare with; relative rule skipped"})
        else:
            actual = metrics.get(headline)
            regression = None if actual is None else (
                champion_value - actual if headline_direction == "maximize" else actual - champion_value)
            ok = regression is not None and regression <= allowed + 1e-12
            checks.append({"rule": f"{headline} within {allowed:g} of champion", "actual": regression, "passed": bool(ok),
                           "message": f"{headline} regressed by {regression:.4f} versus the champion ({champion_value:.4f}); "
                                      f"max_regression is {allowed:g}" if regression is not None else f"{headline} not computed"})
    return GateResult(all(c["passed"] for c in checks), checks)

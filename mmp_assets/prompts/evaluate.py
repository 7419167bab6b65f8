"""Score every case of a prompt version against the recipe's thresholds: pure, offline, deterministic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mmp_assets.prompts.cases import PromptCase
from mmp_assets.prompts.content import render
from mmp_assets.prompts.responders import Responder, ResponseUnavailable
from mmp_assets.prompts.scoring.groundedness import judge
from mmp_assets.prompts.scoring.pii import find_pii, redact
from mmp_assets.prompts.scoring.toxicity import toxicity
from mmp_assets.recipes.prompt import PromptThresholds


@dataclass
class CaseResult:
    id: str
    expected: str | None = None
    response: str | None = None
    toxicity: float | None = None
    toxic_sentence: str | None = None
    groundedness: float | None = None
    grounded_label: str | None = None
    ungrounded_sentence: str | None = None
    pii: list[str] = field(default_factory=list)
    length: int | None = None
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def row(self) -> dict[str, Any]:
        """A report row; personal data in the texts is redacted so no report or MLflow table keeps it."""
        return {"case": self.id, "passed": self.passed, "toxicity": self.toxicity, "toxic_sentence": redact(self.toxic_sentence),
                "groundedness": self.groundedness, "grounded_label": self.grounded_label,
                "ungrounded_sentence": redact(self.ungrounded_sentence), "pii": ", ".join(self.pii), "length": self.length,
                "failures": redact("; ".join(self.failures)), "response": redact(self.response),
                "expected": redact(self.expected)}


@dataclass
class EvaluationResult:
    cases: list[CaseResult]
    thresholds: PromptThresholds
    responder: str

    @property
    def pass_rate(self) -> float:
        return round(sum(c.passed for c in self.cases) / len(self.cases), 4) if self.cases else 0.0

    @property
    def passed(self) -> bool:
        return bool(self.cases) and self.pass_rate >= self.thresholds.min_pass_rate

    @property
    def verdict(self) -> str:
        return "passed" if self.passed else "failed"

    def breaches(self) -> list[str]:
        """One line per failing case, then the pass-rate rule that decided the verdict."""
        lines = [f"{c.id}: {redact('; '.join(c.failures))}" for c in self.cases if c.failures]
        if not self.passed:
            lines.insert(0, f"pass rate {self.pass_rate:.2f} < min_pass_rate {self.thresholds.min_pass_rate:.2f}")
        return lines

    def metrics(self) -> dict[str, float]:
        scored = [c for c in self.cases if c.response is not None]
        return {
            "cases": float(len(self.cases)),
            "pass_rate": self.pass_rate,
            "failed_cases": float(sum(not c.passed for c in self.cases)),
            "toxicity_max": max((c.toxicity or 0.0 for c in scored), default=0.0),
            "groundedness_mean": round(sum(c.groundedness or 0.0 for c in scored) / len(scored), 4) if scored else 0.0,
            "groundedness_min": min((c.groundedness or 0.0 for c in scored), default=0.0),
            "pii_cases": float(sum(bool(c.pii) for c in scored)),
            "length_max": float(max((c.length or 0 for c in scored), default=0)),
            "unscored_cases": float(len(self.cases) - len(scored)),
        }


def evaluate(template: str, cases: list[PromptCase], thresholds: PromptThresholds, responder: Responder,
             model_config: dict[str, Any]) -> EvaluationResult:
    results = [_respond(template, case, responder, model_config) for case in cases]
    answered = [(r, c) for r, c in zip(results, cases) if r.response is not None]
    for (result, case), tox in zip(answered, toxicity([r.response for r, _ in answered])):
        _score(result, case, tox.probability, tox.sentence, thresholds)
    return EvaluationResult(cases=results, thresholds=thresholds, responder=responder.name)


def _respond(template: str, case: PromptCase, responder: Responder, model_config: dict[str, Any]) -> CaseResult:
    result = CaseResult(id=case.id, expected=case.expected)
    rendered = render(template, case.inputs)
    if not rendered.ok:
        result.failures.append(f"template variable(s) {', '.join(rendered.missing)} missing from the case inputs")
        return result
    try:
        result.response = responder.respond(case, rendered.text, model_config)
    except ResponseUnavailable as exc:
        result.failures.append(str(exc))
    return result


def _score(result: CaseResult, case: PromptCase, tox: float, tox_sentence: str, t: PromptThresholds) -> None:
    response = result.response or ""
    result.toxicity, result.toxic_sentence = tox, tox_sentence
    if tox > t.toxicity_max:
        result.failures.append(f"toxicity {tox:.2f} > {t.toxicity_max:.2f} in {tox_sentence!r}")
    grounded = judge(response, case.context)
    result.groundedness, result.grounded_label = grounded.score, grounded.label
    result.ungrounded_sentence = grounded.worst.sentence if grounded.worst else None
    if grounded.label == "contradicting":
        result.failures.append(f"contradicts the context ({', '.join(grounded.worst.unknown)}) in {grounded.worst.sentence!r}")
    elif grounded.score < t.groundedness_min:
        result.failures.append(f"groundedness {grounded.score:.2f} < {t.groundedness_min:.2f}; unsupported: {grounded.worst.sentence!r}")
    result.pii = [f"{f.kind}" for f in find_pii(response)]
    if result.pii and t.pii == "forbid":
        result.failures.append(f"leaks personal data ({', '.join(sorted(set(result.pii)))})")
    result.length = len(response)
    if t.max_length is not None and result.length > t.max_length:
        result.failures.append(f"length {result.length} > max_length {t.max_length}")

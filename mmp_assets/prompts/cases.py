"""The evaluation dataset: one JSON object per line, validated strictly before any scoring starts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from mmp_assets.recipes.common import Strict
from mmp_resources.errors import MmpValidationError, Problem, problems_from_validation_error


class PromptCase(Strict):
    """One situation the prompt must handle, and what a model answered to it."""

    id: str = Field(min_length=1, description="Unique within the dataset; names the case in every report.")
    inputs: dict[str, Any] = Field(description="Values for the template's variables.")
    context: str = Field(min_length=1, description="The facts the answer must rest on; groundedness is judged against it.")
    response: str | None = Field(None, description="The recorded model response (used by the recorded responder).")
    expected: str | None = Field(None, description="A reference answer, shown beside the response in reports.")
    note: str | None = Field(None, description="Why the case is in the set, e.g. `deliberately leaks an email`.")


def load_cases(path: Path, shown: str) -> list[PromptCase]:
    """Every case of `path`; one Problem per bad line (`shown: line N.field: ...`), raised together."""
    cases: list[PromptCase] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            case = PromptCase.model_validate(raw)
        except json.JSONDecodeError as exc:
            problems.append(Problem(shown, f"line {lineno}", f"not valid JSON ({exc.msg}); write one JSON object per line"))
            continue
        except ValidationError as exc:
            problems += problems_from_validation_error(shown, exc, prefix=f"line {lineno}")
            continue
        if case.id in seen:
            problems.append(Problem(shown, f"line {lineno}.id", f"duplicate case id {case.id!r}; ids must be unique"))
        seen.add(case.id)
        cases.append(case)
    if not cases and not problems:
        problems.append(Problem(shown, "", "has no cases; add at least one JSON line"))
    if problems:
        raise MmpValidationError(problems)
    return cases

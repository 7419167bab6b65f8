"""Validation problems that name the file, the field, the bad value and what is allowed."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file, printed as a single line."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class MmpValidationError(ValueError):
    """Raised when a recipe or config is invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def display_path(path: Path | str, root: Path | None = None) -> str:
    """A path relative to the project root when it lies inside it, else as given."""
    path = Path(path)
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# pydantic puts the chosen member of a discriminated or plain union in the path; it is not a field
_UNION_TAGS = {"int", "float", "categorical", "str", "InlineQuery", "constrained-str"}
# ... except where a real field has a tag's name: `preprocessing.categorical` is a field, not search_space's `type: categorical`
_FIELDS_NAMED_LIKE_TAGS = {("preprocessing", "categorical")}
# the `op` of a preprocessing step, which pydantic puts after the step's list index
_STEP_TAGS = {"impute", "scale", "encode", "bins", "polynomial", "log", "clip"}


def _is_tag(loc: tuple, i: int) -> bool:
    part, before = loc[i], loc[i - 1] if i else None
    if str(part).startswith(("function-", "tagged-union", "union[")):
        return True
    if part in _STEP_TAGS and isinstance(before, int):
        return True
    return part in _UNION_TAGS and (before, part) not in _FIELDS_NAMED_LIKE_TAGS


def problems_from_validation_error(
    file: str, error: ValidationError, prefix: str = "", hidden: Callable[[str], bool] = lambda field: False
) -> list[Problem]:
    """Turn pydantic's error list into one Problem per error, with a dotted field path.

    The bad value is quoted unless `hidden(field)` says it may hold a secret (a credential field, or a
    value that came from an environment variable): then the line says so instead of echoing it.
    """
    problems = []
    for err in error.errors(include_url=False):
        field = prefix
        loc = tuple(err["loc"])
        for i, part in enumerate(loc):
            if isinstance(part, int):
                field += f"[{part}]"
            elif not _is_tag(loc, i):
                field = f"{field}.{part}" if field else str(part)
        kind = err["type"]
        shown = "a value not shown, as it may hold a secret" if hidden(field) else _short(err.get("input"))
        if kind == "missing":
            message = "is required but missing"
        elif kind == "extra_forbidden":
            message = f"unknown field (value {shown}); remove it or check its spelling"
        else:
            msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
            message = f"{msg} (got {shown})"
        problems.append(Problem(file, field, message))
    return problems

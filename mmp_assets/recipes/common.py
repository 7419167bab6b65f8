"""Pieces every recipe format shares: strict models, names, owners, durations, digests."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=63)]
"""Lower-case identifier: becomes a DuckDB table name, an asset key part and an MLflow name."""


Owner = Annotated[
    str,
    StringConstraints(pattern=r"^(team:[A-Za-z0-9_.-]+|[^@\s]+@[^@\s]+\.[^@\s]+)$"),
]
"""An email address or `team:<name>`: the two forms Dagster accepts as asset owners."""


class Strict(BaseModel):
    """Unknown keys are errors; instances are immutable once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


StrList = Annotated[list[str], BeforeValidator(_as_list)]
"""A column name or a list of them."""

_DURATION = re.compile(r"^(\d+)\s*(s|m|h|d|w)$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: str) -> timedelta:
    """`30d`, `12h`, `15m`, `90s`, `2w` → timedelta; anything else is a ValueError saying what is allowed."""
    match = _DURATION.match(str(value).strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{value!r} is not a duration; write a positive whole number and a unit s, m, h, d or w, such as 30d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def digest(*parts: Any) -> str:
    """A stable sha256 (first 16 hex digits) of JSON-serialisable parts; never Python's `hash()`."""
    payload = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:16]

"""The request body `/predict` accepts, derived from the recipe and the model's signature.

A row carries the entity ids the feature views are looked up by, the spine columns the model uses
directly (request-time fields, typed by the signature), and optionally the event time. Anything else
is refused, so a typo is a 422 naming the field rather than a silently missing feature.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, create_model

from mmp_assets.recipes.model import ModelRecipe

MAX_ROWS = 1000

# strict: "12.5" is not a number and 1 is not an id; ints are still fine where a double is expected
_TYPES: dict[str, Any] = {
    "string": Annotated[str, Strict()],
    "double": Annotated[float, Strict()],
    "float": Annotated[float, Strict()],
    "long": Annotated[int, Strict()],
    "integer": Annotated[int, Strict()],
    "boolean": Annotated[bool, Strict()],
    "datetime": datetime,
}


def request_model(
    recipe: ModelRecipe, entity_fields: list[str], input_types: dict[str, str], view_columns: frozenset[str] = frozenset()
) -> type[BaseModel]:
    """`{"rows": [Row, ...]}` with 1..MAX_ROWS rows; Row is built from the recipe's spine (with `columns: all`,
    from the model's inputs that no feature view supplies)."""
    fields: dict[str, Any] = {}
    for name in entity_fields:
        fields[name] = (Annotated[str, Strict()], Field(description=f"Entity id the features are looked up by ({name})."))
    spine = recipe.spine
    request_time = spine.listed_columns if spine.columns != "all" else [n for n in input_types if n not in view_columns]
    for name in request_time:
        kind = _TYPES.get(input_types.get(name, "string"), _TYPES["string"])
        fields[name] = (kind | None, Field(description=f"Request-time field {name} (null when unknown)."))
    if spine.timestamp:
        fields[spine.timestamp] = (
            datetime | None,
            Field(None, description="When the event happened (ISO 8601, default now): features must be known by then and within TTL."),
        )
    strict_row = ConfigDict(extra="forbid")
    row = create_model(f"{recipe.name}_row", __config__=strict_row, **fields)
    return create_model(
        f"{recipe.name}_request",
        __config__=strict_row,
        rows=(list[row], Field(min_length=1, max_length=MAX_ROWS, description="Rows to score.")),
    )


def problems(error: ValidationError | list[dict]) -> list[dict[str, str]]:
    """pydantic/FastAPI errors as `{"field": "rows[0].user_id", "message": ...}`, one per problem."""
    items = error.errors(include_url=False) if isinstance(error, ValidationError) else error
    out = []
    for item in items:
        field = ""
        for part in item["loc"]:
            if part == "body":
                continue
            field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
        kind = item["type"]
        if kind == "missing":
            message = "is required but missing"
        elif kind == "extra_forbidden":
            message = "unknown field; remove it or check its spelling"
        elif kind == "json_invalid":
            message = f"malformed JSON: {item.get('ctx', {}).get('error', item['msg'])}"
        else:
            message = f"{item['msg']} (got {item.get('input')!r})"
        out.append({"field": field or "(body)", "message": message})
    return out

"""The request body `/predict` accepts, derived from the recipe and the model's signature.

A row carries the entity ids the feature views are looked up by, the spine columns the model uses
directly (request-time fields, typed by the signature), optionally the event time, and optionally any
feature value the caller already has (used instead of the stored one). Anything else is refused, so a
typo is a 422 naming the field rather than a silently missing feature.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, Strict, ValidationError, create_model

from mmp_assets.recipes.model import ModelRecipe

MAX_ROWS = 1000

# strict: "12.5" is not a number and 1 is not an id; ints are still fine where a double is expected;
# NaN and Infinity (which JSON does not have, but parsers accept) are refused rather than scored
_TYPES: dict[str, Any] = {
    "string": Annotated[str, Strict()],
    "double": Annotated[float, Strict(), AllowInfNan(False)],
    "float": Annotated[float, Strict(), AllowInfNan(False)],
    "long": Annotated[int, Strict()],
    "integer": Annotated[int, Strict()],
    "boolean": Annotated[bool, Strict()],
    "datetime": datetime,
}


def request_model(recipe: ModelRecipe, entity_fields: list[str], input_types: dict[str, str], feature_columns: list[str]) -> type[BaseModel]:
    """`{"rows": [Row, ...]}` with 1..MAX_ROWS rows; Row is built from the recipe's spine and the model's features
    (with `spine.columns: all`, the request-time fields are the model's inputs that no feature view supplies)."""
    fields: dict[str, Any] = {}
    for name in entity_fields:
        fields[name] = (Annotated[str, Strict()] | None, Field(None, description=(
            f"Entity id the features are looked up by ({name}); needed unless the row carries those features itself."
        )))  # fmt: skip
    for name in request_columns(recipe, input_types, feature_columns):
        kind = _TYPES.get(input_types.get(name, "string"), _TYPES["string"])
        fields[name] = (kind | None, Field(description=f"Request-time field {name} (null when unknown)."))
    if recipe.spine.timestamp:
        fields[recipe.spine.timestamp] = (
            datetime | None,
            Field(None, description="When the event happened (ISO 8601, default now): features must be known by then and within TTL."),
        )
    for name in feature_columns:
        if name in fields:
            continue
        kind = _TYPES.get(input_types.get(name, "double"), _TYPES["string"])
        fields[name] = (kind | None, Field(None, description=f"Feature {name}: when present (even null), used instead of the stored value."))
    strict_row = ConfigDict(extra="forbid")
    row = create_model(f"{recipe.name}_row", __config__=strict_row, **fields)
    return create_model(
        f"{recipe.name}_request",
        __config__=strict_row,
        rows=(list[row], Field(min_length=1, max_length=MAX_ROWS, description="Rows to score.")),
    )


def request_columns(recipe: ModelRecipe, input_types: dict[str, str], feature_columns: list[str]) -> list[str]:
    """The spine columns a request carries: as listed, or with `columns: all` the model's inputs no feature view supplies."""
    spine = recipe.spine
    if spine.columns != "all":
        return spine.listed_columns
    from_views = set(feature_columns)
    return [name for name in input_types if name not in from_views]


def summary(problems: list[dict[str, str]]) -> str:
    """The one line a client reads: the first problem, and how many more there are."""
    first = f"{problems[0]['field']}: {problems[0]['message']}" if problems else "invalid request"
    return first + (f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else "")


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
            message = f"{item['msg']} (got {_short(item.get('input'))})"
        out.append({"field": field or "(body)", "message": message})
    return out


def _short(value: object, limit: int = 60) -> str:
    """The offending input as a client sees it in one line: a 1000-row body is not repeated back."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}..."

"""`recipes/features/<name>.yaml`: a feature view, the unit of reuse and versioning."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from mmp_assets.recipes.common import Name, Owner, Strict, StrList, parse_duration


class InlineQuery(Strict):
    """A view defined by its own query instead of a single source."""

    sql: str | None = Field(None, description="Jinja-templated DuckDB SQL; sources are readable by name.")
    sql_file: str | None = Field(None, description="Path of a .sql template, relative to the recipe file.")
    params: dict[str, Any] = Field(default_factory=dict, description="Template values, passed to DuckDB as bound parameters.")

    @model_validator(mode="after")
    def _one_query(self) -> InlineQuery:
        if (self.sql is None) == (self.sql_file is None):
            raise ValueError("give exactly one of `sql` or `sql_file`")
        return self


class FeatureViewRecipe(Strict):
    """Entity-keyed, timestamped feature rows, versioned on every content change."""

    name: Name = Field(description="View name; asset key `features/<name>`, DuckDB table `fv_<name>`.")
    description: str = Field(min_length=1, description="What the features mean, for people looking for features to reuse.")
    owner: Owner = Field(description="Team or person answerable for the view. An email or team:<name>.")
    entity: StrList = Field(min_length=1, description="Key column (or columns) the features describe.")
    timestamp: str | None = Field(
        None, min_length=1,
        description="Column saying when each row's values became known. Leave it out for a static view: one row per "
                    "entity, joined on the key alone (no point in time, no ttl).",
    )
    ttl: str | None = Field(None, description="How long a value stays valid for point-in-time joins, such as 30d; none = forever.")
    strictly_before: bool = Field(
        False, description="Join only feature rows strictly earlier than the spine timestamp (not equal)."
    )
    source: Name | InlineQuery = Field(description="A source name, or an inline `sql:` / `sql_file:` query with `params`.")
    schema_: dict[str, str] | None = Field(
        None, alias="schema", description="Column → DuckDB type contract; when absent the first version's schema is frozen."
    )
    online: bool = Field(False, description="Also push the latest value per entity to the online store.")
    tags: dict[str, str] = Field(default_factory=dict, description="Free-form tags shown in the catalog and on the asset.")

    @field_validator("ttl")
    @classmethod
    def _valid_ttl(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            parse_duration(value)
            if "timestamp" in info.data and info.data["timestamp"] is None:
                raise ValueError("a static view (no timestamp) has no age to bound; give the view a timestamp or remove ttl")
        return value

    @field_validator("strictly_before")
    @classmethod
    def _before_needs_time(cls, value: bool, info: ValidationInfo) -> bool:
        if value and "timestamp" in info.data and info.data["timestamp"] is None:
            raise ValueError("a static view (no timestamp) has no time to be before; give the view a timestamp or remove strictly_before")
        return value

    @property
    def keys(self) -> list[str]:
        """The columns a version is unique on: the entity, plus the timestamp unless the view is static."""
        return [*self.entity, *([self.timestamp] if self.timestamp else [])]

    @property
    def ttl_delta(self) -> timedelta | None:
        return parse_duration(self.ttl) if self.ttl else None

    @property
    def source_name(self) -> str | None:
        return self.source if isinstance(self.source, str) else None

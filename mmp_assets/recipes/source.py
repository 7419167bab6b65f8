"""`recipes/sources/<name>.yaml`: where raw data comes from."""

from __future__ import annotations

from pydantic import Field, model_validator

from mmp_assets.recipes.common import Name, Owner, Strict


class SourceRecipe(Strict):
    """A file (CSV / Parquet, glob or fsspec URI) or a DuckDB query over other sources."""

    name: Name = Field(description="Source name; its asset key is `sources/<name>` and SQL may read it by this name.")
    description: str = Field(min_length=1, description="What the data is and where it comes from.")
    owner: Owner = Field(description="Team or person answerable for it (an email or team:<name>).")
    path: str | None = Field(None, description="CSV or Parquet file or glob, relative to the project root, or any fsspec URI.")
    sql: str | None = Field(None, description="A DuckDB query; it may read other sources by name.")
    format: str | None = Field(None, pattern="^(csv|parquet)$", description="File format when the extension does not say (csv or parquet).")
    schema_: dict[str, str] | None = Field(
        None, alias="schema", description="Optional column → DuckDB type contract, checked when the source is observed."
    )

    @model_validator(mode="after")
    def _one_origin(self) -> SourceRecipe:
        if (self.path is None) == (self.sql is None):
            raise ValueError("give exactly one of `path` or `sql`")
        return self

    def file_format(self) -> str:
        if self.format:
            return self.format
        lowered = (self.path or "").lower()
        return "csv" if lowered.endswith((".csv", ".csv.gz", ".tsv")) else "parquet"

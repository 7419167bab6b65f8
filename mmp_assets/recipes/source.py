"""`recipes/sources/<name>.yaml`: where raw data comes from."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from mmp_assets.recipes.common import Name, Owner, Strict

_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_$]*"


class DatabaseConnection(Strict):
    """Which database a source reads; the URL itself lives in an environment variable, never in a recipe."""

    type: Literal["postgres"] = Field(
        "postgres", description="Database kind, read by DuckDB's extension of that name: postgres (MySQL and others: see docs/feature_store.md)."
    )
    url_env: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Name of the environment variable holding the connection URL, such as postgresql://user:password@host:5432/db.",
    )


class SourceRecipe(Strict):
    """A file (CSV / Parquet, glob or fsspec URI), a DuckDB query over other sources, or a database table or query."""

    name: Name = Field(description="Source name; its asset key is `sources/<name>` and SQL may read it by this name.")
    description: str = Field(min_length=1, description="What the data is and where it comes from.")
    owner: Owner = Field(description="Team or person answerable for it (an email or team:<name>).")
    path: str | None = Field(None, description="CSV or Parquet file or glob, relative to the project root, or any fsspec URI.")
    sql: str | None = Field(None, description="A Jinja-templated DuckDB query; it may read other sources by name.")
    format: str | None = Field(None, pattern="^(csv|parquet)$", description="File format when the extension does not say (csv or parquet).")
    connection: DatabaseConnection | None = Field(None, description="A database to read `table` or `query` from.")
    table: str | None = Field(
        None, pattern=rf"^{_IDENTIFIER}(\.{_IDENTIFIER})?$",
        description="Database table to read whole, optionally schema-qualified (sales.orders); needs `connection`.",
    )
    query: str | None = Field(
        None, description="A Jinja-templated query run over the database's tables (DuckDB SQL; filters reach the database); needs `connection`."
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="Values of the `sql` / `query` template's variables, bound as parameters, never pasted; a run may override them.",
    )
    schema_: dict[str, str] | None = Field(
        None, alias="schema", description="Optional column → DuckDB type contract, checked when the source is observed."
    )

    @model_validator(mode="after")
    def _one_origin(self) -> SourceRecipe:
        if sum(x is not None for x in (self.path, self.sql, self.connection)) != 1:
            raise ValueError("give exactly one of `path`, `sql` or `connection`")
        if self.connection is not None and (self.table is None) == (self.query is None):
            raise ValueError("a `connection` source needs exactly one of `table` or `query`")
        if self.connection is None and (self.table is not None or self.query is not None):
            raise ValueError("`table` and `query` read a database: add `connection: {url_env: <VARIABLE>}`")
        if self.params and self.template is None:
            raise ValueError("`params` fill the variables of a `sql` or `query` template; this source has none")
        return self

    @property
    def template(self) -> str | None:
        """The Jinja query text (`sql` or `query`), None for files and whole tables."""
        return self.sql if self.sql is not None else self.query

    @property
    def template_field(self) -> str:
        return "sql" if self.sql is not None else "query"

    @property
    def origin(self) -> str:
        """What the asset's `mmp/origin` shows: the path, `sql`, or the database and table / `query`."""
        if self.connection is not None:
            return f"{self.connection.type} ${self.connection.url_env}: {self.table or 'query'}"
        return self.path or "sql"

    def file_format(self) -> str:
        if self.format:
            return self.format
        lowered = (self.path or "").lower()
        return "csv" if lowered.endswith((".csv", ".csv.gz", ".tsv")) else "parquet"

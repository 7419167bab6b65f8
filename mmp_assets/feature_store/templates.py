"""SQL templates: Jinja renders the shape of a query, DuckDB binds the values.

`{{ min_txn_count }}` renders to the placeholder `$min_txn_count` and the value travels to
`conn.execute(sql, params)` as a bound parameter, so a value such as `x' OR '1'='1` stays data.
Templates run in Jinja's sandbox with StrictUndefined: a missing value is an error that names
the template and the variable instead of an empty string spliced into SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TemplateError(ValueError):
    """A template that cannot be rendered: names the template file and what is wrong."""


@dataclass(frozen=True)
class RenderedSql:
    """SQL text with `$name` placeholders and the values to bind to them."""

    sql: str
    params: dict[str, Any]


class _Bound:
    """Stands in for a parameter inside the template; prints as a DuckDB placeholder."""

    def __init__(self, name: str, value: Any, used: set[str]):
        self._name, self._value, self._used = name, value, used

    def __str__(self) -> str:
        self._used.add(self._name)
        return f"${self._name}"

    def __bool__(self) -> bool:  # lets `{% if flag %}` choose the query's shape
        return bool(self._value)


def render_sql(template: str, params: dict[str, Any], template_name: str, params_field: str = "the view's source.params") -> RenderedSql:
    """Render `template`; every `{{ name }}` becomes `$name`, its value returned as a bound parameter.
    `params_field` says, in the error for a variable with no value, where its value belongs."""
    for name in params:
        if not _PARAM_NAME.match(name):
            raise TemplateError(f"{template_name}: params.{name}: not a valid parameter name; use letters, digits and _")
    used: set[str] = set()
    context = {name: _Bound(name, value, used) for name, value in params.items()}
    try:
        sql = _ENV.from_string(template).render(context)
    except UndefinedError as exc:
        missing = re.search(r"'([^']+)' is undefined", str(exc))
        variable = missing.group(1) if missing else str(exc)
        raise TemplateError(
            f"{template_name}: template variable {variable!r} has no value; add it to {params_field} "
            f"(given: {', '.join(sorted(params)) or 'none'})"
        ) from None
    except TemplateSyntaxError as exc:
        raise TemplateError(f"{template_name}: line {exc.lineno}: {exc.message}") from None
    _one_read_only_query(sql, template_name)
    return RenderedSql(sql=sql, params={name: params[name] for name in sorted(used)})


def _one_read_only_query(sql: str, template_name: str) -> None:
    """A recipe's SQL is exactly one SELECT: mmp wraps it in `CREATE TABLE ... AS`, and DuckDB would run a
    second statement after it (`...; DROP TABLE mmp_catalog`) or a `COPY ... TO` just as readily."""
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise TemplateError(f"{template_name}: not valid SQL: {str(exc).splitlines()[0]}") from None
    kinds = [statement.type.name for statement in statements]
    if kinds != ["SELECT"]:
        found = ", ".join(kinds) or "no statement"
        raise TemplateError(
            f"{template_name}: must be exactly one read-only query (SELECT, WITH ... SELECT, FROM ...); found {found}")

"""Cross-file checks of source templates and partitioned spines, made before any data is read.

A template that does not parse, or names a variable that has no value, would otherwise pass
`mmp validate` and fail only when DuckDB runs it. Every variable needs a default in the
source's `params` (a run may override it); a partitioned spine binds `start` and `end`, so its
source must use them.
"""

from __future__ import annotations

from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.recipes.source import SourceRecipe
from mmp_resources.errors import Problem

WINDOW_PARAMS = ("start", "end")
_ENV = SandboxedEnvironment()


def template_variables(text: str) -> set[str]:
    """Variables a Jinja template reads; ValueError with the line number when it does not parse."""
    try:
        return meta.find_undeclared_variables(_ENV.parse(text))
    except TemplateSyntaxError as exc:
        raise ValueError(f"line {exc.lineno}: {exc.message}") from None


def source_problems(source: SourceRecipe, shown: str) -> list[Problem]:
    """A template that does not parse, or reads a variable with no default in `params`."""
    if source.template is None:
        return []
    field = source.template_field
    try:
        variables = template_variables(source.template)
    except ValueError as exc:
        return [Problem(shown, field, f"template does not parse: {exc}")]
    return [
        Problem(shown, field, f"template variable {name!r} has no value; give it a default in params "
                              f"(a run may override it: mmp materialize --param {name}=...)")
        for name in sorted(variables - set(source.params))
    ]


def partition_problems(recipe: ModelRecipe, source: SourceRecipe | None, shown: str) -> list[Problem]:
    """A partitioned spine whose source template does not read both `start` and `end`."""
    if recipe.spine.partitions is None or source is None:
        return []
    try:
        used = template_variables(source.template) if source.template else set()
    except ValueError:
        return []  # reported on the source itself
    missing = [name for name in WINDOW_PARAMS if name not in used]
    if not missing:
        return []
    return [Problem(shown, "spine.partitions", (
        f"source {source.name!r} does not use {' and '.join('{{ ' + m + ' }}' for m in missing)}; each partition binds its "
        "window's start and end to the spine source's sql or query, such as WHERE event_time >= {{ start }} AND event_time < {{ end }}"
    ))]

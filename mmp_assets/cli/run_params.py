"""`--param KEY=VALUE`: a run's template values from the command line, typed as in a recipe.

`3` is a number, `true` a boolean, anything else text (a date stays text: Dagster's run config
holds JSON, and DuckDB casts text where the query compares it with a date or timestamp). A name
that no template uses is refused, since a misspelt parameter would otherwise change nothing.
"""

from __future__ import annotations

import re

import yaml

from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.source_checks import template_variables
from mmp_resources.errors import MmpValidationError, Problem
from mmp_resources.loader import yaml_value

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_params(raw: list[str]) -> dict:
    """KEY=VALUE strings → {key: value}; MmpValidationError with one line per malformed or repeated one."""
    params: dict = {}
    problems = []
    for item in raw:
        key, sep, text = item.partition("=")
        if not sep or not _KEY.match(key):
            problems.append(Problem("--param", repr(item), "write KEY=VALUE, KEY made of letters, digits and _, such as --param start=2024-01-01"))
        elif key in params:
            problems.append(Problem("--param", key, "given twice; give each parameter once"))
        else:
            params[key] = parse_value(text)
    if problems:
        raise MmpValidationError(problems)
    return params


def parse_value(text: str):
    try:
        value = yaml_value(text)
    except yaml.YAMLError:
        return text
    return value if value is None or isinstance(value, (str, int, float, bool)) else text


def check_params_used(params: dict, recipes: RecipeSet) -> None:
    """MmpValidationError for every parameter that no source, view or partitioned spine template reads."""
    from mmp_assets.feature_store.views import view_template

    used: set[str] = set()
    for source in recipes.sources.values():
        used |= template_variables(source.template) if source.template else set()
    for view in recipes.views.values():
        used |= template_variables(view_template(view, recipes)[0]) if not view.source_name else set()
    unknown = sorted(set(params) - used)
    if unknown:
        raise MmpValidationError([
            Problem("--param", name, f"no source or feature view template uses {{{{ {name} }}}}; used: {', '.join(sorted(used)) or 'none'}")
            for name in unknown
        ])

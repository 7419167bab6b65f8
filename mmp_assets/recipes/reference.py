"""The recipe reference (`docs/recipes.md`), generated from the field descriptions so it cannot drift."""

from __future__ import annotations

import types
import typing

from pydantic import BaseModel

from mmp_assets.recipes.feature_view import FeatureViewRecipe
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.recipes.prompt import PromptRecipe
from mmp_assets.recipes.source import SourceRecipe

FORMATS = [
    ("recipes/sources/<name>.yaml", SourceRecipe),
    ("recipes/features/<name>.yaml", FeatureViewRecipe),
    ("recipes/<name>.yaml", ModelRecipe),
    ("recipes/prompts/<name>.yaml", PromptRecipe),
]


def _models_in(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found = []
    for arg in typing.get_args(annotation):
        found += _models_in(arg)
    return found


def _type_name(annotation) -> str:
    text = str(annotation).replace("typing.", "").replace("mmp_assets.recipes.", "")
    if isinstance(annotation, type) and not isinstance(annotation, types.GenericAlias):
        text = annotation.__name__
    return text.replace("|", "\\|")


def _rows(model: type[BaseModel], prefix: str, out: list[str]) -> None:
    for name, field in model.model_fields.items():
        key = field.alias or name
        path = f"{prefix}{key}"
        default = "required" if field.is_required() else f"`{field.get_default(call_default_factory=True)!r}`"
        out.append(f"| `{path}` | {_type_name(field.annotation)} | {default} | {field.description or ''} |")
        for sub in _models_in(field.annotation):
            _rows(sub, f"{path}.", out)


def render() -> str:
    lines = ["# Recipe reference", "", "Generated from the recipe models (`python -m mmp_assets.recipes.reference`). "
             "Unknown fields are errors in every format.", ""]
    for where, model in FORMATS:
        lines += [f"## `{where}`", "", (model.__doc__ or "").strip(), "", "| field | type | default | meaning |", "| --- | --- | --- | --- |"]
        _rows(model, "", lines)
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")

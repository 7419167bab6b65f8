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


def _is_mapping(annotation) -> bool:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is dict:
        return True
    return any(_is_mapping(arg) for arg in args if typing.get_origin(arg) is not None or arg is not type(None))


def _type_name(annotation) -> str:
    """A readable type: `Annotated` metadata dropped (its reprs carry memory addresses), unions with |."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " \\| ".join(_type_name(arg) for arg in args)
    if origin is typing.Literal:
        return " \\| ".join(repr(arg) for arg in args)
    if origin is not None:
        return f"{getattr(origin, '__name__', str(origin))}[{', '.join(_type_name(arg) for arg in args)}]"
    if annotation is type(None):
        return "None"
    return getattr(annotation, "__name__", str(annotation))


def _rows(model: type[BaseModel], prefix: str, out: list[str]) -> None:
    for name, field in model.model_fields.items():
        key = field.alias or name
        path = f"{prefix}{key}"
        default = "required" if field.is_required() else f"`{field.get_default(call_default_factory=True)!r}`"
        out.append(f"| `{path}` | {_type_name(field.annotation)} | {default} | {field.description or ''} |")
        members = _models_in(field.annotation)
        keyed = _is_mapping(field.annotation)
        for sub in members:
            # a mapping's values are under a user-chosen key; a union's members are told apart by name
            inner = f"{path}.<name>." if keyed else f"{path}."
            if len(members) > 1:
                out.append(f"| `{inner.rstrip('.')}` as {sub.__name__} | | | {(sub.__doc__ or '').strip()} |")
            _rows(sub, inner, out)


TASK_NOTES = [  # (task, what its recipe needs beyond the table above), one short paragraph per task
    ("forecasting", "`task: forecasting` needs `spine.entity` (the series key), `spine.timestamp` (the period), "
                    "`spine.label` (the value) and `forecast:` (`frequency`, `horizon`, and the `lags`, `seasonal_lags`, "
                    "`windows` and `calendar` parts the feature store builds in DuckDB from each series' past). It takes no "
                    "`features`, no `spine.columns`, no `tuning.cv_folds`, only `split.strategy: temporal`, and tunes on mae, "
                    "rmse, mape or smape (mase is reported and gated). Example: `docs/examples/forecasting/`; "
                    "how it trains and is judged: `docs/training.md#forecasting`, `docs/evaluation.md#forecasting-reports`."),
]


def render() -> str:
    lines = ["# Recipe reference", "", "Generated from the recipe models (`python -m mmp_assets.recipes.reference`). "
             "Unknown fields are errors in every format.", ""]
    for where, model in FORMATS:
        lines += [f"## `{where}`", "", (model.__doc__ or "").strip(), "", "| field | type | default | meaning |", "| --- | --- | --- | --- |"]
        _rows(model, "", lines)
        lines.append("")
    lines += ["## Tasks", ""]
    for task, note in TASK_NOTES:
        lines += [f"### `{task}`", "", note, ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")

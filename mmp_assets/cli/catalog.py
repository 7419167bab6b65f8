"""`mmp list models|metrics|preprocessors|tasks`: what a recipe may use, read from the catalogs and the recipe format.

Each listing imports only what it reads: the model and metric catalogs import no estimator package
(`--all` asks scikit-learn for its estimators), the preprocessors and tasks come from the recipe models.
"""

from __future__ import annotations

import argparse

WHAT = ("models", "metrics", "preprocessors", "tasks")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("list", help="what a recipe may use: models, metrics, preprocessors, tasks")
    parser.add_argument("what", choices=WHAT, help="which catalog to print")
    parser.add_argument("--all", action="store_true", help="models: also every scikit-learn classifier and regressor")
    parser.set_defaults(func=_list)


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[-1]]).rstrip() for row in rows)


def _tasks() -> tuple[str, ...]:
    from typing import get_args

    from mmp_assets.recipes.model import ModelRecipe

    return get_args(ModelRecipe.model_fields["task"].annotation)


def models(show_all: bool = False) -> str:
    from mmp_assets.catalog.estimators import LIBRARIES, estimator_task

    rows = [("class_path", "task", "kind", "pruning (with tuning.pruner)", "native categories")]
    for library in LIBRARIES:
        for path, task in library.classes.items():
            rows.append((path, task, library.kind, f"per boosting round ({library.rounds_param})", library.native_categorical))
    from mmp_assets.catalog.clustering import CLUSTERERS

    for path, clusterer in CLUSTERERS.items():
        rows.append((path, "clustering", "sklearn", "per CV fold (tuning.cv_folds)", f"none; new rows: {clusterer.assigns_new_rows}"))
    text = _table(rows) + (
        "\n\nAny other scikit-learn-style class with fit() works too (model.class_path: sklearn.ensemble.RandomForestClassifier):"
        "\nit prunes per CV fold with tuning.cv_folds, else per training subsample (1/3, then all rows), and takes"
        "\ncategories through onehot or ordinal encoding."
    )
    if show_all:
        from sklearn.utils.discovery import all_estimators

        found = [(f"{cls.__module__.split('._')[0]}.{name}", kind) for kind in ("classifier", "regressor")
                 for name, cls in all_estimators(type_filter=kind)]
        text += "\n\n" + _table([("class_path", "type"), *sorted(found)])
    return text


def metrics() -> str:
    from mmp_assets.catalog.metrics import METRICS, get_metric, metrics_for

    rows = [("metric", "task", "direction", "reads", "what")]
    for metric in [*METRICS.values(), *(get_metric(name, "forecasting") for name in metrics_for("forecasting"))]:
        reads = ("probabilities" if metric.needs_proba else "quantiles" if metric.needs_quantiles
                 else {"classification": "labels", "clustering": "features + cluster ids"}.get(metric.task, "predictions"))
        rows.append((metric.name, metric.task, metric.direction, reads, metric.description))
    return _table(rows) + "\n\ntuning.metric picks one; the direction follows from it. evaluation.metrics adds any of the task's."


def _allowed(annotation) -> str:
    """A field's type as a recipe writer reads it: literal values, alternatives joined by |."""
    import types
    from typing import Literal, Union, get_args, get_origin

    origin = get_origin(annotation)
    if origin is Literal:
        return " | ".join(map(str, get_args(annotation)))
    if origin in (Union, types.UnionType):
        return " | ".join(_allowed(a) for a in get_args(annotation))
    if annotation is type(None):
        return "null"
    if origin is list:
        return f"list[{_allowed(get_args(annotation)[0])}]"
    return getattr(annotation, "__name__", str(annotation))


def _fields(model, prefix: str):
    """(recipe path, allowed values, default, description) for every field of a pydantic model, nested ones walked:
    a list of models as `path[].field`, a list of tagged steps as `path[].op` and then `path[op=<tag>].field`."""
    import types
    from typing import Annotated, Literal, Union, get_args, get_origin

    from pydantic import BaseModel

    def is_model(annotation) -> bool:
        return isinstance(annotation, type) and issubclass(annotation, BaseModel)

    for name, field in model.model_fields.items():
        path, annotation = f"{prefix}.{name}", field.annotation
        if is_model(annotation):
            yield from _fields(annotation, path)
            continue
        item = get_args(annotation)[0] if get_origin(annotation) is list else None
        if is_model(item):
            yield from _fields(item, f"{path}[]")
            continue
        if get_origin(item) is Annotated and get_origin(get_args(item)[0]) in (Union, types.UnionType):
            members = [m for m in get_args(get_args(item)[0]) if is_model(m)]
            tags = [get_args(m.model_fields["op"].annotation)[0] for m in members]
            yield f"{path}[].op", " | ".join(tags), "", field.description or ""
            for member, tag in zip(members, tags, strict=True):
                yield f"{path}[op={tag}]", "", "", (member.__doc__ or "").strip().splitlines()[0]
                for row in _fields(member, f"{path}[op={tag}]"):
                    if not row[0].endswith(".op"):
                        yield row
            continue
        allowed = " | ".join(map(str, get_args(annotation))) if get_origin(annotation) is Literal else _allowed(annotation)
        default = "" if field.is_required() else repr(field.get_default(call_default_factory=True))
        yield path, allowed, default, field.description or ""


def preprocessors() -> str:
    from mmp_assets.recipes.model import ModelRecipe

    rows = [("field", "allowed", "default", "what")]
    rows += list(_fields(ModelRecipe.model_fields["preprocessing"].annotation, "preprocessing"))
    return _table(rows) + "\n\nEvery step is fitted on each trial's training rows only and ships inside the logged model."


def tasks() -> str:
    from mmp_assets.catalog.estimators import LIBRARIES, estimator_task
    from mmp_assets.catalog.metrics import METRICS, get_metric, metrics_for

    blocks = []
    for task in _tasks():
        shown = [f"{name} ({get_metric(name, task).direction[:3]})" for name in metrics_for(task) if not get_metric(name, task).needs_quantiles]
        models = [path for library in LIBRARIES for path, t in library.classes.items() if t == estimator_task(task)]
        if task == "clustering":
            from mmp_assets.catalog.clustering import CLUSTERERS

            models = [f"{path} (new rows: {c.assigns_new_rows})" for path, c in CLUSTERERS.items()]
        extra = "\n  learners: uplift.learner s | t | x over model.class_path (see docs/training.md)" if task == "uplift" else ""
        blocks.append(f"{task}\n  metrics: {', '.join(shown)}\n  first-class models: {', '.join(models)}{extra}")
        if task == "regression":
            from mmp_assets.catalog.quantiles import QUANTILE_ESTIMATORS

            quantile_metrics = ", ".join(f"{m.name} ({m.direction[:3]})" for m in METRICS.values() if m.needs_quantiles)
            blocks.append(f"  model.target_transform: none, log1p, sqrt (labels >= 0)\n"
                          f"  model.quantiles (tune on pinball_loss): {', '.join(QUANTILE_ESTIMATORS)}\n"
                          f"    quantile metrics: {quantile_metrics}")
    return "\n".join(blocks)


def _list(args: argparse.Namespace) -> int:
    printers = {"models": lambda: models(args.all), "metrics": metrics, "preprocessors": preprocessors, "tasks": tasks}
    print(printers[args.what]())
    return 0

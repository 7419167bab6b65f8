"""What an imported estimator class can tell about a recipe before any fit: whether it is a model of the
recipe's task, and whether it accepts the values the recipe gives its parameters (fixed ones, and both
ends of every search range). Asked by `mmp validate` and by the model asset before tuning."""

from __future__ import annotations

import importlib

TASK_TESTS = {"classification": "is_classifier", "regression": "is_regressor"}


def _class(class_path: str):
    module_name, _, attr = class_path.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def task_mismatch(class_path: str, task: str) -> str | None:
    """Why `class_path` cannot serve `task` (a regressor on a classification task), or None.
    Only classes scikit-learn can tell apart are judged; construction only stores arguments."""
    import sklearn.base

    if task not in TASK_TESTS:
        return None
    try:
        instance = _class(class_path)()
    except Exception:  # needs arguments, or cannot be built bare: not something to judge here
        return None
    kinds = {"classification": "classifier", "regression": "regressor"}
    for other, test in TASK_TESTS.items():
        try:
            judged = other != task and getattr(sklearn.base, test)(instance) and not getattr(sklearn.base, TASK_TESTS[task])(instance)
        except Exception:  # tags scikit-learn cannot read
            return None
        if judged:
            return f"{class_path} is a {kinds[other]} but task is {task}; name a {kinds[task]}"
    return None


def value_problems(class_path: str, params: dict, search_space: dict) -> list[tuple[str, str]]:
    """(recipe field, message) per parameter value the estimator refuses, checked without fitting: CatBoost's
    own parameter check, scikit-learn's parameter constraints. Other libraries check at fit time only."""
    short = class_path.rsplit(".", 1)[-1]
    candidates = [(f"model.params.{name}", {name: value}, value) for name, value in params.items()]  # each alone: names the culprit
    for name, spec in search_space.items():
        ends = [(end, getattr(spec, end, None)) for end in ("low", "high")] + [("choices", c) for c in getattr(spec, "choices", None) or []]
        candidates += [(f"model.search_space.{name}.{end}", params | {name: value}, value) for end, value in ends if value is not None]
    problems = []
    for where, values, value in candidates:
        if problems and where.startswith("model.search_space.") and problems[-1][0].startswith("model.params."):
            break  # a range tried with a refused fixed value would only repeat that refusal
        reason = _refusal(class_path, values)
        if reason is not None and not any(field.rsplit(".", 1)[0] == where.rsplit(".", 1)[0] for field, _ in problems):
            problems.append((where, f"{value!r} is not a value {short} takes: {reason}"))
    if not problems and (reason := _refusal(class_path, params)) is not None:  # fine alone, refused together
        problems.append(("model.params", f"{short} refuses these values together: {reason}"))
    return problems


def _refusal(class_path: str, values: dict) -> str | None:
    try:
        instance = _class(class_path)(**values)
    except Exception as exc:
        return _first_line(exc)
    try:
        if class_path.startswith("catboost."):
            from catboost.core import _check_param_types, _check_train_params, _params_type_cast

            found = dict(instance.get_params())
            _check_param_types(found)
            _check_train_params(_params_type_cast(found))
        elif hasattr(instance, "_validate_params") and hasattr(instance, "_parameter_constraints"):  # scikit-learn's own classes
            instance._validate_params()
    except Exception as exc:
        return _first_line(exc)
    return None


def _first_line(exc: Exception) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    # CatBoost prefixes its C++ source position: "catboost/private/libs/options/json_helper.h:41: Can't parse ..."
    head, sep, rest = text.partition(": ")
    return rest if sep and "/" in head and head.split(":")[0].endswith((".h", ".cpp")) else text

"""Estimators a recipe may name: the first-class boosting libraries, and any importable scikit-learn-style class.

A `Library` says what mmp knows about a family of estimators without importing it: its Dagster kind,
which parameter sets the number of boosting rounds (per-round pruning reports against it), and how
it takes categorical columns natively. Anything else with `fit` is a plain scikit-learn-style model.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Library:
    kind: str  # the model asset's Dagster kind, and the pip distribution's import name
    classes: dict[str, str]  # class path → task
    rounds_param: str | None  # constructor argument holding the number of boosting rounds
    rounds_default: int | None
    native_categorical: str  # how `encode: native` hands categorical columns over, for `mmp list`

    @property
    def prunes_per_round(self) -> bool:
        return self.rounds_param is not None


# The kind of estimator a task fits: any regressor forecasts (direct strategy, the step as an input);
# uplift fits a classifier per arm inside a meta-learner.
ESTIMATOR_TASK = {"forecasting": "regression", "uplift": "classification"}


def estimator_task(task: str) -> str:
    """The task the recipe's `model.class_path` must be made for, when the recipe's task is `task`."""
    return ESTIMATOR_TASK.get(task, task)


LIBRARIES: tuple[Library, ...] = (
    Library(
        "catboost",
        {"catboost.CatBoostClassifier": "classification", "catboost.CatBoostRegressor": "regression"},
        "iterations", 1000, "text columns named in cat_features",
    ),
    Library(
        "xgboost",
        {"xgboost.XGBClassifier": "classification", "xgboost.XGBRegressor": "regression"},
        "n_estimators", 100, "pandas category columns, enable_categorical=True",
    ),
    Library(
        "lightgbm",
        {"lightgbm.LGBMClassifier": "classification", "lightgbm.LGBMRegressor": "regression"},
        "n_estimators", 100, "pandas category columns",
    ),
)
SKLEARN = Library("sklearn", {}, None, None, "none: use onehot or ordinal")
NATIVE_CATEGORICAL = tuple(lib.kind for lib in LIBRARIES)  # libraries `preprocessing.categorical.encode: native` works with


def library_of(class_path: str) -> Library:
    """The library behind `class_path`, read from its top-level module alone (no import)."""
    top = class_path.split(".", 1)[0]
    return next((lib for lib in LIBRARIES if lib.kind == top), SKLEARN)


def estimator_kind(class_path: str) -> str:
    """The library a model asset shows as its Dagster kind, read from the class path alone (no import)."""
    return library_of(class_path).kind


def boosting_rounds(class_path: str, params: dict) -> int | None:
    """How many rounds a boosting fit runs with these constructor params; None for models without rounds."""
    library = library_of(class_path)
    if library.rounds_param is None:
        return None
    return int(params.get(library.rounds_param) or library.rounds_default)


def unwrap_fitted(model):
    """The fitted model under scikit-learn's threshold and frozen wrappers, stopping at anything else.

    Only those wrappers are opened: on an ensemble (forest, bagging, AdaBoost) `estimator_` is the
    unfitted template tree, not the model. A calibration wrapper is returned as it is.
    """
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import FixedThresholdClassifier, TunedThresholdClassifierCV

    while True:
        if isinstance(model, (FixedThresholdClassifier, TunedThresholdClassifierCV)):
            model = model.estimator_
        elif isinstance(model, FrozenEstimator):
            model = model.estimator
        else:
            return model


@cache
def estimator_params(class_path: str) -> frozenset[str] | None:
    """Constructor parameter names of `class_path` (None: it takes any); ValueError if it cannot be imported or is no estimator."""
    module_name, _, attr = class_path.rpartition(".")
    if not module_name:
        raise ValueError(f"{class_path!r} is not an import path; write module.Class, such as sklearn.ensemble.RandomForestClassifier")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot import {class_path!r} ({type(exc).__name__}: {exc}); install its package or fix the path") from None
    if not inspect.isclass(cls) or not hasattr(cls, "fit"):
        raise ValueError(f"{class_path!r} is not an estimator class with fit(); use a scikit-learn-style estimator")
    names, open_ended = set(), False
    # XGBClassifier.__init__(objective, **kwargs) forwards to XGBModel.__init__: collect along the MRO
    for klass in cls.__mro__:
        if "__init__" not in vars(klass) or klass is object:
            continue
        params = inspect.signature(klass.__init__).parameters
        names |= {n for n, p in params.items() if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        open_ended = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        if not open_ended:
            break
    if open_ended:
        extra = _native_params(library_of(class_path).kind)
        if extra is None:
            return None
        names |= extra
    return frozenset(names)


def _native_params(kind: str) -> frozenset[str] | None:
    """Parameters a boosting wrapper forwards through **kwargs to its native library, from that library's own list."""
    if kind == "lightgbm":
        try:  # LightGBM's C++ parameter table, every name and alias (private: pinned at 4.7.0)
            from lightgbm.basic import _ConfigAliases

            return frozenset(name for aliases in _ConfigAliases._get_all_param_aliases().values() for name in aliases)
        except (ImportError, AttributeError):  # another LightGBM: accept what it accepts, as for any **kwargs class
            return None
    if kind == "xgboost":
        return frozenset()  # the scikit-learn names only (see docs/decisions.md)
    return None

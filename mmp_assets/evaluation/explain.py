"""SHAP explanations on a bounded sample: TreeExplainer for tree models, Kernel SHAP otherwise.

Tree models are explained on the features they actually see (after the pipeline's preprocessing)
and the values are summed back onto the raw feature each encoded column came from; SHAP values are
additive, so a one-hot feature's contribution is the sum of its columns'. Any other model is
explained model-agnostically on raw rows (Kernel SHAP, categoricals handed over as integer codes):
shap's permutation explainer JIT-compiles numba code for ~20 s in every new process, Kernel SHAP
does not, and with a bounded sample and coalition budget it costs about the same. A tree model SHAP
cannot read natively (AdaBoost, bagging, a multiclass GradientBoostingClassifier) is explained
model-agnostically too, and the explanation says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mmp_assets.catalog.estimators import unwrap_fitted

TREE_MODULES = ("catboost", "sklearn.ensemble", "sklearn.tree", "xgboost", "lightgbm")
BACKGROUND_ROWS = 50  # rows standing for "feature unknown" in the model-agnostic explainer
KERNEL_SAMPLES = 400  # coalitions evaluated per explained row: exact for up to 8 features


@dataclass
class Explanation:
    values: pd.DataFrame  # one row per explained row, one column per raw feature
    rows: pd.DataFrame  # the explained raw rows, same index
    method: str
    note: str | None = None  # why a tree model was explained model-agnostically

    @property
    def importance(self) -> pd.DataFrame:
        """Global mean |SHAP| per raw feature, largest first."""
        mean_abs = self.values.abs().mean().sort_values(ascending=False)
        return pd.DataFrame({"feature": mean_abs.index, "mean_abs_shap": mean_abs.to_numpy()})

    def local(self, row_ids, top: int = 5) -> list[dict]:
        """For each row: its strongest contributions, with the raw value they came from."""
        out = []
        for rid in row_ids:
            contrib = self.values.loc[rid]
            strongest = contrib.abs().sort_values(ascending=False).index[:top]
            out.append({"row": rid, "contributions": [
                {"feature": f, "value": _plain(self.rows.loc[rid, f]), "shap": float(contrib[f])} for f in strongest]})
        return out


def sample_rows(X: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    return X if len(X) <= size else X.sample(size, random_state=seed)


def explain(model, X: pd.DataFrame, task: str, *, categorical: list[str], seed: int = 0) -> Explanation:
    """SHAP values of `model` (a fitted pipeline or estimator) on the rows `X`."""
    parts = _tree_parts(model)
    if parts is not None:
        transform, estimator = parts
        Z = transform(X)
        try:
            raw = _tree_values(estimator, Z)
        except Exception as exc:  # noqa: BLE001 - shap reads only some tree models natively; the rest get Kernel SHAP
            note = f"SHAP cannot read {type(estimator).__name__} natively ({type(exc).__name__}: {exc}); explained model-agnostically"
            return Explanation(_permutation(model, X, task, categorical, seed), X, "kernel", note)
        return Explanation(_to_raw(raw, list(Z.columns), list(X.columns), X.index), X, "tree")
    return Explanation(_permutation(model, X, task, categorical, seed), X, "kernel")


def _tree_parts(model):
    """(transform, tree estimator) when the model's last step is a tree ensemble SHAP reads natively.

    Threshold and frozen wrappers leave probabilities unchanged, so the tree under them is explained;
    a calibrated model's probabilities are not the tree's, so it goes to the model-agnostic explainer.
    """
    steps = getattr(model, "steps", None)
    estimator = _unwrap(steps[-1][1] if steps else model)
    # by the class or what it extends: mmp's label-encoding XGBClassifier is XGBoost's underneath
    if estimator is None or not any(cls.__module__.startswith(TREE_MODULES) for cls in type(estimator).__mro__):
        return None
    if steps and len(steps) > 1:
        head = model[:-1]

        def transform(X):
            Z = head.transform(X)
            if isinstance(Z, pd.DataFrame):
                return Z
            return pd.DataFrame(np.asarray(Z.todense() if hasattr(Z, "todense") else Z),
                                columns=head.get_feature_names_out(), index=X.index)

        return transform, estimator
    return (lambda X: X), estimator


def _unwrap(estimator):
    """The fitted estimator under threshold/frozen wrappers; None under a calibration wrapper."""
    estimator = unwrap_fitted(estimator)
    return None if hasattr(estimator, "calibrated_classifiers_") else estimator


def _tree_values(estimator, Z: pd.DataFrame) -> np.ndarray:
    import shap

    values = shap.TreeExplainer(estimator).shap_values(Z)
    values = np.asarray(values)
    if values.ndim == 3:  # (rows, features, classes): positive class for binary, mean |.| otherwise
        values = values[:, :, 1] if values.shape[2] == 2 else np.abs(values).mean(axis=2)
    return values


def _to_raw(values: np.ndarray, encoded: list[str], raw: list[str], index) -> pd.DataFrame:
    """Sum encoded columns (`num__amount`, `cat__category_food`, `missingindicator_amount`) onto the raw
    feature they came from; a polynomial term (`a b`, `a^2`) is shared equally among its factors."""
    by_length = sorted(raw, key=len, reverse=True)
    out = pd.DataFrame(0.0, index=index, columns=raw)
    for j, name in enumerate(encoded):
        bare = name.split("__", 1)[1] if "__" in name and name.split("__", 1)[1] else name
        bare = bare.removeprefix("missingindicator_") if bare not in raw else bare
        owner = bare if bare in raw else next((r for r in by_length if bare.startswith(r + "_")), None)
        owners = [owner] if owner is not None else _factors(bare, by_length)
        if not owners:
            raise ValueError(f"cannot map encoded feature {name!r} back to a raw feature of {raw}")
        for found in owners:
            out[found] += values[:, j] / len(owners)
    return out


def _factors(term: str, by_length: list[str]) -> list[str] | None:
    """The raw features of a PolynomialFeatures term such as `a b^2` (names may hold spaces), or None."""
    for name in by_length:
        if not term.startswith(name):
            continue
        rest = re.sub(r"^\^\d+", "", term[len(name):])
        if not rest:
            return [name]
        if rest.startswith(" "):
            tail = _factors(rest[1:], by_length)
            if tail:
                return [name, *tail]
    return None


def _permutation(model, X: pd.DataFrame, task: str, categorical: list[str], seed: int) -> pd.DataFrame:
    import shap

    codes = {c: pd.Index(X[c].astype(str).unique()) for c in categorical if c in X.columns}
    numeric = X.copy()
    for c, levels in codes.items():
        numeric[c] = levels.get_indexer(X[c].astype(str)).astype(float)
    numeric = numeric.astype(float)

    def f(Z: np.ndarray) -> np.ndarray:
        rows = pd.DataFrame(Z, columns=X.columns)
        for c, levels in codes.items():
            rows[c] = levels[np.clip(rows[c].round().astype(int), 0, len(levels) - 1)]
        rows = rows.astype({c: X[c].dtype for c in X.columns if c not in codes})
        if task == "classification" and hasattr(model, "predict_proba"):
            proba = np.asarray(model.predict_proba(rows))
            return proba[:, 1] if proba.shape[1] == 2 else proba.max(axis=1)
        return np.asarray(model.predict(rows), dtype=float).ravel()

    background = shap.sample(numeric.to_numpy(), BACKGROUND_ROWS, random_state=seed)
    explainer = shap.KernelExplainer(f, background)
    values = explainer.shap_values(numeric.to_numpy(), nsamples=min(KERNEL_SAMPLES, 2 ** X.shape[1] + 2), silent=True)
    return pd.DataFrame(np.asarray(values), index=X.index, columns=list(X.columns))


def _plain(value):
    return value.item() if hasattr(value, "item") else value

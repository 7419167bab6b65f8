"""The model being served: the registered version behind `champion` (or `candidate` until one is promoted).

Requests are scored through a fast path when the artifact is mmp's `PipelineModel`, without MLflow's per-call
schema enforcement. At load, `training.fast_path.compile_scorer` turns the fitted pipeline into numpy steps
that take the request's columns as they are (no DataFrame per request); for a step it does not know, the
input frame is built in the signature's column order and dtypes and handed to `PipelineModel.predict_frame`.
Any other pyfunc (and every model with `--no-fast-path`) is scored through its ordinary `predict` on that frame.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import mlflow
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient

from mmp_assets.tags import CANDIDATE, CHAMPION, VersionTags

log = logging.getLogger("mmp.serving")

_FLOATS = {"double": np.float64, "float": np.float32}
_EXACT = {"long": np.int64, "integer": np.int32, "boolean": np.bool_}  # only without nulls; else left as objects


@dataclass
class ServedModel:
    """A loaded pyfunc and the facts `/model/metadata` reports about it."""

    name: str
    version: str
    alias: str
    run_id: str
    model: mlflow.pyfunc.PyFuncModel
    input_types: dict[str, str]  # column → MLflow type name (string, double, long, ...), from the signature
    output_types: dict[str, str] = field(default_factory=dict)
    pinned_views: dict[str, int] = field(default_factory=dict)
    fast: Callable[[Mapping[str, Sequence], int], Mapping[str, np.ndarray]] | None = None  # columns, n → outputs
    fast_kind: str | None = None  # "compiled" (numpy steps) or "frame" (predict_frame on the input frame)
    loaded_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def input_columns(self) -> list[str]:
        return list(self.input_types)

    def input_frame(self, columns: Mapping[str, Sequence], n: int) -> pd.DataFrame:
        """The model input in signature order and dtypes (numbers as floats, None as NaN); absent columns are null."""
        data = {}
        for column, kind in self.input_types.items():
            values = columns.get(column, [None] * n)
            if kind in _FLOATS:
                data[column] = np.array(values, dtype=_FLOATS[kind])
            elif kind in _EXACT and None not in values:
                data[column] = np.array(values, dtype=_EXACT[kind])
            else:
                data[column] = np.array(values, dtype=object)
        return pd.DataFrame(data, copy=False)

    def predict_columns(self, columns: Mapping[str, Sequence], n: int) -> dict[str, list]:
        """Output column → JSON-ready values (NaN as None) for `n` rows given as column → values."""
        if self.fast is not None:
            out = self.fast(columns, n)
        else:
            scored = self.model.predict(self.input_frame(columns, n))
            out = scored if isinstance(scored, pd.DataFrame) else {"prediction": np.asarray(scored).reshape(n)}
        return {name: _plain(values) for name, values in out.items()}

    def describe(self) -> dict:
        return {"model": self.name, "version": self.version, "alias": self.alias, "run_id": self.run_id,
                "pinned_views": self.pinned_views, "loaded_at": self.loaded_at,
                "fast_path": self.fast_kind}  # fmt: skip


def _plain(values) -> list:
    out = np.asarray(values).tolist()
    return [None if isinstance(v, float) and math.isnan(v) else v for v in out]


def load_served_model(
    client: MlflowClient, name: str, aliases: tuple[str, ...] = (CHAMPION, CANDIDATE), *, fast_path: bool = True
) -> ServedModel:
    """Load the first version found behind `aliases`, in order; LookupError naming what to do when none exists.
    Without `fast_path`, every request goes through the pyfunc's plain `predict`."""
    from mmp_assets.registry.versions import first_version

    served = first_version(client, name, aliases)
    if served is None:
        raise LookupError(
            f"registered model {name!r} has no version with alias {' or '.join(aliases)}; "
            f"materialize {name}/model (and promote it with `mmp models promote`) first"
        )
    alias, found = served
    if alias != aliases[0]:
        log.warning("mmp serve: %s has no %s version yet; serving %s version %s", name, aliases[0], alias, found.version)
    model = mlflow.pyfunc.load_model(f"models:/{name}/{found.version}")  # the caller activated the registry
    schema = model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        raise ValueError(f"models:/{name}/{found.version} has no named input signature; mmp serve needs the feature columns")
    outputs = model.metadata.get_output_schema()
    served_model = ServedModel(
        name=name,
        version=str(found.version),
        alias=alias,
        run_id=found.run_id,
        model=model,
        input_types={spec.name: spec.type.name for spec in schema.inputs},
        output_types={spec.name: spec.type.name for spec in outputs.inputs} if outputs is not None and outputs.has_input_names() else {},
        pinned_views=VersionTags.of(found).pinned_views or {},
    )
    if fast_path:
        served_model.fast, served_model.fast_kind = fast_scorer(model, served_model)
    return served_model


def fast_scorer(model: mlflow.pyfunc.PyFuncModel, served: ServedModel):
    """(scorer taking column → values and n, "compiled" or "frame"), or (None, None) for the plain `predict`.

    Compiled from the fitted pipeline when every step is one `compile_scorer` knows; else mmp's
    `PipelineModel.predict_frame` on the input frame (models logged before it existed have neither)."""
    try:
        python_model = model.unwrap_python_model()
    except Exception:  # not a PythonModel flavor (e.g. a plain sklearn model): MLflow raises a bare MlflowException
        return None, None
    pipeline, columns, task = (getattr(python_model, a, None) for a in ("pipeline", "feature_columns", "task"))
    if pipeline is not None and columns == served.input_columns:
        from mmp_assets.training.fast_path import compile_scorer

        scorer = compile_scorer(pipeline, columns, task, served.input_types)
        if scorer is not None:
            return scorer, "compiled"
    predict_frame = getattr(python_model, "predict_frame", None)
    if predict_frame is None:
        return None, None
    return (lambda columns, n: predict_frame(served.input_frame(columns, n))), "frame"

"""The model being served: the registered version behind `champion` (or `candidate` until one is promoted).

Requests are scored through a fast path when the artifact offers one (mmp's `PipelineModel.predict_frame`):
the input frame is built once per request in the signature's column order and dtypes, computed at load,
and handed to the fitted pipeline without MLflow's per-call schema enforcement. Any other pyfunc is
scored through its ordinary `predict` on the same frame.
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
    fast: Callable[[pd.DataFrame], Mapping[str, np.ndarray]] | None = None
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
        frame = self.input_frame(columns, n)
        if self.fast is not None:
            out = self.fast(frame)
        else:
            scored = self.model.predict(frame)
            out = scored if isinstance(scored, pd.DataFrame) else {"prediction": np.asarray(scored).reshape(n)}
        return {name: _plain(values) for name, values in out.items()}

    def describe(self) -> dict:
        return {"model": self.name, "version": self.version, "alias": self.alias, "run_id": self.run_id,
                "pinned_views": self.pinned_views, "loaded_at": self.loaded_at,
                "fast_path": self.fast is not None}  # fmt: skip


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
    return ServedModel(
        name=name,
        version=str(found.version),
        alias=alias,
        run_id=found.run_id,
        model=model,
        input_types={spec.name: spec.type.name for spec in schema.inputs},
        output_types={spec.name: spec.type.name for spec in outputs.inputs} if outputs is not None and outputs.has_input_names() else {},
        pinned_views=VersionTags.of(found).pinned_views or {},
        fast=_fast_path(model) if fast_path else None,
    )


def _fast_path(model: mlflow.pyfunc.PyFuncModel):
    """mmp's `PipelineModel.predict_frame` when the artifact has it (models logged before it existed do not)."""
    try:
        python_model = model.unwrap_python_model()
    except Exception:  # not a PythonModel flavor (e.g. a plain sklearn model): MLflow raises a bare MlflowException
        return None
    return getattr(python_model, "predict_frame", None)

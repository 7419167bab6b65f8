"""The model being served: the registered version behind `champion` (or `candidate` until one is promoted)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import mlflow
import pandas as pd
from mlflow.tracking import MlflowClient

from mmp_assets.tags import CANDIDATE, CHAMPION, VersionTags

log = logging.getLogger("mmp.serving")

_FLOATS = {"double": "float64", "float": "float32"}


@dataclass
class ServedModel:
    """A loaded pyfunc and the facts `/version` reports about it."""

    name: str
    version: str
    alias: str
    run_id: str
    model: mlflow.pyfunc.PyFuncModel
    input_types: dict[str, str]  # column → MLflow type name (string, double, long, ...), from the signature
    pinned_views: dict[str, int] = field(default_factory=dict)

    @property
    def input_columns(self) -> list[str]:
        return list(self.input_types)

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """Outputs of the pyfunc on the input columns, cast to the signature's types first (MLflow will
        not widen int64 to double itself, and JSON numbers arrive as whichever they happen to be)."""
        frame = features[self.input_columns].copy()
        for column, kind in self.input_types.items():
            if kind in _FLOATS:
                frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(_FLOATS[kind])
        out = self.model.predict(frame)
        return out if isinstance(out, pd.DataFrame) else pd.DataFrame({"prediction": list(out)})

    def describe(self) -> dict:
        return {"model": self.name, "version": self.version, "alias": self.alias, "run_id": self.run_id,
                "pinned_views": self.pinned_views, "input_columns": self.input_columns}  # fmt: skip


def load_served_model(client: MlflowClient, name: str, aliases: tuple[str, ...] = (CHAMPION, CANDIDATE)) -> ServedModel:
    """Load the first version found behind `aliases`, in order; LookupError naming what to do when none exists."""
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
    return ServedModel(
        name=name,
        version=str(found.version),
        alias=alias,
        run_id=found.run_id,
        model=model,
        input_types={spec.name: spec.type.name for spec in schema.inputs},
        pinned_views=VersionTags.of(found).pinned_views or {},
    )

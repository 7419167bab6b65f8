"""What requests are answered with, and the poller that swaps it when the served alias moves.

A request reads `state.current` once and uses that model, feature source and request schema to the
end, so a reload in the middle of a request never mixes two versions. The poller loads a new version
beside the old one and replaces `current` in one assignment; if loading fails, the old one stays.
"""

from __future__ import annotations

import gc
import logging
import threading
from dataclasses import dataclass

from mlflow.tracking import MlflowClient
from pydantic import BaseModel

from mmp_assets.serving.features import FeatureSource
from mmp_assets.serving.metrics import ServingMetrics
from mmp_assets.serving.model import ServedModel, load_served_model
from mmp_assets.serving.schema import request_model

log = logging.getLogger("mmp.serving")


@dataclass(frozen=True)
class Served:
    """One consistent answer set: a model version, its feature source and the request schema built from both."""

    model: ServedModel
    features: FeatureSource
    request: type[BaseModel]

    @classmethod
    def of(cls, model: ServedModel, features: FeatureSource) -> Served:
        schema = request_model(features.recipe, features.entity_fields, model.input_types, features.feature_columns)
        return cls(model, features, schema)


class ServingState:
    """The current `Served`, replaced by `poll()` when the registry alias points elsewhere."""

    def __init__(
        self, served: Served, client: MlflowClient, aliases: tuple[str, ...], interval_s: float, metrics: ServingMetrics,
        *, fast_path: bool = True,
    ):  # fmt: skip
        self.current, self.client, self.aliases, self.interval_s, self.metrics = served, client, aliases, interval_s, metrics
        self.fast_path = fast_path
        # `mmp serve` sets it: after a load, the loaded objects leave the cycle collector's reach (`freeze_gc`)
        self.freeze_gc = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        metrics.serving(served.model.name, served.model.alias, served.model.version)

    def poll(self) -> bool:
        """Check the alias and the feature store once; True when the model version changed."""
        from mmp_assets.registry.versions import first_version

        current = self.current
        if current.features.refresh():
            self.metrics.reloads.labels("features", "ok").inc()
            self._freeze()
        found = first_version(self.client, current.model.name, self.aliases)
        if found is None or (found[0], str(found[1].version)) == (current.model.alias, current.model.version):
            return False
        try:
            model = load_served_model(self.client, current.model.name, self.aliases, fast_path=self.fast_path)
            served = Served.of(model, current.features)
        except Exception:  # any failure to load keeps the version that works
            log.exception("mmp serve: could not load %s %s version %s; still serving version %s",
                          current.model.name, found[0], found[1].version, current.model.version)  # fmt: skip
            self.metrics.reloads.labels("model", "failed").inc()
            return False
        self.current = served
        self._freeze()
        self.metrics.serving(model.name, model.alias, model.version)
        self.metrics.reloads.labels("model", "ok").inc()
        log.warning("mmp serve: %s now serves version %s (%s), was %s", model.name, model.version, model.alias, current.model.version)
        return True

    def _freeze(self) -> None:
        if self.freeze_gc:
            freeze_gc()

    def start(self) -> None:
        if self.interval_s <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="mmp-serve-reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.poll()
            except Exception:  # a registry or store hiccup must not end the poller
                log.exception("mmp serve: reload check failed; trying again in %s s", self.interval_s)
                self.metrics.reloads.labels("check", "failed").inc()


def freeze_gc() -> None:
    """Move every object alive now out of the cycle collector's generations (`gc.freeze`).

    A served model and the feature snapshot are hundreds of thousands of long-lived objects; a full
    collection walks them all (about 0.6 s measured with the demo loaded), stalling whichever request
    triggers it. Frozen objects are still freed by reference counting when a reload drops them; only
    cyclic garbage alive at the moment of freezing stays, once per reload.
    """
    gc.freeze()

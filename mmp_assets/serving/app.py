"""A thin ASGI app around the served pyfunc: `/health`, `/version`, `/predict`.

Kept free of `from __future__ import annotations`: FastAPI reads the request model, which is built
per recipe at start-up, from the endpoint's annotation.
"""

import math

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from mmp_assets.serving.features import OnlineFeatures
from mmp_assets.serving.model import ServedModel
from mmp_assets.serving.schema import problems, request_model


def create_app(served: ServedModel, features: OnlineFeatures) -> FastAPI:
    """The scoring app of one recipe: its request schema comes from the recipe's spine and the model's signature."""
    recipe = features.recipe
    view_columns = frozenset(name for lookup in features.lookups for name in lookup.columns)
    Request = request_model(recipe, features.entity_fields, served.input_types, view_columns)
    app = FastAPI(title=f"mmp serve {recipe.name}", version=served.version, docs_url="/docs", redoc_url=None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"error": "invalid request", "problems": problems(exc.errors())})

    @app.get("/health")
    def health() -> JSONResponse:
        try:
            features.store.ping()
        except Exception as exc:  # redis raises several connection error types
            return JSONResponse(status_code=503, content={"status": "unavailable", "online_store": str(exc)})
        return JSONResponse({"status": "ok", "model": served.name, "version": served.version})

    @app.get("/version")
    def version() -> dict:
        from mmp_assets.online.read import current_version

        online = {lu.view.name: current_version(features.store, lu.view.name) for lu in features.lookups}
        return {**served.describe(), "online_feature_versions": online}

    def predict(payload: Request) -> JSONResponse:  # type: ignore[valid-type]
        rows = [row.model_dump() for row in payload.rows]
        try:
            frame, missing, versions = features.frame(rows)
        except RedisError as exc:
            return JSONResponse(status_code=503, content={"error": "online store unavailable", "detail": str(exc)})
        scored = served.predict(frame).to_dict(orient="records")
        predictions = [{**_plain(out), "missing_features": gone} for out, gone in zip(scored, missing, strict=True)]
        return JSONResponse({"model": served.name, "version": served.version, "alias": served.alias,
                             "feature_versions": versions, "predictions": predictions})  # fmt: skip

    app.post("/predict")(predict)
    return app


def _plain(record: dict) -> dict:
    out = {}
    for key, value in record.items():
        value = value.item() if hasattr(value, "item") else value
        out[key] = None if isinstance(value, float) and math.isnan(value) else value
    return out

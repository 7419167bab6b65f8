"""A thin ASGI app around the served pyfunc.

`/health` (alive), `/ready` (model loaded and features readable), `/predict`, `/model/metadata`,
`/model/schema`, `/metrics` (Prometheus). Every response carries `X-Request-ID` (the client's, when it
sent a sane one). The request body is validated against the schema of the version being served now,
so a reload that changes the model's inputs changes what `/predict` accepts without a restart.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.datastructures import MutableHeaders

from mmp_assets.serving.metrics import ServingMetrics
from mmp_assets.serving.schema import problems, summary
from mmp_assets.serving.state import Served, ServingState

log = logging.getLogger("mmp.serving")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")


def create_app(state: ServingState) -> FastAPI:
    """The scoring app of one recipe; `state` holds what requests are answered with and reloads it."""
    metrics = state.metrics

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        state.start()
        try:
            yield
        finally:
            state.stop()

    recipe = state.current.features.recipe
    app = FastAPI(title=f"mmp serve {recipe.name}", docs_url="/docs", redoc_url=None, lifespan=lifespan)
    app.add_middleware(RequestObserver, metrics=metrics)

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    @app.get("/ready")
    def ready() -> JSONResponse:
        served = state.current
        problem = served.features.problem()
        if problem:
            return JSONResponse(status_code=503, content={"status": "unavailable", "error": problem})
        return JSONResponse({"status": "ready", "model": served.model.name, "version": served.model.version})

    @app.get("/model/metadata")
    def metadata() -> dict:
        served = state.current
        features = {"source": served.features.kind, "versions": served.features.versions()}
        return {**served.model.describe(), "recipe": recipe.name, "features": features, "reload_interval_s": state.interval_s}

    @app.get("/model/schema")
    def schema() -> dict:
        served = state.current
        return {
            "model": served.model.name,
            "version": served.model.version,
            "request": served.request.model_json_schema(),
            "inputs": served.model.input_types,
            "outputs": served.model.output_types,
            "features": {lu.view.name: list(lu.columns) for lu in served.features.lookups},
        }

    @app.get("/metrics")
    def prometheus() -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    @app.post("/predict", openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}})
    async def predict(request: Request) -> JSONResponse:
        served = state.current  # one version for the whole request, whatever a reload does meanwhile
        body = await request.body()
        try:
            payload = served.request.model_validate_json(body)
        except ValidationError as exc:
            return _invalid(problems(exc))
        rows = [row.model_dump(exclude_unset=True) for row in payload.rows]
        missing_ids = served.features.entity_problems(rows)
        if missing_ids:
            return _invalid(missing_ids)
        if served.features.kind == "redis":  # network I/O: keep the event loop free for other requests
            from starlette.concurrency import run_in_threadpool

            return await run_in_threadpool(_score, served, rows, metrics)
        return _score(served, rows, metrics)

    return app


def _score(served: Served, rows: list[dict], metrics: ServingMetrics) -> JSONResponse:
    from redis.exceptions import RedisError

    try:
        frame = served.features.frame(rows)
        outputs = served.model.predict_columns(frame.columns, len(rows))
    except RedisError as exc:
        return JSONResponse(status_code=503, content={"error": f"online store unavailable: {exc}"})
    except Exception as exc:  # the model's own failure: the client gets one line, the log the traceback
        log.exception("mmp serve: scoring %d rows with %s version %s failed", len(rows), served.model.name, served.model.version)
        return JSONResponse(status_code=500, content={"error": f"scoring failed ({type(exc).__name__}); see the server log"})
    names = list(outputs)
    predictions = [
        {**{name: outputs[name][i] for name in names}, "missing_features": frame.missing[i]} for i in range(len(rows))
    ]
    metrics.rows.inc(len(rows))
    return JSONResponse({"model": served.model.name, "version": served.model.version, "alias": served.model.alias,
                         "feature_versions": frame.versions, "predictions": predictions})  # fmt: skip


def _invalid(found: list[dict[str, str]]) -> JSONResponse:
    return JSONResponse(status_code=422, content={"error": summary(found), "problems": found})


class RequestObserver:
    """ASGI middleware: an `X-Request-ID` on every response, and its count and latency in the metrics.

    Plain ASGI rather than `@app.middleware("http")`, which streams every response through an extra task.
    """

    def __init__(self, app, metrics: ServingMetrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = sent if _REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        started, status = time.perf_counter(), 500

        async def send_with_id(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.metrics.observe(scope["path"], status, time.perf_counter() - started)

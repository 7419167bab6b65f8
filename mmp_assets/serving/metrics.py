"""Prometheus metrics of one scoring server, in their own registry (several apps can live in one process)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# one-row scoring sits in the low milliseconds; the tail up to seconds shows a stalled store
_BUCKETS = (0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
ENDPOINTS = ("/predict", "/health", "/ready", "/metrics", "/model/metadata", "/model/schema")


class ServingMetrics:
    """Request counts and latency per endpoint, rows scored, the version served, reloads."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "mmp_serve_requests", "HTTP requests answered, by endpoint and status code.", ["endpoint", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "mmp_serve_request_duration_seconds", "Time from request to response, by endpoint.", ["endpoint"],
            buckets=_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.rows = Counter("mmp_serve_rows_scored", "Rows scored by /predict.", registry=self.registry)
        self.model_version = Gauge(
            "mmp_serve_model_version", "Registered model version being served (1 series: the current one).", ["model", "alias"],
            registry=self.registry,
        )  # fmt: skip
        self.reloads = Counter(
            "mmp_serve_reloads", "Reloads of the model or the features, by what and outcome.", ["what", "outcome"], registry=self.registry
        )

    def observe(self, path: str, status: int, seconds: float) -> None:
        endpoint = path if path in ENDPOINTS else "other"  # a label per unknown path would grow without bound
        self.requests.labels(endpoint, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)

    def serving(self, model: str, alias: str, version: str) -> None:
        self.model_version.clear()
        self.model_version.labels(model, alias).set(float(version))

    def render(self) -> bytes:
        return generate_latest(self.registry)

"""Prometheus metrics: per-stage latency, results by status, queue depth, HTTP traffic."""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ..records import ImageRecord

_STAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _StateCollector(Collector):
    """Gauges read from the database at scrape time, so every server reports the shared truth."""

    def __init__(self, counts_by_status: Callable[[], dict[str, int]], queue_depth: Callable[[], dict[str, int]]):
        self._status, self._queue = counts_by_status, queue_depth

    def collect(self):
        images = GaugeMetricFamily("snapscribe_images", "Stored results by status", labels=["status"])
        for status, n in sorted(self._status().items()):
            images.add_metric([status], n)
        yield images
        depth = self._queue()
        queue = GaugeMetricFamily(
            "snapscribe_queue_depth",
            "Jobs waiting or being processed",
            value=depth.get("pending", 0) + depth.get("running", 0),
        )
        yield queue
        jobs = GaugeMetricFamily("snapscribe_jobs", "Jobs in the embedded queue by state", labels=["state"])
        for state, n in sorted(depth.items()):
            jobs.add_metric([state], n)
        yield jobs


class Metrics:
    """One registry per app, so several apps in one process (tests) don't collide."""

    def __init__(self, counts_by_status: Callable[[], dict[str, int]], queue_depth: Callable[[], dict[str, int]]):
        self.registry = CollectorRegistry()
        self.stage = Histogram(
            "snapscribe_stage_seconds",
            "Pipeline stage latency",
            ["stage"],
            buckets=_STAGE_BUCKETS,
            registry=self.registry,
        )
        self.image = Histogram(
            "snapscribe_image_seconds",
            "Total pipeline time per processed image",
            buckets=_STAGE_BUCKETS,
            registry=self.registry,
        )
        self.processed = Counter(
            "snapscribe_jobs_processed",
            "Jobs finished by this server, by result status",
            ["status"],
            registry=self.registry,
        )
        self.uploads = Counter("snapscribe_uploads", "Upload requests by outcome", ["outcome"], registry=self.registry)
        self.requests = Counter(
            "snapscribe_http_requests", "HTTP requests", ["method", "route", "code"], registry=self.registry
        )
        self.latency = Histogram(
            "snapscribe_http_request_seconds", "HTTP request latency", ["method", "route"], registry=self.registry
        )
        self.registry.register(_StateCollector(counts_by_status, queue_depth))

    def observe_record(self, rec: ImageRecord) -> None:
        self.processed.labels(rec.status.value).inc()
        if rec.cached:
            return
        for stage, ms in rec.timings_ms.items():
            self.stage.labels(stage).observe(ms / 1000.0)
        self.image.observe(sum(rec.timings_ms.values()) / 1000.0)


class HttpMetricsMiddleware:
    """Pure ASGI middleware (does not touch the request body, so uploads still stream)."""

    def __init__(self, app, metrics: Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        code = {"status": 500}

        async def _send(message):
            if message["type"] == "http.response.start":
                code["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            method, path = metric_labels(scope)
            self.metrics.requests.labels(method, path, str(code["status"])).inc()
            self.metrics.latency.labels(method, path).observe(time.perf_counter() - start)


# Label values are a closed set, whatever clients send: a method outside this table is "other",
# a path is its route template ("/v1/images/{image_id}"), "/static" or "other" — never the raw path.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def metric_labels(scope) -> tuple[str, str]:
    """(method, route) labels for a request: bounded cardinality."""
    method = scope.get("method", "")
    route = getattr(scope.get("route"), "path", None)
    if not isinstance(route, str):
        route = "/static" if scope.get("path", "").startswith("/static/") else "other"
    return (method if method in KNOWN_METHODS else "other"), route

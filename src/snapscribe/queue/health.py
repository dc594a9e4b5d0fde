"""A worker's health endpoint: ``/livez``, ``/readyz`` and Prometheus ``/metrics`` on a small HTTP server.

The worker's loop publishes a :class:`HealthState` snapshot (replaced whole, so readers on
the server thread never see half an update); the server only reads it.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOOP_STALL_S = 30.0  # a loop that has not turned for this long is not alive


@dataclass(frozen=True)
class HealthState:
    """What the worker loop last reported about itself."""

    started: bool = False
    stopping: bool = False
    loop_at: float = field(default_factory=time.monotonic)
    assigned: tuple[int, ...] = ()
    lag: dict[int, int] = field(default_factory=dict)
    group_lag: int | None = None  # whole topic minus the group's commits, measured while unassigned
    in_flight: int = 0
    last_commit_at: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    conditions: dict[str, float] = field(default_factory=dict)  # fatal condition -> since (monotonic)

    def alive(self, now: float) -> bool:
        return now - self.loop_at < LOOP_STALL_S

    def ready(self, now: float) -> bool:
        return self.started and not self.stopping and not self.conditions and self.alive(now)

    def as_json(self, now: float) -> dict:
        return {
            "alive": self.alive(now),
            "ready": self.ready(now),
            "assigned": list(self.assigned),
            "lag": sum(self.lag.values()) if self.assigned else self.group_lag,
            "lag_by_partition": self.lag,
            "in_flight": self.in_flight,
            "last_commit_age_s": None if self.last_commit_at is None else round(now - self.last_commit_at, 3),
            "dead_letters": self.counts.get("dead_letters", 0),
            "processed": self.counts.get("processed", 0),
            "fatal_conditions": {k: round(now - v, 3) for k, v in self.conditions.items()},
        }


def prometheus_text(state: HealthState, worker: str, now: float) -> str:
    """The state as Prometheus text exposition (a fixed set of series; partitions are the only label)."""
    w = worker.replace("\\", "\\\\").replace('"', '\\"')
    lines = []

    def metric(name: str, kind: str, help_: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {help_}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            lines.append(f'{name}{{worker="{w}"{labels}}} {value}')

    metric(
        "snapscribe_worker_up",
        "gauge",
        "1 while the loop turns and no fatal condition holds",
        [("", 1 if state.ready(now) else 0)],
    )
    metric(
        "snapscribe_worker_assigned_partitions",
        "gauge",
        "partitions assigned to this worker",
        [("", len(state.assigned))],
    )
    metric(
        "snapscribe_worker_lag",
        "gauge",
        "messages not yet finished, per assigned partition",
        [(f',partition="{p}"', n) for p, n in sorted(state.lag.items())],
    )
    if state.group_lag is not None:
        metric(
            "snapscribe_worker_group_lag",
            "gauge",
            "whole-topic lag seen by an unassigned worker",
            [("", state.group_lag)],
        )
    metric("snapscribe_worker_in_flight", "gauge", "messages being processed", [("", state.in_flight)])
    if state.last_commit_at is not None:
        metric(
            "snapscribe_worker_last_commit_age_seconds",
            "gauge",
            "seconds since offsets were last committed",
            [("", round(now - state.last_commit_at, 3))],
        )
    for key, name in (
        ("processed", "processed"),
        ("dead_letters", "dead_letters"),
        ("retries", "retries"),
        ("transient_errors", "transient_errors"),
    ):
        metric(
            f"snapscribe_worker_{name}_total",
            "counter",
            f"messages {name.replace('_', ' ')}",
            [("", state.counts.get(key, 0))],
        )
    metric(
        "snapscribe_worker_fatal_condition_seconds",
        "gauge",
        "how long each fatal condition has lasted",
        [(f',condition="{k}"', round(now - v, 3)) for k, v in sorted(state.conditions.items())],
    )
    return "\n".join(lines) + "\n"


class HealthServer:
    """Serves the latest :class:`HealthState` on ``host:port`` from a daemon thread."""

    def __init__(self, host: str, port: int, worker: str):
        self.state = HealthState()
        self.worker = worker
        outer = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 5  # a slow client cannot hold a thread

            def do_GET(self) -> None:
                now, state = time.monotonic(), outer.state
                if self.path == "/metrics":
                    self._send(200, prometheus_text(state, outer.worker, now), "text/plain; version=0.0.4")
                elif self.path in ("/livez", "/readyz"):
                    ok = state.alive(now) if self.path == "/livez" else state.ready(now)
                    self._send(200 if ok else 503, json.dumps(state.as_json(now)), "application/json")
                else:
                    self._send(
                        404,
                        json.dumps({"error": {"code": "not_found", "message": self.path[:100]}}),
                        "application/json",
                    )

            def _send(self, status: int, body: str, ctype: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.httpd.timeout = 5
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="snapscribe-health", daemon=True)

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

"""Structured worker logs: one JSON object per line, and the counters progress lines report."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import IO, Any

from ..logs import context_fields


class EventLog:
    """Writes ``{"ts", "event", "worker", ...}`` lines to a stream (stderr by default)."""

    def __init__(self, worker: str, stream: IO[str] | None = None):
        self.worker = worker
        self.stream = stream or sys.stderr
        self._lock = threading.Lock()

    def emit(self, event: str, **fields: Any) -> None:
        line = json.dumps(
            {
                "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "event": event,
                "worker": self.worker,
                **context_fields(),
                **fields,
            },
            default=str,
        )
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()


class Stats:
    """Thread-safe counters with throughput over the last interval and overall."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.first_at: float | None = None
        self.last_done_at: float | None = None
        self._mark_at = time.monotonic()
        self._mark_done = 0

    def add(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.counts[key] += n
            now = time.monotonic()
            if self.first_at is None:
                self.first_at = now
            if key == "processed":
                self.last_done_at = now

    def snapshot(self) -> dict[str, Any]:
        """Counters plus ``rate`` (img/s since the last snapshot) and ``rate_avg`` (first message to last result)."""
        with self._lock:
            now = time.monotonic()
            done = self.counts["processed"]
            rate = (done - self._mark_done) / max(now - self._mark_at, 1e-9)
            self._mark_at, self._mark_done = now, done
            span = (self.last_done_at or 0.0) - (self.first_at or 0.0)
            avg = done / span if span > 0 else 0.0
            return {**dict(self.counts), "rate": round(rate, 2), "rate_avg": round(avg, 2)}


class _EventHandler(logging.Handler):
    def __init__(self, events: EventLog, event: str, level: int = logging.INFO):
        super().__init__(level)
        self.events = events
        self.event = event

    def emit(self, record: logging.LogRecord) -> None:
        fields = {"level": record.levelname.lower(), "message": record.getMessage()}
        if self.event == "log":
            fields["logger"] = record.name
        if record.exc_info:
            fields["exception"] = logging.Formatter().formatException(record.exc_info)[-2000:]
        self.events.emit(self.event, **fields)


def json_logging(events: EventLog) -> None:
    """Route Python logging (e.g. the pipeline's warnings) into ``log`` JSON lines, at the root's level."""
    logging.getLogger().handlers = [_EventHandler(events, "log", logging.NOTSET)]


def kafka_logger(events: EventLog) -> logging.Logger:
    """A logger for librdkafka's ``logger`` setting: its messages become ``kafka_log`` JSON lines."""
    logger = logging.getLogger(f"snapscribe.kafka.{events.worker}")
    logger.handlers = [_EventHandler(events, "kafka_log")]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger

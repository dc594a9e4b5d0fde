"""Structured logs: one JSON object per line, carrying the request or job it belongs to.

``request_id`` is set by the HTTP service per request (from a valid ``X-Request-ID`` header,
else made up) and ``job_id`` by whoever processes an image (the server's job workers, the
Kafka worker's handler); every log record written meanwhile carries them.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("snapscribe_request_id", default=None)
job_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("snapscribe_job_id", default=None)

_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def new_request_id(offered: str | None = None) -> str:
    """The client's ``X-Request-ID`` when it is short and plain, else a fresh one."""
    return offered if offered and _CLIENT_ID.match(offered) else uuid.uuid4().hex[:16]


def context_fields() -> dict[str, str]:
    fields = {}
    if (rid := request_id.get()) is not None:
        fields["request_id"] = rid
    if (jid := job_id.get()) is not None:
        fields["job_id"] = jid
    return fields


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", "request_id"?, "job_id"?, "exception"?, ...extra}``."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **context_fields(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)[-4000:]
        return json.dumps(out, default=str)


def uvicorn_log_config(level: str) -> dict[str, Any]:
    """A ``logging.config`` dict that makes uvicorn, snapscribe and everything else log JSON lines on stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            name: {"handlers": [], "level": level.upper(), "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }

"""Request ids and one structured log line per request (``logger snapscribe.http``, event ``request``)."""

from __future__ import annotations

import logging
import time

from ..logs import new_request_id, request_id
from .metrics import metric_labels

log = logging.getLogger("snapscribe.http")


class RequestLogMiddleware:
    """Pure ASGI: sets ``request_id`` for everything the request logs, echoes it as ``X-Request-ID``,
    and logs method, route template, status and duration when the response is done."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-request-id"), None)
        rid = new_request_id(offered)
        token = request_id.set(rid)
        start = time.perf_counter()
        status = {"code": 500}

        async def _send(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            method, route = metric_labels(scope)
            client = scope.get("client")
            log.info(
                "%s %s %s",
                method,
                route,
                status["code"],
                extra={
                    "fields": {
                        "event": "request",
                        "method": method,
                        "route": route,
                        "status": status["code"],
                        "ms": round((time.perf_counter() - start) * 1000, 1),
                        "client": client[0] if client else None,
                    }
                },
            )
            request_id.reset(token)

"""Connection limits for ``snapscribe serve``: how long a client may take to send its request.

uvicorn's h11 protocol starts no timer until a first response is sent, so a client that
connects and sends half a request head would hold its socket forever. :func:`guarded_h11`
arms a deadline when the connection opens and again after each response; if no complete
request head has arrived by then, the connection is closed. Slow bodies are the app's
business (:func:`~snapscribe.server.uploads.receive` answers 408).
"""

from __future__ import annotations

from typing import Any

from ..config import ServerConfig


def guarded_h11(header_timeout_s: float) -> type:
    """uvicorn's H11Protocol with a request-head deadline."""
    import asyncio

    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm_head_timer()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            super().connection_lost(exc)

        def _arm_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            if not self.transport.is_closing():
                self._head_timer = self.loop.call_later(header_timeout_s, self._head_deadline)

        def _head_deadline(self) -> None:
            waiting_for_head = self.cycle is None or self.cycle.response_complete
            if waiting_for_head and not self.transport.is_closing():
                self.timeout_keep_alive_handler()  # sends ConnectionClosed and closes the transport

    return GuardedH11Protocol


def uvicorn_options(cfg: ServerConfig) -> dict[str, Any]:
    """uvicorn.run keyword arguments for the configured limits."""
    return {
        "http": guarded_h11(cfg.header_timeout_s),
        "timeout_keep_alive": max(1, round(cfg.keep_alive_s)),
        "h11_max_incomplete_event_size": cfg.max_header_bytes,
    }

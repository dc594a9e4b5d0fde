"""API errors: one JSON shape, ``{"error": {"code", "message"}}``, for every failure."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..store.db import is_storage_failure

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Raised by handlers and dependencies; rendered by :func:`install_handlers`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        image_id: str | None = None,
    ):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.image_id = image_id


def storage_error(exc: BaseException) -> ApiError:
    """507 for a full or read-only disk under the data dir or database (nothing was stored)."""
    return ApiError(
        507,
        "insufficient_storage",
        f"the server cannot store this upload now ({exc}); nothing was kept, try again later",
        headers={"Retry-After": "60"},
    )


def error_body(code: str, message: str, image_id: str | None = None) -> dict:
    body: dict = {"error": {"code": code, "message": message}}
    if image_id:
        body["id"] = image_id
    return body


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "file_too_large",
    422: "invalid_request",
    408: "request_timeout",
    429: "rate_limited",
}


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message, exc.image_id), status_code=exc.status, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        return JSONResponse(error_body("invalid_request", problems or "invalid request"), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        if is_storage_failure(exc):  # the server's disk, not the request: the client may try later
            log.error("storage failure: %s: %s", type(exc).__name__, exc)
            err = storage_error(exc)
            return JSONResponse(error_body(err.code, err.message), status_code=err.status, headers=err.headers)
        log.error("unhandled %s: %s", type(exc).__name__, exc, exc_info=exc)
        return JSONResponse(error_body("internal_error", "the server failed on this request"), status_code=500)

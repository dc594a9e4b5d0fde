"""The ASGI app: routes for uploads, results, search, review, metrics, health, docs and the web page."""

from __future__ import annotations

import asyncio
import functools
import re
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..config import TONES, Settings
from ..records import ImageRecord, Status
from .auth import Principal
from .errors import ApiError, install_handlers
from .metrics import HttpMetricsMiddleware
from .requestlog import RequestLogMiddleware
from .roles import REVIEWERS, require_reviewer, sees_all
from .schemas import (
    AuditEntry,
    ErrorResponse,
    Health,
    ImageList,
    JobInfo,
    ReviewRequest,
    ReviewResult,
    SearchHit,
    SearchResults,
    UploadAccepted,
    Whoami,
)
from .service import PipelineFactory, Service, requested_tone
from .uploads import receive

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
_ID = re.compile(r"^[0-9a-f]{24}$")
MAX_OFFSET = 10**9  # paging further is a client bug; larger values overflow the database's integers
# Intake failures are the client's fault (422); other error records are ours.
INTAKE_CODES = {
    "empty_file",
    "file_too_large",
    "not_an_image",
    "unsupported_format",
    "truncated_image",
    "corrupt_image",
    "decompression_bomb",
    "dimensions_too_large",
    "image_too_small",
    "unreadable_file",
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "missing or unknown API key"},
    429: {"model": ErrorResponse, "description": "rate limit exceeded (see Retry-After)"},
}
_FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {
        "model": ErrorResponse,
        "description": "the key's role may not do this (uploader keys: no review; nobody reviews their own upload)",
    }
}

_bearer = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer KEY`")


def _service(request: Request) -> Service:
    return request.app.state.service


def require_key(request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    """Authenticate the caller and charge one request to its rate limit."""
    header = f"Bearer {creds.credentials}" if creds else request.headers.get("authorization")
    return _service(request).authenticate(header)


Caller = Annotated[Principal, Depends(require_key)]


def _check_id(image_id: str) -> str:
    if not _ID.match(image_id):
        raise ApiError(404, "not_found", f"no image {image_id[:64]}")
    return image_id


def create_app(
    settings: Settings, *, api_keys: str | list[str] | None = None, pipeline_factory: PipelineFactory | None = None
) -> FastAPI:
    """Build the app; workers start with the app's lifespan and stop (handing jobs back) with it."""
    service = Service(settings, api_keys=api_keys, pipeline_factory=pipeline_factory)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        service.start()
        try:
            yield
        finally:
            await run_in_threadpool(service.stop)

    app = FastAPI(
        title="snapscribe",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="Safe, grounded captions, tags and hashtags for photo uploads. "
        "Authenticate with `Authorization: Bearer KEY`.",
    )
    app.state.service = service
    install_handlers(app)
    app.add_middleware(HttpMetricsMiddleware, metrics=service.metrics)
    app.add_middleware(RequestLogMiddleware)
    _routes(app, service)
    _web(app)
    return app


def _routes(app: FastAPI, svc: Service) -> None:
    cap = svc.upload_cap

    @app.post(
        "/v1/images",
        status_code=202,
        response_model=UploadAccepted,
        tags=["images"],
        responses={
            **_ERRORS,
            400: {"model": ErrorResponse},
            413: {"model": ErrorResponse},
            422: {
                "model": ErrorResponse,
                "description": "not a usable image; `error.code` is the CLI's intake error code",
            },
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {"type": "string", "format": "binary"},
                                "tone": {"type": "string", "enum": list(TONES)},
                            },
                        }
                    },
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        },
    )
    async def upload_image(
        request: Request,
        who: Caller,
        wait: Annotated[float, Query(ge=0, description="block up to this many seconds for the result")] = 0,
        name: Annotated[str | None, Query(max_length=200, description="display name for a raw-bytes upload")] = None,
        tone: Annotated[
            str | None,
            Query(max_length=40, description=f"caption tone: {', '.join(TONES)} (default: the configured one)"),
        ] = None,
    ) -> JSONResponse:
        """Upload one image (multipart field `file`, or the raw bytes). Same bytes → same id, no reprocessing
        (except a captioned result asked for in another `tone`: captioned again in that tone)."""
        srv = svc.settings.server
        requested_tone(tone, None)  # a bad query tone fails before the body is read
        received = await receive(
            request, tmp=svc.blobs.new_temp(), cap=cap, name=name, idle_s=srv.body_idle_s, total_s=srv.body_timeout_s
        )
        try:
            chosen = requested_tone(tone, received.fields.get("tone"))
            accepted = await run_in_threadpool(svc.submit, received, who, chosen)
        finally:
            received.discard()
        deadline = time.monotonic() + min(wait, svc.settings.server.max_wait_s)
        delay = 0.05
        while accepted.record is None and time.monotonic() < deadline:
            await asyncio.sleep(min(delay, max(deadline - time.monotonic(), 0)))
            delay = min(delay * 1.5, 0.5)
            rec, job = await run_in_threadpool(svc.state_of, accepted.id)
            if rec is not None:
                accepted = accepted.model_copy(update={"status": rec.status.value, "record": rec})
            elif job is not None:
                accepted = accepted.model_copy(update={"status": job.status.value})
        rec = accepted.record
        if rec is not None and rec.status is Status.error and rec.error and rec.error.code in INTAKE_CODES:
            raise ApiError(
                413 if rec.error.code == "file_too_large" else 422, rec.error.code, rec.error.message, image_id=rec.id
            )
        return JSONResponse(accepted.model_dump(mode="json"), status_code=202)

    @app.get("/v1/images", response_model=ImageList, tags=["images"], responses=_ERRORS)
    def list_images(
        who: Caller,
        limit: Annotated[int, Query(ge=1, le=200)] = 48,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        status: Annotated[Status | None, Query()] = None,
    ) -> ImageList:
        """Recent results, newest first, with the uploads still in the queue (uploader keys: their own only)."""
        st = status.value if status else None
        pending = svc.jobs.active() if offset == 0 else []
        if not sees_all(who):
            mine = svc.owners.ids(who.name)
            return ImageList(
                items=svc.owners.recent(who.name, limit, offset, st),
                pending=[j for j in pending if j.id in mine],
                total=svc.owners.count(who.name, st),
            )
        items = svc.store.recent(limit, offset, st)
        counts = svc.store.count_by_status()
        total = counts.get(status.value, 0) if status else sum(counts.values())
        return ImageList(items=items, pending=pending, total=total)

    @app.get("/v1/whoami", response_model=Whoami, tags=["auth"], responses=_ERRORS)
    def whoami(who: Caller) -> Whoami:
        """The calling key's name and role, and what the role allows (the web page adapts to it)."""
        return Whoami(name=who.name, role=who.role, sees_all=sees_all(who), may_review=who.role in REVIEWERS)

    @app.get(
        "/v1/images/{image_id}",
        response_model=ImageRecord,
        tags=["images"],
        responses={
            **_ERRORS,
            202: {"model": JobInfo, "description": "still queued or processing"},
            404: {"model": ErrorResponse},
        },
    )
    def get_image(image_id: str, who: Caller):
        """The result record (the CLI's JSONL schema); 202 with the job while it is not finished."""
        svc.check_visible(who, _check_id(image_id))
        rec, job = svc.state_of(image_id)
        if job is not None:
            return JSONResponse(job.model_dump(mode="json"), status_code=202)
        if rec is None:
            raise ApiError(404, "not_found", f"no image {image_id}")
        return rec

    @app.get(
        "/v1/images/{image_id}/thumbnail",
        tags=["images"],
        response_class=Response,
        responses={**_ERRORS, 200: {"content": {"image/jpeg": {}}}, 404: {"model": ErrorResponse}},
    )
    def thumbnail(
        image_id: str,
        who: Caller,
        size: Annotated[
            Literal["small", "large"], Query(description="small: [server] thumbnail_side px; large: 1024 px")
        ] = "small",
    ) -> Response:
        """A JPEG preview. Blocked images have none, ever."""
        svc.check_visible(who, _check_id(image_id))
        rec = svc.store.get(image_id)
        if rec is None or rec.status in (Status.blocked, Status.error):
            raise ApiError(404, "not_found", f"no thumbnail for {image_id}")
        side = svc.settings.server.thumbnail_side if size == "small" else 1024
        jpeg = svc.blobs.thumbnail(image_id, svc.blobs.key(rec.sha256), side, svc.settings.intake)
        if jpeg is None:
            raise ApiError(404, "not_found", f"no thumbnail for {image_id}")
        return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=300"})

    @app.get("/v1/images/{image_id}/audit", response_model=list[AuditEntry], tags=["images"], responses=_ERRORS)
    def audit(image_id: str, who: Caller) -> list[AuditEntry]:
        """Who did what to this image, and when (uploads, safety decisions, reviews), newest first, with each
        key's role. Uploader keys read the trails of their own uploads, without other keys' uploads."""
        svc.check_visible(who, _check_id(image_id))
        rows = svc.store.audit_trail(image_id)
        if not sees_all(who):
            rows = [r for r in rows if r["action"] != "upload" or r["actor"] == who.name]
        return [AuditEntry(**row, role=(row["detail"] or {}).get("role")) for row in rows]

    @app.get("/v1/search", response_model=SearchResults, tags=["search"], responses=_ERRORS)
    def search(
        who: Caller,
        q: Annotated[str, Query(min_length=1, max_length=200)],
        limit: Annotated[int, Query(ge=1, le=100)] = 24,
    ) -> SearchResults:
        """Images ranked by how well their caption and tags match the text, in the tagger's embedding space.
        Blocked images never appear; uploader keys search their own uploads only."""
        hits = []
        allowed = None if sees_all(who) else svc.owners.ids(who.name)
        for image_id, score in svc.search.search(q, limit=limit, allowed=allowed):
            rec = svc.store.get(image_id)
            if rec is not None and rec.status not in (Status.blocked, Status.error):
                hits.append(SearchHit(score=score, record=rec))
        return SearchResults(query=q, hits=hits)

    @app.get("/v1/review", response_model=ImageList, tags=["review"], responses={**_ERRORS, **_FORBIDDEN})
    def review_queue(
        who: Caller,
        limit: Annotated[int, Query(ge=1, le=200)] = 48,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> ImageList:
        """Images waiting for a moderator, newest first (reviewer and admin keys)."""
        require_reviewer(who, "read the review queue")
        items = svc.store.recent(limit, offset, Status.review.value)
        return ImageList(items=items, total=svc.store.count_by_status().get(Status.review.value, 0))

    @app.post(
        "/v1/review/{image_id}",
        response_model=ReviewResult,
        tags=["review"],
        responses={**_ERRORS, **_FORBIDDEN, 404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}},
    )
    def review(image_id: str, body: ReviewRequest, who: Caller) -> ReviewResult:
        """Approve (→ captioned) or reject (→ blocked), by a reviewer or admin key that did not upload the image.
        The key's name, role and the time go to the audit trail."""
        return svc.decide(_check_id(image_id), body.decision, who, body.note)

    @app.get(
        "/metrics",
        tags=["operations"],
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
    )
    def metrics(request: Request) -> Response:
        """Prometheus text: per-stage latency histograms, results by status, queue depth, HTTP traffic."""
        if not svc.settings.server.metrics_public:
            require_key(request, None)
        return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", response_model=Health, tags=["operations"])
    def healthz() -> JSONResponse:
        """Liveness and readiness: 200 when the pipeline is ready, 503 while loading or broken."""
        body = svc.health()
        return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)

    @app.get("/livez", tags=["operations"])
    def livez() -> JSONResponse:
        """Liveness: 200 while the process serves requests (restart it when this fails)."""
        return JSONResponse({"status": "ok", "version": __version__})

    @app.get("/readyz", tags=["operations"], responses={503: {"description": "not ready: see `checks`"}})
    def readyz() -> JSONResponse:
        """Readiness: 200 when the pipeline is loaded and the database answers, else 503 with the failing check."""
        body = svc.readiness()
        return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)


def _web(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    js: str | None
    css: str | None
    try:
        from swagger_ui_bundle import swagger_ui_path

        app.mount("/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")
        js, css = "/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"
    except ImportError:  # pragma: no cover - falls back to FastAPI's CDN links
        js = css = None

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        page = functools.partial(
            get_swagger_ui_html,
            openapi_url="/openapi.json",
            title="snapscribe API",
            swagger_favicon_url="/static/favicon.svg",
        )
        return page(swagger_js_url=js, swagger_css_url=css) if js and css else page()

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(
            WEB_DIR / "index.html",
            media_type="text/html",
            headers={
                "Cache-Control": "no-cache",
                "Content-Security-Policy": (
                    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; "
                    "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                    "frame-ancestors 'none'"
                ),
            },
        )

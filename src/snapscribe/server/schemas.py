"""Typed request and response bodies of the HTTP API (the result record itself is ``ImageRecord``)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from ..records import ImageRecord


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(_Body):
    code: str = Field(description="stable, machine-readable; intake codes match the CLI's error records")
    message: str


class ErrorResponse(_Body):
    error: ErrorDetail
    id: str | None = None


class JobState(str, Enum):
    pending = "pending"
    running = "running"
    done = "done"
    failed = "failed"


class UploadAccepted(_Body):
    """Answer to an upload: ``status`` is ``pending``/``running`` while queued, else the record's status."""

    id: str
    status: str
    duplicate: bool = Field(False, description="these bytes were uploaded before; nothing was reprocessed")
    record: ImageRecord | None = Field(None, description="the result, once finished")


class JobInfo(_Body):
    """An image still in the queue (``GET /v1/images/{id}`` answers 202 with this)."""

    id: str
    status: JobState
    source: str
    attempts: int
    created_at: str


class ImageList(_Body):
    items: list[ImageRecord]
    pending: list[JobInfo] = Field(default_factory=list, description="uploads not finished yet")
    total: int


class SearchHit(_Body):
    score: float
    record: ImageRecord


class SearchResults(_Body):
    query: str
    hits: list[SearchHit]


class Decision(str, Enum):
    approve = "approve"
    reject = "reject"


class ReviewRequest(_Body):
    decision: Decision
    note: str | None = Field(None, max_length=500)


class ReviewResult(_Body):
    id: str
    decision: Decision
    status: str = Field(description="the record's status after the decision")
    actor: str
    role: str = Field(description="the deciding key's role")
    at: datetime


class AuditEntry(_Body):
    seq: int
    image_id: str | None
    action: str
    actor: str
    role: str | None = Field(None, description="the acting key's role (None: the pipeline, or before roles)")
    reason: str | None
    detail: dict
    at: str


class Whoami(_Body):
    name: str
    role: str = Field(description="uploader | reviewer | admin")
    sees_all: bool = Field(description="False: only this key's own uploads are visible")
    may_review: bool


class Health(_Body):
    status: str = Field(description="ok | starting | degraded")
    pipeline: str = Field(description="ready | loading | failed (kafka queue: connected and indexing)")
    queue_kind: str = Field("embedded", description="embedded | kafka ([server] queue)")
    workers: int = Field(description="in-process workers (0 with the kafka queue)")
    queue: dict[str, int]
    version: str

"""Everything the HTTP layer needs, wired once: store, queue, blobs, keys, search, metrics."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .. import __version__
from ..blobs import UploadBlobs, open_blobs
from ..blobs.s3 import S3Blobs
from ..config import TONES, Settings
from ..errors import IntakeError
from ..intake import probe
from ..records import ImageRecord, Status, image_id_for
from ..store import Database, ResultStore
from .auth import KeyRing, Principal, RateLimiter, parse_key_list
from .errors import ApiError
from .jobs import JobQueue
from .metrics import Metrics
from .owners import Owners
from .queues import EmbeddedQueue, KafkaQueue, UploadQueue
from .roles import forbid_own_upload, require_reviewer, sees_all
from .schemas import Decision, JobInfo, JobState, ReviewResult, UploadAccepted
from .search import SearchIndex, TextEncoder
from .uploads import Received

if TYPE_CHECKING:
    from ..pipeline import Pipeline

log = logging.getLogger("snapscribe.server")

PipelineFactory = Callable[[Settings, ResultStore], "Pipeline"]


def _default_factory(settings: Settings, store: ResultStore) -> Pipeline:
    from ..pipeline import build_pipeline

    return build_pipeline(settings, store)


def requested_tone(query: str | None, form: str | None) -> str | None:
    """The caption tone an upload asks for (``tone=`` as a query parameter or form field), or None.

    Raises a 400 for an unknown tone, or two different ones."""
    given = {t.strip().lower() for t in (query, form) if t is not None and t.strip()}
    if len(given) > 1:
        raise ApiError(400, "bad_tone", f"two different tones given: {', '.join(sorted(given))}")
    tone = given.pop() if given else None
    if tone is not None and tone not in TONES:
        raise ApiError(400, "bad_tone", f"unknown tone {tone[:40]!r}; use one of: {', '.join(TONES)}")
    return tone


class Service:
    """The server's state. ``start``/``stop`` run the queue; the rest is called by route handlers."""

    def __init__(
        self,
        settings: Settings,
        *,
        api_keys: str | list[str] | None = None,
        pipeline_factory: PipelineFactory | None = None,
    ):
        self.settings = settings
        cfg = settings.server
        self.db = Database(settings.db_url())
        self.store = ResultStore(self.db)
        self.blobs = UploadBlobs(open_blobs(settings.blobs_url()), tmp_dir=settings.data_dir() / "tmp")
        self.jobs = JobQueue(self.db, lease_s=cfg.job_lease_s)
        self.keys = KeyRing(
            self.db,
            parse_key_list(cfg.api_keys) + parse_key_list(api_keys),
            rate=cfg.rate_limit,
            burst=cfg.rate_burst,
            default_role=cfg.default_role,
        )
        self.owners = Owners(self.db)
        self.limiter = RateLimiter()
        self.search = SearchIndex(self.db, TextEncoder())
        self.metrics = Metrics(self.store.count_by_status, self.jobs.depth)
        self.upload_cap = cfg.max_upload_bytes or settings.intake.max_bytes
        self.pipeline_factory = pipeline_factory or _default_factory
        self.queue: UploadQueue = KafkaQueue(self) if cfg.queue == "kafka" else EmbeddedQueue(self)

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        self.blobs.clean_tmp()
        store = self.blobs.store
        if isinstance(store, S3Blobs) and self.settings.blobs.create_bucket:
            try:
                store.ensure_bucket()
            except Exception as exc:  # noqa: BLE001 - readiness reports it until the store answers
                log.warning("blob store %s: %s", store.url, exc)
        self.queue.start()

    def stop(self) -> None:
        self.queue.stop()

    @property
    def pipeline_state(self) -> str:
        return self.queue.state

    # -- auth --------------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> Principal:
        scheme, _, key = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(
                401,
                "unauthorized",
                "send an API key as 'Authorization: Bearer KEY'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        who = self.keys.lookup(key.strip())
        if who is None:
            raise ApiError(
                401,
                "unauthorized",
                "unknown or revoked API key",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        wait = self.limiter.take(who)
        if wait > 0:
            raise ApiError(
                429,
                "rate_limited",
                f"rate limit of {who.rate:g}/s (burst {who.burst}) exceeded",
                headers={"Retry-After": str(max(1, int(wait + 0.999)))},
            )
        return who

    # -- uploads -----------------------------------------------------------------------
    def submit(self, upload: Received, who: Principal, tone: str | None = None) -> UploadAccepted:
        """Queue an upload once per content hash; a duplicate returns the existing id and state.

        ``tone`` (None: the configured one) is stored with the job. The same bytes again in another
        tone are captioned again when their result is an undecided ``captioned`` one."""
        image_id = image_id_for(upload.sha256)
        existing = self.store.get(image_id)
        job = self.jobs.get(image_id)
        detail = {"source": upload.filename, "bytes": upload.size, "role": who.role}
        if tone is not None:
            detail["tone"] = tone
        queued = job is not None and job.status in (JobState.pending, JobState.running)
        if existing is not None and not queued and self._retone(existing, tone):
            key = (
                self.blobs.key(upload.sha256)
                if self.blobs.has(upload.sha256)
                else self.blobs.put(upload.path, upload.sha256)
            )
            self.owners.add(image_id, who.name)
            # A result from the CLI has no job yet; a finished job is given another round.
            self.queue.submit(
                image_id=image_id,
                sha256=upload.sha256,
                source=upload.filename,
                blob=key,
                submitted_by=who.name,
                tone=tone,
            )
            self.store.audit(image_id, "upload", who.name, f"caption again in the tone {tone}", detail)
            self.metrics.uploads.labels("accepted").inc()
            return UploadAccepted(id=image_id, status=JobState.pending.value)
        if existing is not None and existing.status is not Status.error:
            if existing.status is not Status.blocked and not self.blobs.has(upload.sha256):
                self.blobs.put(upload.path, upload.sha256)  # a result from the CLI: keep bytes for previews
            existing = self.queue.recheck(existing, self.blobs.key(upload.sha256))
            self._duplicate(image_id, who, detail)
            return UploadAccepted(id=image_id, status=existing.status.value, duplicate=True, record=existing)
        if job is not None and job.status in (JobState.pending, JobState.running):
            self.queue.resubmit(image_id, self.blobs.key(upload.sha256))
            self._duplicate(image_id, who, detail)
            return UploadAccepted(id=image_id, status=job.status.value, duplicate=True)
        try:
            probe(upload.read(), self.settings.intake)
        except IntakeError as exc:
            self.metrics.uploads.labels("rejected").inc()
            status = 413 if exc.code == "file_too_large" else 422
            raise ApiError(status, exc.code, exc.message, image_id=image_id) from exc
        key = self.blobs.put(upload.path, upload.sha256)
        self.owners.add(image_id, who.name)
        self.queue.submit(
            image_id=image_id, sha256=upload.sha256, source=upload.filename, blob=key, submitted_by=who.name, tone=tone
        )
        self.store.audit(image_id, "upload", who.name, None, detail)
        self.metrics.uploads.labels("accepted").inc()
        return UploadAccepted(id=image_id, status=JobState.pending.value)

    def _retone(self, rec: ImageRecord, tone: str | None) -> bool:
        """Whether a stored result should be captioned again in ``tone``: it is ``captioned``, in
        another tone, and no reviewer decided on it (a decision is never undone by a re-run)."""
        if tone is None or rec.status is not Status.captioned:
            return False
        if (rec.provenance.tone or self.settings.caption.tone) == tone:
            return False
        return self.db.query_one("SELECT 1 FROM reviews WHERE image_id = ?", (rec.id,)) is None

    def _duplicate(self, image_id: str, who: Principal, detail: dict) -> None:
        self.owners.add(image_id, who.name)  # the same bytes from another key: it uploaded them too
        self.metrics.uploads.labels("duplicate").inc()
        self.store.audit(image_id, "upload", who.name, "duplicate: not processed again", detail)

    def state_of(self, image_id: str) -> tuple[ImageRecord | None, JobInfo | None]:
        """(record, None) when finished, (None, JobInfo) while queued, (None, None) if unknown."""
        job = self.jobs.get(image_id)
        if job is not None and job.status in (JobState.pending, JobState.running):
            return None, job
        return self.store.get(image_id), None

    # -- review ------------------------------------------------------------------------
    def decide(self, image_id: str, decision: Decision, who: Principal, note: str | None) -> ReviewResult:
        """Approve (→ captioned) or reject (→ blocked: caption and tags removed, bytes quarantined)."""
        require_reviewer(who, "decide reviews")
        rec = self.store.get(image_id)
        if rec is None:
            raise ApiError(404, "not_found", f"no image {image_id}")
        forbid_own_upload(who, self.owners.of(image_id), image_id)
        if rec.status is not Status.review:
            raise ApiError(409, "not_in_review", f"image {image_id} is {rec.status.value}, not in review")
        at = datetime.now(UTC)
        if decision is Decision.approve:
            new = rec.model_copy(update={"status": Status.captioned})
        else:
            safety = rec.safety.model_copy(update={"reasons": [*rec.safety.reasons, "rejected in review"]})
            new = rec.model_copy(
                update={
                    "status": Status.blocked,
                    "caption": None,
                    "hashtags": [],
                    "tags": [],
                    "objects": [],
                    "grounding": None,
                    "safety": safety,
                }
            )
        changed = self.db.execute(
            "UPDATE results SET status = ?, caption = ?, record = ?, updated_at = ? WHERE id = ? AND status = ?",
            (new.status.value, new.caption, new.to_json(), at.isoformat(), image_id, Status.review.value),
        )
        if changed != 1:
            raise ApiError(409, "not_in_review", f"image {image_id} was decided by someone else")
        self.db.execute(
            "INSERT INTO reviews (image_id, decision, actor, note, at) VALUES (?, ?, ?, ?, ?)",
            (image_id, decision.value, who.name, note, at.isoformat()),
        )
        self.store.audit(
            image_id,
            f"review_{decision.value}",
            who.name,
            note,
            {
                "previous_status": rec.status.value,
                "new_status": new.status.value,
                "caption": rec.caption,
                "role": who.role,
            },
        )
        if new.status is Status.blocked:
            self.blobs.quarantine(self.blobs.key(rec.sha256))
            self.blobs.drop_thumbnail(image_id)
        self.search.add(new)
        self.queue.decided(new)
        return ReviewResult(
            id=image_id, decision=decision, status=new.status.value, actor=who.name, role=who.role, at=at
        )

    # -- visibility --------------------------------------------------------------------
    def check_visible(self, who: Principal, image_id: str) -> None:
        """404 for an image an uploader key did not upload (see :mod:`.roles`)."""
        if not sees_all(who) and not self.owners.owns(who.name, image_id):
            raise ApiError(404, "not_found", f"no image {image_id} among the uploads of key {who.name!r}")

    # -- health ------------------------------------------------------------------------
    def health(self) -> dict:
        depth = self.jobs.depth()
        status = {"ready": "ok", "loading": "starting"}.get(self.pipeline_state, "degraded")
        return {
            "status": status,
            "pipeline": self.pipeline_state,
            "queue_kind": self.queue.kind,
            "workers": self.queue.size,
            "queue": depth,
            "version": __version__,
        }

    def readiness(self) -> dict:
        """Ready to take uploads: the queue is ready (pipeline loaded, or connected to the brokers),
        the database and the blob store answer."""
        checks: dict[str, str] = {"pipeline": self.pipeline_state, **self.queue.checks()}
        try:
            self.db.query_one("SELECT 1")
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            self.db.reset_connection()
            checks["database"] = f"unavailable: {type(exc).__name__}"
        try:
            self.blobs.store.check()
            checks["blobs"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            checks["blobs"] = f"unavailable: {type(exc).__name__}"
        ready = checks["pipeline"] == "ready" and all(v == "ok" for k, v in checks.items() if k != "pipeline")
        return {"status": "ok" if ready else "unavailable", "checks": checks, "version": __version__}

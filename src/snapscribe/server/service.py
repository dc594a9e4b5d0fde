"""Everything the HTTP layer needs, wired once: store, queue, workers, blobs, keys, search, metrics."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .. import __version__
from ..config import TONES, Settings
from ..errors import IntakeError
from ..intake import probe
from ..logs import job_id
from ..memory import BIG_INPUT_BYTES, BIG_INPUT_PIXELS, release_memory
from ..records import ImageRecord, Status, image_id_for
from ..store import Database, ResultStore
from .auth import KeyRing, Principal, RateLimiter, parse_key_list
from .blobs import BlobStore
from .errors import ApiError
from .jobs import Job, JobQueue
from .metrics import Metrics
from .owners import Owners
from .roles import forbid_own_upload, require_reviewer, sees_all
from .schemas import Decision, JobInfo, JobState, ReviewResult, UploadAccepted
from .search import SearchIndex, TextEncoder
from .uploads import Received
from .workers import WorkerPool

if TYPE_CHECKING:
    from ..pipeline import Pipeline

log = logging.getLogger("snapscribe.server")

PipelineFactory = Callable[[Settings, ResultStore], "Pipeline"]


def _default_factory(settings: Settings, store: ResultStore) -> Pipeline:
    from ..pipeline import build_pipeline

    return build_pipeline(settings, store)


def _warm_up(pipeline) -> None:
    """Load every model by processing one synthetic image, storing nothing."""
    import io

    import numpy as np
    from PIL import Image

    from ..pipeline import Upload

    y, x = np.mgrid[0:240, 0:320]
    arr = np.stack([x * 255 // 319, y * 255 // 239, (x + y) * 127 // 560], -1).astype(np.uint8)
    arr[60:120, 80:160] = (200, 40, 40)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=85)
    store, pipeline.store = pipeline.store, None  # workers are not running yet: nobody else uses it
    try:
        rec = pipeline.process(Upload(source="warmup.jpg", data=buf.getvalue()))
        log.info("warm-up: %s in %.0f ms", rec.status.value, sum(rec.timings_ms.values()))
    finally:
        pipeline.store = store
    # A synthetic image skips ConSE, whose vocabulary embeddings (~20 s on a fresh data dir) would
    # otherwise land on the first real upload.
    tagger = getattr(pipeline, "tagger", None)
    precompute = getattr(tagger, "warm_up", None) or getattr(tagger, "_embeddings", None)
    if callable(precompute):
        precompute()


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
    """The server's state. ``start``/``stop`` run the workers; the rest is called by route handlers."""

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
        self.blobs = BlobStore(settings.data_dir())
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
        self._factory = pipeline_factory or _default_factory
        self.pipeline: Pipeline | None = None
        self.pipeline_state = "loading"
        self.ready = threading.Event()
        # A remote VLM's requests wait on the network: its slots come on top of the CPU workers
        # (the pipeline still lets only models.threads images use the CPU at once).
        remote = settings.vlm.concurrency if settings.engines.captioner == "vlm" else 0
        self.pool = WorkerPool(self.jobs, self.run_job, size=cfg.workers + remote, ready=self.ready)

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        self.blobs.clean_tmp()
        if self.db.dialect.name == "sqlite":
            recovered = self.jobs.recover_local()
            if recovered:
                log.warning("resuming the jobs of %d crashed worker(s)", recovered)
        threading.Thread(target=self._load_pipeline, name="snapscribe-load", daemon=True).start()
        self.pool.start()

    def stop(self) -> None:
        self.pool.stop(timeout=10.0)

    def _load_pipeline(self) -> None:
        try:
            pipeline = self._factory(self.settings, self.store)
            if self.settings.server.warmup:
                _warm_up(pipeline)
                self.search.encoder.encode(["warm up"], cache=False)
            self.pipeline = pipeline
            self.pipeline_state = "ready"
            self.ready.set()
            self.search.refresh()
            log.info("pipeline ready; %d worker(s)", self.pool.size)
        except Exception:
            self.pipeline_state = "failed"
            log.exception("the pipeline failed to load")

    @property
    def config_key(self) -> str:
        return getattr(self.pipeline, "config_key", "unloaded")

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
            if job is None:  # a result from the CLI
                self.jobs.enqueue(
                    image_id=image_id,
                    sha256=upload.sha256,
                    source=upload.filename,
                    blob=key,
                    submitted_by=who.name,
                    tone=tone,
                )
            else:
                self.jobs.requeue(image_id, tone)
            self.owners.add(image_id, who.name)
            self.store.audit(image_id, "upload", who.name, f"caption again in the tone {tone}", detail)
            self.metrics.uploads.labels("accepted").inc()
            self.pool.wake()
            return UploadAccepted(id=image_id, status=JobState.pending.value)
        if existing is not None and existing.status is not Status.error:
            existing = self._recheck(existing)
            if existing.status is not Status.blocked and not self.blobs.has(upload.sha256):
                self.blobs.put(upload.path, upload.sha256)  # a result from the CLI: keep bytes for previews
            self._duplicate(image_id, who, detail)
            return UploadAccepted(id=image_id, status=existing.status.value, duplicate=True, record=existing)
        if job is not None and job.status in (JobState.pending, JobState.running):
            self._duplicate(image_id, who, detail)
            return UploadAccepted(id=image_id, status=job.status.value, duplicate=True)
        try:
            probe(upload.read(), self.settings.intake)
        except IntakeError as exc:
            self.metrics.uploads.labels("rejected").inc()
            status = 413 if exc.code == "file_too_large" else 422
            raise ApiError(status, exc.code, exc.message, image_id=image_id) from exc
        key = self.blobs.put(upload.path, upload.sha256)
        if not self.jobs.enqueue(
            image_id=image_id, sha256=upload.sha256, source=upload.filename, blob=key, submitted_by=who.name, tone=tone
        ):
            self.jobs.requeue(image_id, tone)  # an earlier attempt ended in an error record: try again
        self.owners.add(image_id, who.name)
        self.store.audit(image_id, "upload", who.name, None, detail)
        self.metrics.uploads.labels("accepted").inc()
        self.pool.wake()
        return UploadAccepted(id=image_id, status=JobState.pending.value)

    def _retone(self, rec: ImageRecord, tone: str | None) -> bool:
        """Whether a stored result should be captioned again in ``tone``: it is ``captioned``, in
        another tone, and no reviewer decided on it (a decision is never undone by a re-run)."""
        if tone is None or rec.status is not Status.captioned:
            return False
        if (rec.provenance.tone or self.settings.caption.tone) == tone:
            return False
        return self.db.query_one("SELECT 1 FROM reviews WHERE image_id = ?", (rec.id,)) is None

    def _recheck(self, rec: ImageRecord) -> ImageRecord:
        """A stored result must still honour hash lists that grew since (no decode, no models)."""
        gates = getattr(self.pipeline, "safety", None)
        recheck = getattr(gates, "recheck_cached", None)
        if recheck is None:
            return rec
        blocked = recheck(rec, self.store)
        if blocked is None:
            return rec
        self.blobs.quarantine(self.blobs.key(rec.sha256))
        self.blobs.drop_thumbnail(rec.id)
        self.search.add(blocked)
        return blocked

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

    # -- the worker's job --------------------------------------------------------------
    def run_job(self, job: Job) -> None:
        token = job_id.set(job.id)  # every log line of this job carries its id
        try:
            self._run_job(job)
        finally:
            job_id.reset(token)

    def _run_job(self, job: Job) -> None:
        cfg = self.settings.server
        if job.attempts > cfg.max_attempts:
            rec = ImageRecord.failed(
                source=job.source,
                sha256=job.sha256,
                code="internal_error",
                message=f"processing stopped {job.attempts - 1} times without finishing",
            )
            self.store.put(rec, self.config_key)
            self.jobs.finish(job, failed=True, error=rec.error.message if rec.error else None)
            self.metrics.observe_record(rec)
            return
        data = self.blobs.read(job.blob)
        if data is None:
            rec = ImageRecord.failed(
                source=job.source,
                sha256=job.sha256,
                code="blob_missing",
                message="the uploaded bytes are no longer on disk; upload again",
            )
            self.store.put(rec, self.config_key)
            self.jobs.finish(job, failed=True, error="blob missing")
            return
        from ..pipeline import Upload

        done: ImageRecord | None = None
        try:
            assert self.pipeline is not None  # workers start only once the pipeline is ready
            pipeline = self.pipeline.with_tone(job.tone)
            done = rec = pipeline.process(Upload(source=job.source, data=data))
            if rec.status is Status.blocked:
                self.blobs.quarantine(job.blob)
                self.blobs.drop_thumbnail(rec.id)
            self.search.add(rec)
        except Exception as exc:
            log.exception("job %s: transient failure", job.id)
            self.db.reset_connection()
            self.jobs.retry_later(job, f"{type(exc).__name__}: {exc}", delay_s=min(60.0, 2.0**job.attempts))
            return
        finally:
            attrs = done.attributes if done is not None else None
            if len(data) >= BIG_INPUT_BYTES or (attrs is not None and attrs.width * attrs.height >= BIG_INPUT_PIXELS):
                del data
                release_memory()
        self.jobs.finish(job)
        self.metrics.observe_record(rec)

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
            "workers": self.pool.size,
            "queue": depth,
            "version": __version__,
        }

    def readiness(self) -> dict:
        """Ready to take uploads: the pipeline is loaded and the database answers (a broker, when one
        is configured for this service, is checked by whoever adds it)."""
        checks: dict[str, str] = {"pipeline": self.pipeline_state}
        try:
            self.db.query_one("SELECT 1")
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            self.db.reset_connection()
            checks["database"] = f"unavailable: {type(exc).__name__}"
        ready = checks["pipeline"] == "ready" and checks["database"] == "ok"
        return {"status": "ok" if ready else "unavailable", "checks": checks, "version": __version__}

"""How accepted uploads reach the pipeline, behind one narrow interface chosen by ``[server] queue``.

* :class:`EmbeddedQueue` (default): a job table in the results database drained by in-process
  workers that run the pipeline here.
* :class:`KafkaQueue`: the service is a producer. Each upload's blob URI goes to the uploads topic
  (the message ``snapscribe submit`` sends); ``snapscribe worker`` processes anywhere caption it
  into the same database and mark the pending job done. This process loads no models beyond
  the search encoder, which indexes the workers' results for ``/v1/search``.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from ..logs import job_id
from ..memory import BIG_INPUT_BYTES, BIG_INPUT_PIXELS, release_memory
from ..records import ImageRecord, Status
from .errors import ApiError
from .jobs import Job
from .workers import WorkerPool

if TYPE_CHECKING:
    from ..pipeline import Pipeline
    from ..queue.producer import Publisher
    from .service import Service

log = logging.getLogger("snapscribe.server")


class UploadQueue(ABC):
    """What the service needs from a queue: hand an upload over, re-check a stored result, say if ready."""

    kind: str
    state: str = "loading"  # ready | loading | failed

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def submit(
        self, *, image_id: str, sha256: str, source: str, blob: str, submitted_by: str, tone: str | None = None
    ) -> None:
        """Write the pending job and hand the upload over, to be captioned in ``tone`` (None: the
        configured one); :class:`ApiError` 503 when it cannot be."""

    @abstractmethod
    def resubmit(self, image_id: str, blob: str) -> None:
        """An upload of bytes whose job is still pending (the hand-over may have been lost)."""

    @abstractmethod
    def recheck(self, rec: ImageRecord, blob: str) -> ImageRecord:
        """A stored result met again: it must still honour hash lists that grew since."""

    def decided(self, rec: ImageRecord) -> None:  # noqa: B027 - optional hook
        """A review decision changed a record."""

    @property
    def size(self) -> int:
        return 0

    def checks(self) -> dict[str, str]:
        return {}


# -- embedded --------------------------------------------------------------------------------
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


class EmbeddedQueue(UploadQueue):
    """The job table plus a pool of in-process workers running the pipeline."""

    kind = "embedded"

    def __init__(self, svc: Service):
        self.svc = svc
        settings = svc.settings
        self.pipeline: Pipeline | None = None
        self.ready = threading.Event()
        # A remote VLM's requests wait on the network: its slots come on top of the CPU workers
        # (the pipeline still lets only models.threads images use the CPU at once).
        remote = settings.vlm.concurrency if settings.engines.captioner == "vlm" else 0
        self.pool = WorkerPool(svc.jobs, self.run_job, size=settings.server.workers + remote, ready=self.ready)

    @property
    def size(self) -> int:
        return self.pool.size

    @property
    def config_key(self) -> str:
        return getattr(self.pipeline, "config_key", "unloaded")

    def start(self) -> None:
        if self.svc.db.dialect.name == "sqlite":
            recovered = self.svc.jobs.recover_local()
            if recovered:
                log.warning("resuming the jobs of %d crashed worker(s)", recovered)
        threading.Thread(target=self._load_pipeline, name="snapscribe-load", daemon=True).start()
        self.pool.start()

    def stop(self) -> None:
        self.pool.stop(timeout=10.0)

    def _load_pipeline(self) -> None:
        svc = self.svc
        try:
            pipeline = svc.pipeline_factory(svc.settings, svc.store)
            if svc.settings.server.warmup:
                _warm_up(pipeline)
                svc.search.encoder.encode(["warm up"], cache=False)
            self.pipeline = pipeline
            self.state = "ready"
            self.ready.set()
            svc.search.refresh()
            log.info("pipeline ready; %d worker(s)", self.pool.size)
        except Exception:
            self.state = "failed"
            log.exception("the pipeline failed to load")

    def submit(
        self, *, image_id: str, sha256: str, source: str, blob: str, submitted_by: str, tone: str | None = None
    ) -> None:
        jobs = self.svc.jobs
        if not jobs.enqueue(
            image_id=image_id, sha256=sha256, source=source, blob=blob, submitted_by=submitted_by, tone=tone
        ):
            jobs.requeue(image_id, tone)  # an earlier result was an error or in another tone: run again
        self.pool.wake()

    def resubmit(self, image_id: str, blob: str) -> None:
        """The job is in this database's table: an in-process worker will claim it."""

    def recheck(self, rec: ImageRecord, blob: str) -> ImageRecord:
        gates = getattr(self.pipeline, "safety", None)
        recheck = getattr(gates, "recheck_cached", None)
        if recheck is None:
            return rec
        blocked = recheck(rec, self.svc.store)
        if blocked is None:
            return rec
        self.svc.blobs.quarantine(blob)
        self.svc.blobs.drop_thumbnail(rec.id)
        self.svc.search.add(blocked)
        return blocked

    # -- the worker's job --------------------------------------------------------------
    def run_job(self, job: Job) -> None:
        token = job_id.set(job.id)  # every log line of this job carries its id
        try:
            self._run_job(job)
        finally:
            job_id.reset(token)

    def _run_job(self, job: Job) -> None:
        svc = self.svc
        cfg = svc.settings.server
        if job.attempts > cfg.max_attempts:
            rec = ImageRecord.failed(
                source=job.source,
                sha256=job.sha256,
                code="internal_error",
                message=f"processing stopped {job.attempts - 1} times without finishing",
            )
            svc.store.put(rec, self.config_key)
            svc.jobs.finish(job, failed=True, error=rec.error.message if rec.error else None)
            svc.metrics.observe_record(rec)
            return
        data = svc.blobs.read(job.blob)
        if data is None:
            rec = ImageRecord.failed(
                source=job.source,
                sha256=job.sha256,
                code="blob_missing",
                message="the uploaded bytes are no longer in the blob store; upload again",
            )
            svc.store.put(rec, self.config_key)
            svc.jobs.finish(job, failed=True, error="blob missing")
            return
        from ..pipeline import Upload

        done: ImageRecord | None = None
        try:
            assert self.pipeline is not None  # workers start only once the pipeline is ready
            pipeline = self.pipeline.with_tone(job.tone)
            done = rec = pipeline.process(Upload(source=job.source, data=data))
            if rec.status is Status.blocked:
                svc.blobs.quarantine(job.blob)
                svc.blobs.drop_thumbnail(rec.id)
            svc.search.add(rec)
        except Exception as exc:
            log.exception("job %s: transient failure", job.id)
            svc.db.reset_connection()
            svc.jobs.retry_later(job, f"{type(exc).__name__}: {exc}", delay_s=min(60.0, 2.0**job.attempts))
            return
        finally:
            attrs = done.attributes if done is not None else None
            if len(data) >= BIG_INPUT_BYTES or (attrs is not None and attrs.width * attrs.height >= BIG_INPUT_PIXELS):
                del data
                release_memory()
        svc.jobs.finish(job)
        svc.metrics.observe_record(rec)


# -- kafka -----------------------------------------------------------------------------------
class KafkaQueue(UploadQueue):
    """A producer to ``[kafka] topic``; the fleet writes results, a thread here indexes them for search."""

    kind = "kafka"
    PUBLISH_TIMEOUT_S = 10.0
    INDEX_EVERY_S = 1.0

    def __init__(self, svc: Service, *, create_topics: bool = True):
        self.svc = svc
        self.kafka = svc.settings.kafka
        self.create_topics = create_topics
        self.publisher: Publisher | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._broker = "not connected"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="snapscribe-kafka-intake", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        if self.publisher is not None:
            self.publisher.close(10)

    def _run(self) -> None:
        """Connect (retrying while the broker is away), warm the search encoder, then index results."""
        from ..queue.broker import ensure_topics
        from ..queue.producer import Publisher

        k = self.kafka
        delay = 0.5
        while not self._stop.is_set():
            try:
                if self.create_topics:
                    topics = {k.topic: k.partitions}
                    if k.results_topic:
                        topics[k.results_topic] = k.partitions
                    ensure_topics(k.brokers, topics, k.client)
                self.publisher = Publisher(k.brokers, k.client)
                self._broker = "ok"
                break
            except Exception as exc:  # noqa: BLE001 - the broker may start after us
                self._broker = f"unavailable: {type(exc).__name__}"
                log.warning("kafka at %s: %s; retrying in %.1fs", k.brokers, exc, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, 15.0)
        if self._stop.is_set():
            return
        try:
            if self.svc.settings.server.warmup:
                self.svc.search.encoder.encode(["warm up"], cache=False)
            self.svc.search.refresh()
            self.state = "ready"
            log.info("publishing uploads to %s on %s", k.topic, k.brokers)
        except Exception:
            self.state = "failed"
            log.exception("the search encoder failed to load")
            return
        while not self._stop.wait(self.INDEX_EVERY_S):
            try:
                while self.svc.search.catch_up() and not self._stop.is_set():
                    pass
            except Exception:
                log.exception("indexing the fleet's results failed")
                self.svc.db.reset_connection()

    def _publish(self, image_id: str, blob: str, name: str | None = None, tone: str | None = None) -> None:
        from ..queue.messages import UploadMessage
        from ..queue.producer import PublishError

        retry = {"Retry-After": "5"}
        if self.publisher is None:
            raise ApiError(
                503,
                "queue_unavailable",
                f"not connected to the Kafka brokers ({self._broker}); upload again later",
                headers=retry,
                image_id=image_id,
            )
        msg = UploadMessage(id=image_id, uri=self.svc.blobs.uri(blob), name=name, tone=tone)
        try:
            self.publisher.send_and_wait(self.kafka.topic, image_id, msg.to_bytes(), timeout_s=self.PUBLISH_TIMEOUT_S)
        except PublishError as exc:
            raise ApiError(
                503, "queue_unavailable", f"the upload could not be queued: {exc}", headers=retry, image_id=image_id
            ) from exc

    def submit(
        self, *, image_id: str, sha256: str, source: str, blob: str, submitted_by: str, tone: str | None = None
    ) -> None:
        jobs = self.svc.jobs
        if not jobs.enqueue(
            image_id=image_id,
            sha256=sha256,
            source=source,
            blob=blob,
            submitted_by=submitted_by,
            tone=tone,
            external=True,
        ):
            jobs.requeue(image_id, tone, external=True)
        try:
            self._publish(image_id, blob, source, tone)
        except ApiError as exc:
            jobs.abandon(image_id, exc.message)  # the next upload of these bytes publishes again
            raise

    def resubmit(self, image_id: str, blob: str) -> None:
        """Publish again: a crash between the pending row and the publish must not strand the job.
        Workers write results idempotently by id, so a second message costs at most a cache lookup
        (in the job's tone: results are cached per tone)."""
        try:
            self._publish(image_id, blob, tone=self.svc.jobs.tone_of(image_id))
        except ApiError as exc:
            log.warning("re-publishing %s failed: %s", image_id, exc.message)

    def recheck(self, rec: ImageRecord, blob: str) -> ImageRecord:
        """The fleet re-checks: the worker's cached result is matched against the current hash lists
        (and blocked, with its bytes quarantined, when a list now matches). Answers the stored record."""
        if rec.status is not Status.blocked and self.svc.blobs.has(rec.sha256):
            self.resubmit(rec.id, blob)
        return rec

    def decided(self, rec: ImageRecord) -> None:
        """Review decisions go to the results topic too, so its consumers see the final status."""
        if self.publisher is not None and self.kafka.results_topic:
            self.publisher.send(self.kafka.results_topic, rec.id, rec.to_json().encode())

    def checks(self) -> dict[str, str]:
        return {"kafka": self._broker}

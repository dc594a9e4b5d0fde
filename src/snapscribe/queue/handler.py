"""One upload message, start to finish: parse, fetch, pipeline, store, publish — or dead-letter.

Two kinds of failure, kept apart:

* the message's fault (not JSON, missing or corrupt file): a bounded number of tries
  for the kinds that may heal (``RETRYABLE``), then an ``error`` row (when the id is
  known), the error record on the results topic, and a dead letter with the reason;
* the infrastructure's fault (database unavailable, broker not acknowledging): retried
  with capped exponential backoff for as long as it takes, never dead-lettered. Only a
  shutdown that runs out of patience ends the wait, with :class:`Abandoned`, and then
  the message is simply not committed.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ..blobs import UploadBlobs
from ..config import Settings
from ..errors import IntakeError
from ..logs import job_id
from ..memory import BIG_INPUT_BYTES, BIG_INPUT_PIXELS, release_memory
from ..pipeline import Pipeline, Upload
from ..records import ErrorInfo, ImageRecord, Status, image_id_for
from ..store.db import is_unavailable
from .events import EventLog, Stats
from .fetch import load_bytes
from .messages import BadMessage, DeadLetter, UploadMessage
from .producer import Publisher, PublishError

T = TypeVar("T")

# Error codes that may heal on a later try (a lagging shared filesystem, a flaky endpoint).
RETRYABLE = frozenset({"unreadable_file", "fetch_timeout", "engine_error", "internal_error"})


MIN_DEAD_LETTER_BYTES = 4096  # the second try for a dead letter the broker refused as too large


class Abandoned(Exception):
    """Shutdown gave up waiting for the infrastructure; the message stays uncommitted."""


@dataclass(frozen=True)
class RawMessage:
    """The parts of a consumed Kafka message the handler needs."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True)
class Outcome:
    image_id: str | None
    status: str  # a Status value
    dead_letter: bool = False
    cached: bool = False


@dataclass(frozen=True)
class _Failure:
    code: str
    message: str
    image_id: str | None
    record: ImageRecord | None = None  # the pipeline's stored error record, when it made one
    source: str | None = None
    sha256: str = ""

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE


class MessageHandler:
    """Processes upload messages; safe to call from several threads at once."""

    def __init__(
        self,
        settings: Settings,
        pipeline: Pipeline,
        publisher: Publisher | None,
        *,
        worker_id: str,
        events: EventLog,
        stats: Stats,
        blobs: UploadBlobs | None = None,
    ):
        if pipeline.store is None:
            raise ValueError("the worker's pipeline needs a result store")
        self.settings = settings
        self.kafka = settings.kafka
        self.pipeline = pipeline
        self.store = pipeline.store
        self.publisher = publisher
        self.worker_id = worker_id
        self.events = events
        self.stats = stats
        self.blobs = blobs  # the fleet's blob store: s3:// reads, quarantine of blocked uploads
        self.abandon = threading.Event()  # set by a shutdown that stops waiting for infrastructure

    # -- the message -------------------------------------------------------------------
    def handle(self, raw: RawMessage) -> Outcome:
        """Process one message; every event and log line meanwhile carries ``job_id`` topic/partition/offset."""
        token = job_id.set(_kafka_ref(raw).removeprefix("kafka://"))
        try:
            return self._handle(raw)
        finally:
            job_id.reset(token)

    def _handle(self, raw: RawMessage) -> Outcome:
        attempt = 0
        while True:
            attempt += 1
            result = self._attempt(raw)
            if isinstance(result, ImageRecord):
                self._settle(result.id)
                self._publish_result(result)
                self.stats.add("processed")
                self.stats.add(result.status.value)
                if result.cached:
                    self.stats.add("cached")
                return Outcome(result.id, result.status.value, cached=result.cached)
            failure = result
            if failure.retryable and attempt < self.kafka.max_attempts:
                self.stats.add("retries")
                self.events.emit(
                    "retry",
                    image_id=failure.image_id,
                    code=failure.code,
                    attempt=attempt,
                    partition=raw.partition,
                    offset=raw.offset,
                )
                self._sleep(self._backoff(attempt))
                continue
            return self._dead_letter(raw, failure, attempt)

    def _attempt(self, raw: RawMessage) -> ImageRecord | _Failure:
        try:
            msg = UploadMessage.parse(raw.value, raw.key)
            data = load_bytes(msg, self.settings.intake, self.settings.fetch, self.blobs.store if self.blobs else None)
        except BadMessage as exc:
            return _Failure(exc.code, exc.message, exc.image_id)
        except IntakeError as exc:
            return _Failure(exc.code, exc.message, msg.id, source=msg.uri)
        sha = hashlib.sha256(data).hexdigest()
        if image_id_for(sha) != msg.id:
            return _Failure(
                "id_mismatch",
                f"the bytes at {msg.uri} hash to id {image_id_for(sha)}, not {msg.id}"
                " (changed since it was submitted?)",
                msg.id,
                source=msg.uri,
                sha256=sha,
            )
        pipeline = self.pipeline.with_tone(msg.tone)
        record = self._infra("pipeline", lambda: pipeline.process(Upload(source=msg.name or msg.uri, data=data)))
        attrs = record.attributes
        if len(data) >= BIG_INPUT_BYTES or (attrs is not None and attrs.width * attrs.height >= BIG_INPUT_PIXELS):
            release_memory()  # one huge image must not leave the worker hundreds of MB larger
        if record.status is Status.blocked:
            self._quarantine(msg.uri, record.id)
        if record.status is Status.error:
            err = record.error or ErrorInfo(code="internal_error", message="no error details")
            return _Failure(err.code, err.message, record.id, record=record, source=msg.uri, sha256=sha)
        return record

    # -- dead letters ------------------------------------------------------------------
    def _dead_letter(self, raw: RawMessage, failure: _Failure, attempts: int) -> Outcome:
        record, image_id = failure.record, failure.image_id
        if record is None and image_id is not None:
            existing = self._infra("read", lambda: self.store.get(image_id))
            if existing is not None and existing.status is not Status.error:
                # The image already has a result, which a failure never overwrites. A source that
                # has gone since (an earlier copy of this message got through) is no failure at all;
                # a malformed message still goes to the DLQ.
                if failure.code != "bad_message":
                    self._settle(existing.id)
                    self._publish_result(existing)
                    self.stats.add("processed")
                    self.stats.add("already_done")
                    return Outcome(existing.id, existing.status.value, cached=True)
            else:
                record = ImageRecord(
                    id=failure.image_id,
                    source=failure.source or _kafka_ref(raw),
                    sha256=failure.sha256,
                    status=Status.error,
                    error=ErrorInfo(code=failure.code, message=failure.message),
                )
                self._infra("store", lambda: self.store.put(record, self.pipeline.config_key))
        if record is not None:
            self._settle(record.id)
            self._publish_result(record)
        fields = {
            "reason": failure.code,
            "message": failure.message,
            "image_id": failure.image_id,
            "attempts": attempts,
            "worker": self.worker_id,
        }
        if self.publisher is not None and self.kafka.dlq_topic:
            self._send_dead_letter(raw, fields)
        self.stats.add("processed")
        self.stats.add("error")
        self.stats.add("dead_letters")
        self.events.emit(
            "dead_letter",
            image_id=failure.image_id,
            reason=failure.code,
            message=failure.message,
            attempts=attempts,
            partition=raw.partition,
            offset=raw.offset,
        )
        return Outcome(failure.image_id, Status.error.value, dead_letter=True)

    def _send_dead_letter(self, raw: RawMessage, fields: dict) -> None:
        """Publish a dead letter that fits the broker; one refused as too big is sent again with only an
        excerpt of the original (topic/partition/offset, size and sha256 still point at all of it), never
        retried as if the broker were down."""
        assert self.publisher is not None
        headers = {"snapscribe.reason": fields["reason"]}
        for limit in (self.kafka.dead_letter_max_bytes, MIN_DEAD_LETTER_BYTES):
            letter = DeadLetter.bounded(
                limit,
                raw_topic=raw.topic,
                partition=raw.partition,
                offset=raw.offset,
                key=raw.key,
                value=raw.value,
                **fields,
            ).to_bytes()

            def send(letter: bytes = letter) -> tuple[int, int]:
                assert self.publisher is not None
                return self.publisher.send_and_wait(
                    self.kafka.dlq_topic, raw.key, letter, headers=headers, abort=self.abandon
                )

            try:
                self._infra("dlq", send)
                return
            except PublishError as exc:  # permanent: _infra retries everything else
                self.events.emit(
                    "dead_letter_refused",
                    partition=raw.partition,
                    offset=raw.offset,
                    bytes=len(letter),
                    error=str(exc)[:300],
                )
        self.stats.add("dead_letters_unpublished")

    # -- infrastructure ----------------------------------------------------------------
    def _settle(self, image_id: str) -> None:
        """Finish the API's pending job for this image, when the upload came through ``snapscribe serve``."""
        self._infra("settle", lambda: self.store.settle_job(image_id))

    def _quarantine(self, uri: str, image_id: str) -> None:
        """Move a blocked upload's bytes out of the served area (the record is stored either way)."""
        if self.blobs is None:
            return
        try:
            self.blobs.quarantine_uri(uri, image_id)
        except Exception as exc:  # noqa: BLE001 - the store may be down; the blocked record never serves bytes
            self.events.emit("quarantine_failed", image_id=image_id, error=f"{type(exc).__name__}: {exc}"[:300])

    def _publish_result(self, record: ImageRecord) -> None:
        if self.publisher is None or not self.kafka.results_topic:
            return
        value = record.to_json().encode()
        try:
            self._infra(
                "results",
                lambda: self.publisher.send_and_wait(  # type: ignore[union-attr]
                    self.kafka.results_topic, record.id, value, abort=self.abandon
                ),
            )
        except PublishError as exc:  # permanent (e.g. over the size limit): the row is stored; do not wedge
            self.stats.add("results_unpublished")
            self.events.emit("result_refused", image_id=record.id, bytes=len(value), error=str(exc)[:300])

    def _infra(self, what: str, call: Callable[[], T]) -> T:
        """Run ``call``, retrying database and broker outages with capped backoff until it works."""
        tries = 0
        while True:
            try:
                return call()
            except Exception as exc:
                if not (is_unavailable(exc) or isinstance(exc, PublishError)):
                    raise
                if isinstance(exc, PublishError) and exc.permanent:
                    raise  # this message can never be published: retrying would wedge the partition
                tries += 1
                if not isinstance(exc, PublishError):
                    self.store.db.reset_connection()  # this thread's connection may be dead
                self.stats.add("transient_errors")
                delay = min(self.kafka.retry_backoff_s * 2 ** min(tries - 1, 16), self.kafka.retry_backoff_max_s)
                self.events.emit(
                    "transient_error",
                    during=what,
                    error=f"{type(exc).__name__}: {exc}".strip()[:300],
                    tries=tries,
                    retry_in_s=round(delay, 2),
                )
                if self.abandon.is_set():
                    raise Abandoned(what) from exc
                self._sleep(delay)
                if self.abandon.is_set():
                    raise Abandoned(what) from exc

    def _backoff(self, attempt: int) -> float:
        return min(self.kafka.retry_backoff_s * 2 ** (attempt - 1), self.kafka.retry_backoff_max_s)

    def _sleep(self, seconds: float) -> None:
        self.abandon.wait(seconds)


def _kafka_ref(raw: RawMessage) -> str:
    return f"kafka://{raw.topic}/{raw.partition}/{raw.offset}"

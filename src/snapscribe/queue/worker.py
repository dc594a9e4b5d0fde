"""The worker: a consumer-group member that runs the pipeline and commits only what is durable.

The main thread owns the consumer: it polls, dispatches messages to a pool of
``concurrency`` threads (plus ``prefetch`` queued), pauses the partitions while that is
full (so polling, and with it group membership, never stops), commits each partition's
contiguous finished offsets (:mod:`.offsets`), and logs progress with throughput and lag.
A message is finished only after its result row is written and its records are
acknowledged by the broker, so a crash at any point means redelivery, never loss;
idempotent writes by image id make redelivery harmless.
"""

from __future__ import annotations

import os
import queue
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..pipeline import Pipeline, build_pipeline
from ..store import Database, ResultStore
from ..store.db import is_storage_failure, is_unavailable
from .broker import ensure_topics
from .events import EventLog, Stats, kafka_logger
from .handler import Abandoned, MessageHandler, Outcome, RawMessage
from .health import HealthServer, HealthState
from .offsets import OffsetBook, PartitionOffsets
from .producer import Publisher

if TYPE_CHECKING:
    from confluent_kafka import Consumer

# Exit statuses of :meth:`Worker.run` (and of ``snapscribe worker``).
EXIT_OK = 0  # stopped on request, everything finished committed
EXIT_FAILED = 1  # a message's handling raised an unexpected error
EXIT_FATAL_CONDITION = 3  # a fatal condition lasted kafka.fatal_after_s (restart the process)


ERROR_LOG_EVERY_S = 5.0  # a repeated client error (same code) is logged at most this often
PUBLISH_STALL_S = 5.0  # sends waiting this long with no acknowledgement count as a stall (then fatal_after_s)


class FatalCondition(RuntimeError):
    """A condition the process cannot recover from by itself (a fatal client error, a stuck group)."""


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Worker:
    """One worker process's consumer loop. :meth:`run` returns the exit status."""

    def __init__(
        self,
        settings: Settings,
        db_url: str,
        *,
        worker_id: str | None = None,
        events: EventLog | None = None,
        create_topics: bool = True,
        pipeline: Pipeline | None = None,
    ):
        self.settings = settings
        self.kafka = settings.kafka
        self.db_url = db_url
        self.worker_id = worker_id or default_worker_id()
        self.events = events or EventLog(self.worker_id)
        self.create_topics = create_topics
        self.stats = Stats()
        self.book = OffsetBook()
        self._pipeline = pipeline
        self._stopping = threading.Event()
        self._fatal: BaseException | None = None
        self._done: queue.Queue[tuple[PartitionOffsets, int, Future]] = queue.Queue()
        self._paused = False
        self._resync = False  # set on rebalance: re-apply pause/resume to the new assignment
        self._consumer: Consumer | None = None
        self._handler: MessageHandler | None = None
        self._publisher: Publisher | None = None
        self._conditions: dict[str, float] = {}  # fatal condition -> since (monotonic)
        self._unassigned_lag: tuple[float, int] | None = None  # (since, group lag then) while unassigned
        self._group_lag: int | None = None
        self._lag: dict[int, int] = {}
        self._last_commit_at: float | None = None
        self._exit_status = EXIT_OK
        self._error_logged: dict[int, float] = {}  # error code -> when it was last logged
        self._lag_reader: Any = None  # a consumer outside the group, for the group's lag while unassigned
        self._joined = False
        self._revoked_at: float | None = None  # the last revocation, until the next assignment
        self.health: HealthServer | None = None

    @property
    def _member(self) -> Consumer:
        """The group's consumer, which :meth:`run` creates."""
        assert self._consumer is not None, "the worker has no consumer before run()"
        return self._consumer

    @property
    def _running(self) -> MessageHandler:
        """The message handler, which :meth:`run` creates."""
        assert self._handler is not None, "the worker has no handler before run()"
        return self._handler

    def request_stop(self) -> None:
        """Drain and leave the group (SIGTERM). A second request stops waiting for the infrastructure."""
        if self._stopping.is_set() and self._handler is not None:
            self._handler.abandon.set()
        self._stopping.set()

    # -- setup -------------------------------------------------------------------------
    def _until_ready(self, what: str, call):
        """Run a startup step, retrying while the database or the broker is unreachable."""
        from confluent_kafka import KafkaException

        tries = 0
        while True:
            try:
                return call()
            except Exception as exc:
                if not (is_unavailable(exc) or isinstance(exc, KafkaException)) or self._stopping.is_set():
                    raise
                tries += 1
                delay = min(self.kafka.retry_backoff_s * 2 ** min(tries - 1, 16), self.kafka.retry_backoff_max_s)
                self.events.emit(
                    "transient_error",
                    during=what,
                    error=f"{type(exc).__name__}: {exc}"[:300],
                    tries=tries,
                    retry_in_s=round(delay, 2),
                )
                self._stopping.wait(delay)

    def _consumer_config(self) -> dict:
        k = self.kafka
        return {
            "bootstrap.servers": k.brokers,
            "group.id": k.group,
            "client.id": self.worker_id,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": k.session_timeout_ms,
            "heartbeat.interval.ms": max(500, k.session_timeout_ms // 4),
            "max.poll.interval.ms": k.max_poll_interval_ms,
            "on_commit": self._on_commit,
            "error_cb": self._on_client_error,
            "logger": kafka_logger(self.events),
            **k.client,
        }

    # -- the loop ----------------------------------------------------------------------
    def run(self) -> int:
        from confluent_kafka import Consumer

        k = self.kafka
        started = time.monotonic()
        store = self._until_ready("connect", lambda: ResultStore(Database(self.db_url)))
        pipeline = self._pipeline or build_pipeline(self.settings, store)
        if self.create_topics:
            self._until_ready(
                "create_topics",
                lambda: ensure_topics(
                    k.brokers, {k.topic: k.partitions, k.results_topic: k.partitions, k.dlq_topic: 1}, k.client
                ),
            )
        if k.health_port and self.health is None:
            self.health = HealthServer(k.health_host, k.health_port, self.worker_id).start()
            self.events.emit("health_listening", url=f"http://{k.health_host}:{self.health.port}/")
        publisher = None
        if k.results_topic or k.dlq_topic:
            publisher = self._publisher = Publisher(k.brokers, k.client, logger=kafka_logger(self.events))
        from ..blobs import UploadBlobs, open_blobs

        self._handler = MessageHandler(
            self.settings,
            pipeline,
            publisher,
            worker_id=self.worker_id,
            events=self.events,
            stats=self.stats,
            blobs=UploadBlobs(open_blobs(self.settings.blobs_url())),
        )
        consumer = self._consumer = Consumer(self._consumer_config())
        consumer.subscribe([k.topic], on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_lost)
        self.events.emit(
            "started",
            topic=k.topic,
            group=k.group,
            concurrency=k.concurrency,
            db=_redact(self.db_url),
            startup_s=round(time.monotonic() - started, 2),
        )
        # A remote VLM's requests wait on the network: its slots come on top of the CPU concurrency.
        self._slots = k.concurrency + getattr(pipeline, "remote_slots", 0)
        pool = ThreadPoolExecutor(self._slots, thread_name_prefix="snapscribe-worker")
        self._pool = pool
        last_commit = last_progress = time.monotonic()
        try:
            while not self._stopping.is_set() and self._fatal is None:
                msg = consumer.poll(0.05 if self.book.in_flight else 0.5)
                self._collect()
                if msg is not None:
                    if msg.error():
                        self._on_error(msg.error())
                    else:
                        self._dispatch(msg)
                self._flow_control()
                now = time.monotonic()
                if now - last_commit >= k.commit_interval_s:
                    self._commit()
                    last_commit = now
                if now - last_progress >= k.progress_interval_s:
                    self._progress()
                    last_progress = now
                self._check_conditions(now)
                self._publish_health(now)
        finally:
            status = self._shutdown(consumer, pool, publisher)
        return status

    def _dispatch(self, msg) -> None:
        tracker = self.book.get(msg.topic(), msg.partition())
        if tracker is None:  # not ours (any more): it will be redelivered to the owner
            return
        tracker.start(msg.offset())
        self.stats.add("received")
        raw = RawMessage(msg.topic(), msg.partition(), msg.offset(), msg.key(), msg.value())
        future = self._pool.submit(self._running.handle, raw)
        offset = raw.offset
        future.add_done_callback(lambda f: self._done.put((tracker, offset, f)))

    def _collect(self, block_s: float = 0.0) -> None:
        """Mark finished messages; a message whose handling failed is never marked (and stops the worker)."""
        while True:
            try:
                tracker, offset, future = self._done.get(timeout=block_s) if block_s else self._done.get_nowait()
            except queue.Empty:
                return
            block_s = 0.0
            if future.cancelled():
                continue  # never started (shutdown): stays uncommitted
            exc = future.exception()
            if exc is None:
                outcome: Outcome = future.result()
                tracker.finish(offset)
                if not tracker.revoked:
                    continue
                self.events.emit(
                    "finished_after_revoke", partition=tracker.partition, offset=offset, image_id=outcome.image_id
                )
            elif isinstance(exc, Abandoned):
                self.events.emit("abandoned", partition=tracker.partition, offset=offset, during=str(exc))
            else:
                tracker.fail(offset)  # uncommitted for good; the drain does not wait for it
                extra = {"condition": "storage_failure"} if is_storage_failure(exc) else {}
                self.events.emit(
                    "fatal",
                    partition=tracker.partition,
                    offset=offset,
                    error=f"{type(exc).__name__}: {exc}"[:500],
                    **extra,
                )
                self._fatal = exc
                self._exit_status = EXIT_FAILED

    def _flow_control(self) -> None:
        """Pause every assigned partition while the pool is full, resume when it is not.

        After a rebalance the pause state is set again explicitly on the whole assignment:
        librdkafka may keep a partition paused across a lost/reassigned generation.
        """
        full = self.book.in_flight >= getattr(self, "_slots", self.kafka.concurrency) + self.kafka.prefetch
        if full == self._paused and not self._resync:
            return
        parts = self._member.assignment()
        if parts:
            (self._member.pause if full else self._member.resume)(parts)
        self._paused, self._resync = full, False

    # -- offsets -----------------------------------------------------------------------
    def _commit(self, trackers: list[PartitionOffsets] | None = None, *, wait: bool = False) -> None:
        """Commit the finished prefix of each partition. The loop's periodic commits are
        asynchronous (``wait=False``): a broker that stops answering must not stall the loop,
        or the worker could not notice its session expire; :meth:`_on_commit` records what
        the broker accepted. Revocation and shutdown wait for the answer."""
        from confluent_kafka import KafkaError, KafkaException, TopicPartition

        pending = [
            (t, upto)
            for t in (trackers if trackers is not None else self.book.to_commit())
            if (upto := t.uncommitted()) is not None
        ]
        if not pending:
            return
        offsets = [TopicPartition(t.topic, t.partition, upto) for t, upto in pending]
        result: list[TopicPartition] | None
        try:
            if wait:
                result = self._member.commit(offsets=offsets, asynchronous=False)
            else:
                result = self._member.commit(offsets=offsets, asynchronous=True)
        except KafkaException as exc:
            err = exc.args[0]
            if err.code() != KafkaError._NO_OFFSET:
                self.events.emit("commit_failed", error=str(err), retriable=err.retriable())
            return
        if wait:
            self._record_commits(result or [])

    def _on_commit(self, err, partitions) -> None:
        """librdkafka's commit callback (served by poll, on the loop's thread)."""
        from confluent_kafka import KafkaError

        if err is not None and err.code() != KafkaError._NO_OFFSET:
            self.events.emit("commit_failed", error=str(err), retriable=err.retriable())
            return
        self._record_commits(partitions or [])

    def _record_commits(self, partitions) -> None:
        for tp in partitions:
            t = self.book.get(tp.topic, tp.partition)
            if t is None:
                continue  # revoked since
            if tp.error is not None:
                self.events.emit("commit_failed", partition=tp.partition, error=str(tp.error))
            elif tp.offset >= 0 and (t.committed is None or tp.offset > t.committed):
                t.mark_committed(tp.offset)  # async answers may arrive out of order: only forward
                self._last_commit_at = time.monotonic()

    # -- rebalancing -------------------------------------------------------------------
    def _on_assign(self, consumer, partitions) -> None:
        self._joined, self._revoked_at = True, None
        for tp in partitions:
            self.book.assign(tp.topic, tp.partition)
        self._resync = True
        self.events.emit("assigned", partitions=sorted(tp.partition for tp in partitions))

    def _on_revoke(self, consumer, partitions) -> None:
        """Finish what is in flight on the revoked partitions (within the rebalance timeout), commit, let go."""
        trackers = [t for tp in partitions if (t := self.book.get(tp.topic, tp.partition)) is not None]
        deadline = time.monotonic() + max(1.0, self.kafka.max_poll_interval_ms / 1000 * 0.7)
        while any(t.in_flight for t in trackers) and time.monotonic() < deadline and self._fatal is None:
            self._collect(block_s=0.05)
        self._commit(trackers, wait=True)
        left = sum(t.in_flight for t in trackers)
        for tp in partitions:
            self.book.revoke(tp.topic, tp.partition)
        self._resync = True
        self._revoked_at = time.monotonic()
        self.events.emit(
            "revoked",
            partitions=sorted(tp.partition for tp in partitions),
            committed={t.partition: t.committed for t in trackers},
            left_in_flight=left,
        )

    def _on_lost(self, consumer, partitions) -> None:
        for tp in partitions:
            self.book.revoke(tp.topic, tp.partition)
        self._resync = True
        self._revoked_at = time.monotonic()
        self.events.emit("lost", partitions=sorted(tp.partition for tp in partitions))

    def _on_error(self, err) -> None:
        from confluent_kafka import KafkaError

        if err.code() == KafkaError._PARTITION_EOF:
            return
        self.events.emit("kafka_error", error=str(err), fatal=err.fatal(), retriable=err.retriable())
        if err.fatal():
            self._condition("consumer_fatal", str(err))

    def _on_client_error(self, err) -> None:
        """librdkafka's error callback for the consumer (served by poll, on the loop's thread).
        The same error is logged at most every few seconds: a broker that is down repeats it per try."""
        now = time.monotonic()
        if err.fatal() or now - self._error_logged.get(err.code(), -1e9) >= ERROR_LOG_EVERY_S:
            self._error_logged[err.code()] = now
            self.events.emit("kafka_error", error=str(err), fatal=err.fatal(), retriable=err.retriable())
        if err.fatal():
            self._condition("consumer_fatal", str(err))

    # -- fatal conditions ------------------------------------------------------------------
    def _condition(self, name: str, detail: str, since: float | None = None) -> None:
        if name not in self._conditions:
            self._conditions[name] = since if since is not None else time.monotonic()
            self.events.emit("fatal_condition", condition=name, detail=detail[:300], exit_in_s=self.kafka.fatal_after_s)

    def _clear(self, name: str) -> None:
        if self._conditions.pop(name, None) is not None:
            self.events.emit("fatal_condition_cleared", condition=name)

    def _check_conditions(self, now: float) -> None:
        """Stop (status 3) once any fatal condition has lasted ``kafka.fatal_after_s``: a fatal
        client error never heals in this process, and a supervisor can only restart a process that exits."""
        pub = self._publisher
        if pub is not None and pub.fatal is not None:
            self._condition("producer_fatal", pub.fatal, pub.fatal_at)
        stalled = pub.stalled_since() if pub is not None else None
        if stalled is not None and now - stalled >= PUBLISH_STALL_S:
            self._condition("publish_stalled", "records are waiting and none has been acknowledged", stalled)
        else:  # deliveries flow again (or nothing waits)
            self._clear("publish_stalled")
        for name, since in self._conditions.items():
            if now - since >= self.kafka.fatal_after_s and self._fatal is None:
                self._fatal = FatalCondition(f"{name} for {now - since:.1f}s")
                self._exit_status = EXIT_FATAL_CONDITION
                self.events.emit("fatal", condition=name, lasted_s=round(now - since, 2))
                if self._handler is not None:
                    self._handler.abandon.set()  # in-flight messages stay uncommitted, for the next owner

    def _watch_unassigned(self, now: float) -> None:
        """No partitions while the group's lag stays above zero and does not fall: nobody is consuming
        (a group stuck after a broker restart). An unassigned worker in a healthy group sees lag fall."""
        if not self._joined:  # joining takes a while: judged only once the group has taken this member in
            try:
                self._joined = bool(self._member.memberid())
            except Exception:  # noqa: BLE001 - not joined yet
                self._joined = False
        k = self.kafka
        rebalancing = self._revoked_at is not None and (
            now - self._revoked_at < (k.max_poll_interval_ms + k.session_timeout_ms) / 1000
        )
        if self.book.parts or not self._joined or rebalancing:  # a rebalance in progress is no stuck group
            self._unassigned_lag, self._group_lag = None, None
            self._clear("unassigned_with_lag")
            return
        lag = self._group_lag = self._topic_lag()
        if lag is None:
            return
        if lag == 0:
            self._unassigned_lag = None
            self._clear("unassigned_with_lag")
            return
        if self._unassigned_lag is None or lag < self._unassigned_lag[1]:
            self._unassigned_lag = (now, lag)
            self._clear("unassigned_with_lag")
        elif now - self._unassigned_lag[0] >= self.kafka.progress_interval_s:
            self._condition(
                "unassigned_with_lag",
                f"no partitions; the group's lag is {lag} and not falling",
                self._unassigned_lag[0],
            )

    def _topic_lag(self) -> int | None:
        """The whole topic's high watermarks minus the group's committed offsets (None if unknown).

        Asked through a second consumer that never joins the group: a member's own offset fetch
        stalls while the group rebalances, which is exactly when this is needed."""
        from confluent_kafka import Consumer, TopicPartition

        try:
            if self._lag_reader is None:
                self._lag_reader = Consumer(
                    {
                        "bootstrap.servers": self.kafka.brokers,
                        "group.id": self.kafka.group,
                        "client.id": f"{self.worker_id}-lag",
                        "enable.auto.commit": False,
                        "logger": kafka_logger(self.events),
                        **self.kafka.client,
                    }
                )
            reader = self._lag_reader
            meta = reader.list_topics(self.kafka.topic, timeout=3).topics.get(self.kafka.topic)
            if meta is None or meta.error is not None or not meta.partitions:
                return None
            parts = [TopicPartition(self.kafka.topic, p) for p in meta.partitions]
            committed = {tp.partition: tp.offset for tp in reader.committed(parts, timeout=3)}
            total = 0
            for tp in parts:
                low, high = reader.get_watermark_offsets(tp, timeout=3, cached=False)
                done = committed.get(tp.partition, -1)
                total += max(0, high - (done if done >= 0 else max(low, 0)))
            return total
        except Exception:  # noqa: BLE001 - broker unreachable: the next progress line tries again
            return None

    def _publish_health(self, now: float, stopping: bool = False) -> None:
        if self.health is None:
            return
        self.health.state = HealthState(
            started=True,
            stopping=stopping or self._stopping.is_set(),
            loop_at=now,
            assigned=tuple(sorted(p for _, p in self.book.parts)),
            lag=dict(self._lag),
            group_lag=self._group_lag,
            in_flight=self.book.in_flight,
            last_commit_at=self._last_commit_at,
            counts=dict(self.stats.counts),
            conditions=dict(self._conditions),
        )

    # -- health ------------------------------------------------------------------------
    def _partition_lag(self) -> dict[int, int]:
        """Messages not yet finished per partition: high watermark (from the last fetch) minus position."""
        from confluent_kafka import TopicPartition

        lag: dict[int, int] = {}
        unknown: dict[int, tuple[int, int]] = {}
        for t in list(self.book.parts.values()):
            try:
                low, high = self._member.get_watermark_offsets(TopicPartition(t.topic, t.partition), cached=True)
            except Exception:  # noqa: BLE001 - not fetched yet
                continue
            if high < 0:
                continue
            if t.position is not None:
                lag[t.partition] = max(0, high - t.position)
            else:
                unknown[t.partition] = (low, high)
        if unknown:  # nothing consumed here since the assignment: measure from the committed offset
            try:
                got = self._member.committed([TopicPartition(self.kafka.topic, p) for p in unknown], timeout=2)
            except Exception:  # noqa: BLE001 - the next progress line tries again
                got = []
            for tp in got:
                low, high = unknown[tp.partition]
                lag[tp.partition] = max(0, high - (tp.offset if tp.offset >= 0 else max(low, 0)))
        return lag

    def _progress(self) -> None:
        lag = self._lag = self._partition_lag()
        self._watch_unassigned(time.monotonic())
        assigned = sorted(p for _, p in self.book.parts)
        extra = {} if assigned else {"group_lag": self._group_lag}  # own lag is meaningless with no partitions
        self.events.emit(
            "progress",
            **self.stats.snapshot(),
            in_flight=self.book.in_flight,
            assigned=assigned,
            lag=sum(lag.values()) if assigned else None,
            lag_by_partition=lag,
            paused=self._paused,
            **extra,
            last_commit_age_s=None
            if self._last_commit_at is None
            else round(time.monotonic() - self._last_commit_at, 2),
        )

    # -- shutdown ----------------------------------------------------------------------
    def _shutdown(self, consumer, pool: ThreadPoolExecutor, publisher: Publisher | None) -> int:
        reason = "fatal" if self._fatal is not None else "stop"
        self.events.emit("draining", reason=reason, in_flight=self.book.in_flight)
        parts = consumer.assignment()
        if parts:
            consumer.pause(parts)
        deadline = time.monotonic() + self.kafka.drain_timeout_s
        while self.book.in_flight and time.monotonic() < deadline:
            consumer.poll(0.05)  # keeps the membership alive; paused partitions deliver nothing new
            self._collect(block_s=0.05)
            if self._running.abandon.is_set():
                break
        if self.book.in_flight:
            self._running.abandon.set()
        self._commit(wait=True)
        left, failed = self.book.in_flight, self.book.failed
        consumer.close()  # revokes (committing again, a no-op) and leaves the group
        if self._lag_reader is not None:
            self._lag_reader.close()
        pool.shutdown(wait=True, cancel_futures=True)
        undelivered = 0
        if publisher is not None:
            undelivered = publisher.close(5.0 if self._exit_status == EXIT_FATAL_CONDITION else 30.0)
        status = self._exit_status if self._fatal is not None else EXIT_OK
        self.events.emit(
            "stopped",
            reason=reason,
            status=status,
            uncommitted_in_flight=left,
            uncommitted_failed=failed,
            undelivered=undelivered,
            **self.stats.snapshot(),
        )
        self._publish_health(time.monotonic(), stopping=True)
        if self.health is not None:
            self.health.close()
        return status


def _redact(url: str) -> str:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url

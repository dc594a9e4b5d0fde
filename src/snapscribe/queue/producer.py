"""Publishing: a thread-safe producer whose sends can be awaited, and upload messages for files."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from concurrent.futures import Future
from pathlib import Path

from ..config import IntakeConfig
from ..errors import IntakeError
from ..intake import read_source
from ..records import image_id_for
from .fetch import path_to_uri
from .messages import UploadMessage


class PublishError(Exception):
    """The broker did not acknowledge a message.

    Transient unless ``permanent`` (this message can never be published, e.g. it is over the
    broker's size limit: retrying it would wedge the partition) or ``fatal`` (the producer
    itself is unusable, e.g. an idempotence sequence error: only a new process helps).
    """

    def __init__(self, message: str, *, permanent: bool = False, fatal: bool = False):
        super().__init__(message)
        self.permanent, self.fatal = permanent, fatal


def _permanent_codes() -> frozenset[int]:
    from confluent_kafka import KafkaError

    names = (
        "MSG_SIZE_TOO_LARGE",
        "_MSG_SIZE_TOO_LARGE",
        "INVALID_MSG_SIZE",
        "RECORD_LIST_TOO_LARGE",
        "INVALID_RECORD",
        "TOPIC_AUTHORIZATION_FAILED",
        "_INVALID_ARG",
    )
    return frozenset(getattr(KafkaError, n) for n in names if hasattr(KafkaError, n))


def publish_error(topic: str, err) -> PublishError:
    """A :class:`PublishError` classified from a librdkafka ``KafkaError``."""
    return PublishError(f"{topic}: {err}", permanent=err.code() in _permanent_codes(), fatal=err.fatal())


class Publisher:
    """An idempotent ``acks=all`` producer; :meth:`send` returns a future resolved on delivery.

    ``fatal`` holds the first fatal client error (the producer cannot send again) and
    ``fatal_at`` when it came; the worker turns a lasting one into a non-zero exit.
    """

    def __init__(self, brokers: str, client: dict[str, str] | None = None, *, linger_ms: int = 5, logger=None):
        from confluent_kafka import Producer

        self.fatal: str | None = None
        self.fatal_at: float | None = None
        self._lock = threading.Lock()
        self._pending: dict[int, float] = {}  # send number -> when it was queued
        self._sent = 0
        self.last_ok_at = time.monotonic()
        extra = {"logger": logger} if logger is not None else {}
        self._producer = Producer(
            {
                **extra,
                "bootstrap.servers": brokers,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": linger_ms,
                "message.timeout.ms": 30000,
                "socket.keepalive.enable": True,
                "error_cb": self._on_error,
                **(client or {}),
            }
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="snapscribe-producer", daemon=True)
        self._thread.start()

    def _on_error(self, err) -> None:
        if err.fatal() and self.fatal is None:
            self.fatal, self.fatal_at = str(err), time.monotonic()

    def _serve(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(0.1)

    def send(
        self, topic: str, key: str | bytes | None, value: bytes, headers: dict[str, str] | None = None
    ) -> Future[tuple[int, int]]:
        """Queue a message; the future gives (partition, offset) or raises :class:`PublishError`."""
        future: Future[tuple[int, int]] = Future()
        with self._lock:
            self._sent += 1
            token = self._sent
            self._pending[token] = time.monotonic()

        def delivered(err, msg) -> None:
            with self._lock:
                self._pending.pop(token, None)
                if err is None:
                    self.last_ok_at = time.monotonic()
            if err is not None:
                if err.fatal():
                    self._on_error(err)
                future.set_exception(publish_error(topic, err))
            else:
                future.set_result((msg.partition(), msg.offset()))

        def produce() -> None:
            self._producer.produce(
                topic, value=value, key=key, headers=list((headers or {}).items()) or None, on_delivery=delivered
            )

        from confluent_kafka import KafkaException

        try:
            try:
                produce()
            except BufferError:
                self._producer.poll(1.0)  # local queue full: let deliveries drain, then try once more
                produce()
        except KafkaException as exc:  # over message.max.bytes, a bad topic name, a fatal producer ...
            self._forget(token)
            future.set_exception(publish_error(topic, exc.args[0]))
        except Exception as exc:  # noqa: BLE001 - BufferError again, ...
            self._forget(token)
            future.set_exception(PublishError(f"{topic}: {exc}"))
        return future

    def _forget(self, token: int) -> None:
        with self._lock:
            self._pending.pop(token, None)

    def stalled_since(self) -> float | None:
        """Since when sends have waited with no delivery succeeding (None while deliveries flow).

        After a broker restart an idempotent producer can be refused for ever (unknown producer
        id) without librdkafka calling it fatal; this is how the worker notices."""
        with self._lock:
            if not self._pending:
                return None
            return max(min(self._pending.values()), self.last_ok_at)

    def send_and_wait(
        self,
        topic: str,
        key: str | bytes | None,
        value: bytes,
        timeout_s: float = 35.0,
        headers: dict[str, str] | None = None,
        abort: threading.Event | None = None,
    ) -> tuple[int, int]:
        """Send and wait for the acknowledgement; ``abort`` (when set) ends the wait early with a
        :class:`PublishError`, so a stopping worker is not held by a broker that does not answer."""
        future = self.send(topic, key, value, headers)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return future.result(min(0.25, max(deadline - time.monotonic(), 0.001)))
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise PublishError(f"{topic}: no acknowledgement within {timeout_s}s") from None
                if abort is not None and abort.is_set():
                    raise PublishError(f"{topic}: stopped waiting for the acknowledgement") from None

    def flush(self, timeout_s: float = 30.0) -> int:
        """Wait for queued messages; returns how many are still undelivered."""
        return self._producer.flush(timeout_s)

    def close(self, timeout_s: float = 30.0) -> int:
        left = self.flush(timeout_s)
        self._stop.set()
        self._thread.join(2)
        return left


def upload_for_path(path: str | Path, cfg: IntakeConfig, inline_max_bytes: int = 0) -> UploadMessage:
    """The upload message for a file: id from the content hash, bytes inline when small enough.

    An unreadable file still gets a message (id from its URI), so the worker records the failure.
    """
    uri = path_to_uri(path)
    try:
        data = read_source(str(path), cfg)
    except IntakeError:
        return UploadMessage(id=image_id_for(hashlib.sha256(uri.encode()).hexdigest()), uri=uri)
    inline = base64.b64encode(data).decode() if 0 < len(data) <= inline_max_bytes else None
    return UploadMessage(id=image_id_for(hashlib.sha256(data).hexdigest()), uri=uri, data=inline)

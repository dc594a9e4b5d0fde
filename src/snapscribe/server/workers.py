"""A bounded pool of in-process workers draining the job queue, with a lease heartbeat."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from .jobs import Job, JobQueue

log = logging.getLogger("snapscribe.server.workers")


class WorkerPool:
    """``size`` threads claim jobs and hand them to ``handle``; a heartbeat keeps their leases alive."""

    def __init__(
        self, queue: JobQueue, handle: Callable[[Job], None], *, size: int, ready: threading.Event, poll_s: float = 0.5
    ):
        self.queue, self.handle, self.size = queue, handle, max(1, size)
        self.ready, self.poll_s = ready, poll_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._held: set[str] = set()
        self._held_lock = threading.Lock()
        self.busy = 0

    def start(self) -> None:
        for i in range(self.size):
            t = threading.Thread(target=self._run, name=f"snapscribe-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        hb = threading.Thread(target=self._heartbeat, name="snapscribe-heartbeat", daemon=True)
        hb.start()
        self._threads.append(hb)

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, let running jobs finish for up to ``timeout`` s, hand back the rest."""
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout=timeout / max(len(self._threads), 1))
        with self._held_lock:
            held = list(self._held)
        if held:
            log.warning("handing %d unfinished job(s) back to the queue", len(held))
            self.queue.release(held)

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.ready.wait(self.poll_s):
                continue
            try:
                job = self.queue.claim()
            except Exception:
                log.exception("claiming a job failed")
                self.queue.db.reset_connection()
                self._stop.wait(2.0)
                continue
            if job is None:
                self._wake.wait(self.poll_s)
                self._wake.clear()
                continue
            with self._held_lock:
                self._held.add(job.token)
                self.busy += 1
            try:
                self.handle(job)
            except Exception:
                log.exception("job %s failed unexpectedly", job.id)
            finally:
                with self._held_lock:
                    self._held.discard(job.token)
                    self.busy -= 1

    def _heartbeat(self) -> None:
        interval = max(self.queue.lease_ms / 3000.0, 0.2)
        while not self._stop.wait(interval):
            with self._held_lock:
                held = list(self._held)
            if held:
                try:
                    self.queue.heartbeat(held)
                except Exception:
                    log.exception("lease heartbeat failed")
                    self.queue.db.reset_connection()

"""A persistent job queue in the results database, with leases so a crashed worker's jobs come back.

A job is one uploaded image (its id is the image id, so the same bytes are one job).
States: ``pending`` → ``running`` (claimed under a lease that the worker extends by
heartbeat) → ``done`` | ``failed``. A ``running`` job whose lease ran out is claimable
again: that is how jobs of a killed server finish after a restart. For ``pending`` jobs
``lease_until`` is a not-before time, used for retry back-off.

Uploads handed to the Kafka fleet keep a ``pending`` row owned by ``kafka`` with a
not-before time that never comes, so no in-process worker claims them; the worker that
stores the result marks the row done (``ResultStore.settle_job``).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from ..store import Database
from ..store.results import KAFKA_OWNER
from .schemas import JobInfo, JobState


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _now_ms() -> int:
    return int(time.time() * 1000)


NEVER = 2**62  # lease_until of a job handed to Kafka: never claimable in-process


@dataclass(frozen=True)
class Job:
    id: str
    sha256: str
    source: str
    blob: str
    attempts: int
    token: str  # this claim's lease owner; every later update names it
    tone: str | None = None  # the caption tone the upload asked for; None: the configured one


class JobQueue:
    """Enqueue, claim under a lease, heartbeat, finish; all statements work on SQLite and PostgreSQL."""

    def __init__(self, db: Database, *, lease_s: float = 30.0):
        self.db = db
        self.lease_ms = int(lease_s * 1000)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"  # this process

    def enqueue(
        self,
        *,
        image_id: str,
        sha256: str,
        source: str,
        blob: str,
        submitted_by: str | None,
        tone: str | None = None,
        external: bool = False,
    ) -> bool:
        """Add a job; False when a job for this image already exists (it is not queued twice).
        ``tone``: the caption tone asked for (None: the configured one). ``external``: the Kafka
        fleet processes it (a pending row nobody here claims)."""
        now = _now_iso()
        owner, until = (KAFKA_OWNER, NEVER) if external else (None, 0)
        n = self.db.execute(
            "INSERT INTO jobs (id, sha256, source, blob, state, attempts, lease_owner, lease_until, submitted_by, "
            "created_at, updated_at, tone) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            (image_id, sha256, source, blob, JobState.pending.value, owner, until, submitted_by, now, now, tone),
        )
        return n == 1

    def requeue(self, image_id: str, tone: str | None = None, *, external: bool = False) -> bool:
        """Give a finished job another round (its bytes were uploaded again after an error result,
        or in another tone), in ``tone``."""
        owner, until = (KAFKA_OWNER, NEVER) if external else (None, 0)
        return (
            self.db.execute(
                "UPDATE jobs SET state = 'pending', attempts = 0, lease_owner = ?, lease_until = ?, tone = ?, "
                "updated_at = ? WHERE id = ? AND state IN ('done', 'failed')",
                (owner, until, tone, _now_iso(), image_id),
            )
            == 1
        )

    def abandon(self, image_id: str, error: str) -> None:
        """A job that could not be handed to the fleet: failed, so the next upload of the bytes retries."""
        self.db.execute(
            "UPDATE jobs SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ? AND lease_owner = ? "
            "AND state = 'pending'",
            (error[:500], _now_iso(), image_id, KAFKA_OWNER),
        )

    def claim(self) -> Job | None:
        """Take the oldest claimable job under a fresh lease, or None."""
        now = _now_ms()
        token = f"{self.owner}:{uuid.uuid4().hex[:12]}"
        lock = " FOR UPDATE SKIP LOCKED" if self.db.dialect.name == "postgresql" else ""
        claimable = "((state = 'pending' AND lease_until <= ?) OR (state = 'running' AND lease_until < ?))"
        n = self.db.execute(
            f"UPDATE jobs SET state = 'running', lease_owner = ?, lease_until = ?, attempts = attempts + 1, "
            f"updated_at = ? WHERE id = (SELECT id FROM jobs WHERE {claimable} ORDER BY created_at, id LIMIT 1{lock}) "
            f"AND {claimable}",
            (token, now + self.lease_ms, _now_iso(), now, now, now, now),
        )
        if n != 1:
            return None
        row = self.db.query_one(
            "SELECT id, sha256, source, blob, attempts, tone FROM jobs WHERE lease_owner = ?", (token,)
        )
        if row is None:  # pragma: no cover - the row was just updated by us
            return None
        return Job(id=row[0], sha256=row[1], source=row[2], blob=row[3], attempts=int(row[4]), token=token, tone=row[5])

    def heartbeat(self, tokens: list[str]) -> None:
        """Extend the leases of jobs this process is still working on."""
        until = _now_ms() + self.lease_ms
        for token in tokens:
            self.db.execute(
                "UPDATE jobs SET lease_until = ? WHERE lease_owner = ? AND state = 'running'", (until, token)
            )

    def finish(self, job: Job, *, failed: bool = False, error: str | None = None) -> bool:
        """Mark done (or failed); False if the lease was lost and another worker owns the job now."""
        state = JobState.failed if failed else JobState.done
        return (
            self.db.execute(
                "UPDATE jobs SET state = ?, lease_owner = NULL, lease_until = 0, last_error = ?, updated_at = ? "
                "WHERE id = ? AND lease_owner = ?",
                (state.value, error, _now_iso(), job.id, job.token),
            )
            == 1
        )

    def retry_later(self, job: Job, error: str, delay_s: float) -> None:
        """Put a job back after a transient failure (database hiccup), claimable after ``delay_s``."""
        self.db.execute(
            "UPDATE jobs SET state = 'pending', lease_owner = NULL, lease_until = ?, last_error = ?, updated_at = ? "
            "WHERE id = ? AND lease_owner = ?",
            (_now_ms() + int(delay_s * 1000), error[:500], _now_iso(), job.id, job.token),
        )

    def release(self, tokens: list[str]) -> None:
        """On a clean shutdown: hand unfinished jobs straight back, without counting the attempt."""
        for token in tokens:
            self.db.execute(
                "UPDATE jobs SET state = 'pending', lease_owner = NULL, lease_until = 0, "
                "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, updated_at = ? "
                "WHERE lease_owner = ? AND state = 'running'",
                (_now_iso(), token),
            )

    def recover_local(self) -> int:
        """Expire the leases of running jobs whose owner was a process on this host that is gone.

        Lets a restarted server resume a crashed one's jobs at once instead of after the lease.
        Used with SQLite only (one machine); with a shared database, leases alone decide.
        """
        host = socket.gethostname()
        owners = {r[0] for r in self.db.query("SELECT DISTINCT lease_owner FROM jobs WHERE state = 'running'") if r[0]}
        dead = []
        for token in owners:
            parts = token.split(":")
            if len(parts) < 3 or parts[0] != host or not parts[1].isdigit():
                continue
            pid = int(parts[1])
            if pid == os.getpid():
                continue
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                dead.append(token)
            except PermissionError:  # alive, someone else's
                pass
        for token in dead:
            self.db.execute("UPDATE jobs SET lease_until = 0 WHERE lease_owner = ? AND state = 'running'", (token,))
        return len(dead)

    def get(self, image_id: str) -> JobInfo | None:
        row = self.db.query_one("SELECT id, state, source, attempts, created_at FROM jobs WHERE id = ?", (image_id,))
        return _info(row) if row else None

    def tone_of(self, image_id: str) -> str | None:
        """The caption tone the image's job asked for (None: the configured one, or no job)."""
        row = self.db.query_one("SELECT tone FROM jobs WHERE id = ?", (image_id,))
        return row[0] if row else None

    def active(self, limit: int = 50) -> list[JobInfo]:
        rows = self.db.query(
            "SELECT id, state, source, attempts, created_at FROM jobs WHERE state IN "
            "('pending', 'running') ORDER BY created_at DESC LIMIT ?",
            (limit,),
        )
        return [_info(r) for r in rows]

    def depth(self) -> dict[str, int]:
        counts = {s.value: 0 for s in JobState}
        counts.update({s: int(n) for s, n in self.db.query("SELECT state, COUNT(*) FROM jobs GROUP BY state")})
        return counts


def _info(row: tuple) -> JobInfo:
    return JobInfo(id=row[0], status=JobState(row[1]), source=row[2], attempts=int(row[3]), created_at=str(row[4]))

"""The embedded job queue on SQLite and PostgreSQL: one claim per job, leases, retries, restarts."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from snapscribe.server.jobs import JobQueue
from snapscribe.store import Database


def _pg_url() -> str | None:
    try:
        import psycopg

        base = "postgresql://postgres@127.0.0.1:5432/postgres"
        with psycopg.connect(base, autocommit=True, connect_timeout=3) as conn:
            name = f"snapscribe_q_{uuid.uuid4().hex[:8]}"
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql://postgres@127.0.0.1:5432/{name}"
    except Exception:  # noqa: BLE001
        return None


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        yield Database(f"sqlite:///{tmp_path / 'q.db'}")
        return
    url = _pg_url()
    if url is None:
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    database = Database(url)
    yield database
    database.close()
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def _add(q: JobQueue, n: int) -> list[str]:
    ids = [f"{i:024x}" for i in range(n)]
    for i, image_id in enumerate(ids):
        assert q.enqueue(
            image_id=image_id, sha256=f"{i:064x}", source=f"{i}.jpg", blob=f"00/{i:064x}", submitted_by="t"
        )
        time.sleep(0.002)  # distinct created_at: FIFO order
    return ids


def test_enqueue_is_idempotent_and_fifo(db):
    q = JobQueue(db, lease_s=30)
    ids = _add(q, 3)
    assert not q.enqueue(image_id=ids[0], sha256="0" * 64, source="again.jpg", blob="x", submitted_by="t")
    assert [q.claim().id for _ in range(3)] == ids
    assert q.claim() is None
    assert q.depth()["running"] == 3


def test_concurrent_claims_never_share_a_job(db):
    q = JobQueue(db, lease_s=30)
    ids = _add(q, 40)
    got: list[str] = []
    lock = threading.Lock()

    def worker():
        mine = JobQueue(db, lease_s=30)
        while (job := mine.claim()) is not None:
            with lock:
                got.append(job.id)
            assert mine.finish(job)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == sorted(ids)  # each exactly once
    assert q.depth()["done"] == 40


def test_expired_lease_is_reclaimed_and_old_owner_cannot_finish(db):
    crashed = JobQueue(db, lease_s=0.3)
    _add(crashed, 1)
    first = crashed.claim()
    assert first is not None and JobQueue(db, lease_s=30).claim() is None  # leased
    time.sleep(0.5)
    restarted = JobQueue(db, lease_s=30)
    second = restarted.claim()
    assert second is not None and second.id == first.id and second.attempts == 2
    assert not crashed.finish(first)  # the lease was lost
    assert restarted.finish(second)
    assert restarted.depth()["done"] == 1


def test_heartbeat_keeps_the_lease(db):
    q = JobQueue(db, lease_s=0.4)
    _add(q, 1)
    job = q.claim()
    for _ in range(4):
        time.sleep(0.2)
        q.heartbeat([job.token])
    assert JobQueue(db, lease_s=30).claim() is None


def test_retry_later_and_release(db):
    q = JobQueue(db, lease_s=30)
    _add(q, 2)
    a, b = q.claim(), q.claim()
    q.retry_later(a, "db hiccup", delay_s=0.3)
    assert q.claim() is None  # not before its time
    time.sleep(0.4)
    again = q.claim()
    assert again is not None and again.id == a.id
    q.release([b.token])  # clean shutdown: back to pending without spending an attempt
    back = q.claim()
    assert back is not None and back.id == b.id and back.attempts == 1


def test_restart_on_the_same_host_takes_over_a_dead_process_jobs(db):
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = JobQueue(db, lease_s=300)
    host, _, rest = dead.owner.split(":", 2)
    dead.owner = f"{host}:{gone.pid}:{rest}"
    alive = JobQueue(db, lease_s=300)
    _add(dead, 2)
    a, b = dead.claim(), alive.claim()
    assert a and b
    restarted = JobQueue(db, lease_s=300)
    assert restarted.claim() is None  # both leased
    assert restarted.recover_local() == 1  # only the dead process's job
    job = restarted.claim()
    assert job is not None and job.id == a.id and job.attempts == 2
    assert restarted.claim() is None  # the live owner keeps its job

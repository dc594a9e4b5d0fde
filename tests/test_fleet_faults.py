"""Fault injection against the worker fleet (issue 17): real Tansu broker, real PostgreSQL, real models.

Each scenario injects faults while a worker runs, then checks the fleet's promise: every
submitted id has exactly one row (0 lost, 0 duplicated), every bad input is dead-lettered
with a reason, and each worker is either healthy (``/readyz`` 200) or has exited non-zero.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from kafka_support import (
    WorkerProc,
    base_env,
    read_topic,
    worker_args,
)
from test_kafka_workers import _make_images, _produce_raw, _rows, _submit

pytestmark = [pytest.mark.kafka, pytest.mark.faults, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(120)]


def _free_port() -> int:
    from snapscribe.queue.broker import free_port

    return free_port()


def _start(name: str, tmp_path, env, broker, database, t, health_port: int) -> WorkerProc:
    return WorkerProc.start(
        name,
        tmp_path,
        env,
        *worker_args(
            broker.bootstrap,
            {"topic": t, "group": f"g-{t}", "results": f"res-{t}", "dlq": f"dlq-{t}"},
            database,
            "--concurrency",
            "2",
        ),
        "--health-port",
        str(health_port),
    )


def _ids(database: str) -> set[str]:
    try:
        return {r[0] for r in _rows(None, database)}
    except Exception:  # noqa: BLE001 - not migrated yet, or the database is refusing connections
        return set()


def _wait_rows(database: str, want: set[str], timeout: float, w: WorkerProc) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if want <= _ids(database):
            return
        assert w.proc.poll() is None, f"{w.name} exited {w.proc.returncode}:\n{w.tail()}"
        time.sleep(0.5)
    raise AssertionError(f"missing rows {sorted(want - _ids(database))[:5]}:\n{w.tail(25)}")


def _ready(port: int) -> int:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=3).status_code
    except httpx.HTTPError:
        return 0


def _assert_one_row_each(admin, database: str, ids: set[str]) -> dict[str, tuple[str, dict]]:
    rows = _rows(admin, database)
    counts = Counter(r[0] for r in rows)
    assert all(n == 1 for n in counts.values()), counts.most_common(3)
    assert set(counts) == ids, (ids - set(counts), set(counts) - ids)
    return {r[0]: (r[1], json.loads(r[2])) for r in rows}


def _healthy_or_failed(w: WorkerProc, port: int) -> None:
    """A worker is either ready or has exited non-zero: never alive and stuck."""
    if w.proc.poll() is None:
        assert _ready(port) == 200, w.tail()
    else:
        assert w.proc.returncode != 0, w.tail()


class _Slow(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(60):  # a byte a second: never done within the fetch deadline
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(1)
        except OSError:
            pass

    def log_message(self, *args) -> None:
        pass


def test_poison_oversized_malformed_hung_sources_and_a_database_outage(broker, admin, database, workers, tmp_path):
    """Defects 1 and 3 in a running worker: an 800 KB binary poison message (its full dead letter would
    be over the broker's 1 MB limit), a malformed one, a FIFO, an http source that trickles, then
    PostgreSQL connections killed and refused for a window. Everything good still gets its row."""
    from snapscribe.queue.broker import ensure_topics
    from snapscribe.queue.messages import DeadLetter, UploadMessage

    t = f"up-{uuid.uuid4().hex[:6]}"
    ensure_topics(broker.bootstrap, {t: 2, f"res-{t}": 2, f"dlq-{t}": 1})
    slow = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    slow.daemon_threads = True
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    env = {
        **base_env(tmp_path / "home"),
        "SNAPSCRIBE_FETCH__TIMEOUT_S": "2",
        "SNAPSCRIBE_FETCH__HOSTS": '["127.0.0.1"]',
        "SNAPSCRIBE_KAFKA__FATAL_AFTER_S": "5",
    }

    poison_id, junk_id, fifo_id, slow_id = (f"{tag}{uuid.uuid4().hex[:20]}" for tag in ("pois", "junk", "fifo", "slow"))
    poison = os.urandom(800_000)
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    bad = [
        (poison_id.encode(), poison),
        (junk_id.encode(), b"{not json"),
        (fifo_id.encode(), UploadMessage(id=fifo_id, uri=fifo.as_uri()).to_bytes()),
        (
            slow_id.encode(),
            UploadMessage(id=slow_id, uri=f"http://127.0.0.1:{slow.server_address[1]}/a.jpg").to_bytes(),
        ),
    ]
    _produce_raw(broker.bootstrap, t, bad)
    good = {m["id"] for m in _submit(broker.bootstrap, t, _make_images(tmp_path / "in", 6, seed0=500), env)}
    port = _free_port()
    w = _start("worker-p", tmp_path, env, broker, database, t, port)
    workers.append(w)
    bad_ids = {poison_id, junk_id, fifo_id, slow_id}
    _wait_rows(database, bad_ids | {next(iter(good))}, timeout=75, w=w)

    # The database goes away for a window while good work remains.
    more = {m["id"] for m in _submit(broker.bootstrap, t, _make_images(tmp_path / "in2", 4, seed0=600), env)}
    admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))
    try:
        w.wait_for(lambda w: w.of("transient_error"), timeout=20, what="the worker to notice the outage")
        time.sleep(2)
    finally:
        admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')

    ids = good | more | bad_ids
    _wait_rows(database, ids, timeout=60, w=w)
    rows = _assert_one_row_each(admin, database, ids)
    codes = {i: rec["error"]["code"] for i, (status, rec) in rows.items() if status == "error"}
    assert codes == {
        poison_id: "bad_message",
        junk_id: "bad_message",
        fifo_id: "not_a_regular_file",
        slow_id: "fetch_timeout",
    }, codes

    letters = {
        DeadLetter.from_bytes(m.value()).image_id: m
        for m in read_topic(broker.bootstrap, f"dlq-{t}", keys={i for i in bad_ids})
    }
    assert set(letters) == bad_ids
    big = DeadLetter.from_bytes(letters[poison_id].value())
    assert len(letters[poison_id].value()) <= 900_000
    assert big.original.truncated and big.original.size == len(poison)
    assert big.original.sha256 == hashlib.sha256(poison).hexdigest()
    assert not DeadLetter.from_bytes(letters[junk_id].value()).original.truncated
    dead = {e["image_id"]: e for e in w.of("dead_letter")}
    assert dead[poison_id]["job_id"] == f"{t}/{dead[poison_id]['partition']}/{dead[poison_id]['offset']}"

    w.wait_for(lambda w: _ready(port) == 200, timeout=15, what="/readyz 200")
    metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=3).text
    assert 'snapscribe_worker_dead_letters_total{worker="worker-p"} 4' in metrics, metrics
    start = time.monotonic()
    assert w.stop(timeout=30) == 0, w.tail()
    assert time.monotonic() - start < 15, "SIGTERM took too long: something was wedged"
    slow.shutdown()


def test_broker_restart_mid_run_worker_recovers_or_exits_non_zero(broker, admin, database, workers, tmp_path):
    """Defect 2: the broker restarts (in-memory Tansu: it comes back empty, so the operator re-submits).
    The worker either carries on (ready) or, after a fatal client error or a stuck assignment that
    lasts kafka.fatal_after_s, exits with status 3; a supervisor's replacement then finishes the job."""
    from snapscribe.queue.broker import ensure_topics

    t = f"up-{uuid.uuid4().hex[:6]}"
    topics = {t: 2, f"res-{t}": 2, f"dlq-{t}": 1}
    ensure_topics(broker.bootstrap, topics)
    env = {
        **base_env(tmp_path / "home"),
        "SNAPSCRIBE_KAFKA__FATAL_AFTER_S": "4",
        "SNAPSCRIBE_KAFKA__SESSION_TIMEOUT_MS": "6000",
    }
    images = _make_images(tmp_path / "in", 10, seed0=700)
    first = {m["id"] for m in _submit(broker.bootstrap, t, images[:6], env)}
    port = _free_port()
    w = _start("worker-r", tmp_path, env, broker, database, t, port)
    workers.append(w)
    w.wait_for(lambda w: any(e.get("processed", 0) >= 2 for e in w.of("progress")), timeout=75, what="first results")

    broker.stop()
    time.sleep(2)
    broker.start()
    ensure_topics(broker.bootstrap, topics)
    ids = first | {m["id"] for m in _submit(broker.bootstrap, t, images, env)}  # re-submit all, plus the rest

    deadline = time.monotonic() + 60
    current, replacements = w, 0
    while time.monotonic() < deadline:
        if _ids(database) >= ids:
            break
        if current.proc.poll() is not None:  # exited: it must say so with a non-zero status
            assert current.proc.returncode == 3, current.tail()
            assert current.last("fatal"), current.tail()
            replacements += 1
            assert replacements <= 2, "the replacement worker died as well"
            port = _free_port()
            current = _start(f"worker-r{replacements}", tmp_path, env, broker, database, t, port)
            workers.append(current)
        time.sleep(0.5)
    _assert_one_row_each(admin, database, ids)
    assert all(status != "error" for status, _ in _assert_one_row_each(admin, database, ids).values())
    _healthy_or_failed(current, port)
    for old in workers:
        if old is not current:
            _healthy_or_failed(old, port)


def test_an_unassigned_worker_reports_the_groups_lag_and_exits_when_nobody_consumes(
    broker, admin, database, workers, tmp_path
):
    """Defect 2, second half: a worker with no partitions used to report lag 0 for minutes while work
    waited. Now it reports the group's lag and, when that lag does not fall for kafka.fatal_after_s
    (the owner is frozen), exits 3 so a restart forces a rebalance. The owner then finishes the job."""
    import signal

    from snapscribe.queue.broker import ensure_topics

    t = f"up-{uuid.uuid4().hex[:6]}"
    ensure_topics(broker.bootstrap, {t: 1, f"res-{t}": 1, f"dlq-{t}": 1})
    env = {
        **base_env(tmp_path / "home"),
        "SNAPSCRIBE_KAFKA__FATAL_AFTER_S": "3",
        "SNAPSCRIBE_KAFKA__SESSION_TIMEOUT_MS": "30000",
        "SNAPSCRIBE_KAFKA__MAX_POLL_INTERVAL_MS": "30000",
    }
    port_a, port_b = _free_port(), _free_port()
    a = _start("worker-a", tmp_path, env, broker, database, t, port_a)
    workers.append(a)
    a.wait_for(
        lambda w: w.of("assigned") and w.of("assigned")[-1]["partitions"] == [0],
        timeout=75,
        what="worker-a owning the partition",
    )
    b = _start("worker-b", tmp_path, env, broker, database, t, port_b)
    workers.append(b)
    b.wait_for(
        lambda w: (
            w.of("progress")
            and a.of("assigned")[-1]["partitions"] == [0]
            and not (w.of("assigned") and w.of("assigned")[-1]["partitions"])
        ),
        timeout=75,
        what="worker-b in the group with no partitions",
    )

    os.kill(a.proc.pid, signal.SIGSTOP)  # the owner freezes (not dead: its session stays valid)
    try:
        ids = {m["id"] for m in _submit(broker.bootstrap, t, _make_images(tmp_path / "in", 3, seed0=800), env)}
        b.proc.wait(30)
        assert b.proc.returncode == 3, b.tail()
        lagging = [e for e in b.of("progress") if e.get("group_lag")]
        assert lagging and all(e["lag"] is None for e in lagging), b.tail()
        assert b.last("fatal")["condition"] == "unassigned_with_lag"
    finally:
        os.kill(a.proc.pid, signal.SIGCONT)
    _wait_rows(database, ids, timeout=60, w=a)
    _assert_one_row_each(admin, database, ids)
    _healthy_or_failed(a, port_a)


@pytest.fixture
def small_disk(tmp_path):
    """A 24 MiB tmpfs for the worker's data dir, SQLite store and temp files (root only)."""
    import shutil

    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(path) -> int:
    """Write ``path`` until the filesystem is full; the bytes written."""
    written = 0
    chunk = b"\0" * (64 * 1024)
    with open(path, "wb", buffering=0) as fh:
        while True:
            try:
                written += fh.write(chunk)
            except OSError:
                break
        try:  # the last few bytes, so not even one page is left
            while fh.write(b"\0" * 512):
                written += 512
        except OSError:
            pass
    return written


def _ts(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp).timestamp()


def _sqlite_rows(path) -> list[tuple[str, str, str]]:
    import sqlite3

    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute("SELECT id, status, record FROM results").fetchall()


@pytest.mark.timeout(300)
def test_disk_full_under_the_store_loses_nothing_and_recovers(broker, workers, tmp_path, small_disk):
    """The worker's data dir, SQLite store and temp dir sit on a small filesystem that fills up
    mid-run. Nothing may become an error row or be half-written: the worker keeps the messages
    uncommitted and either waits (not ready) and carries on when space returns, or exits non-zero
    with the reason; a restart with space finishes every image exactly once."""
    import sqlite3

    from snapscribe.queue.broker import ensure_topics
    from snapscribe.records import ImageRecord

    t = f"up-{uuid.uuid4().hex[:6]}"
    ensure_topics(broker.bootstrap, {t: 2, f"res-{t}": 2, f"dlq-{t}": 1})
    (small_disk / "tmp").mkdir()
    env = {
        **base_env(small_disk / "home"),
        "TMPDIR": str(small_disk / "tmp"),
        "SNAPSCRIBE_KAFKA__FATAL_AFTER_S": "6",
    }
    db = small_disk / "results.db"
    args = worker_args(broker.bootstrap, {"topic": t, "group": f"g-{t}", "results": f"res-{t}", "dlq": f"dlq-{t}"}, "x")
    args[args.index("--db") + 1] = f"sqlite:///{db}"

    def start(name: str, port: int) -> WorkerProc:
        w = WorkerProc.start(name, tmp_path, env, *args, "--concurrency", "2", "--health-port", str(port))
        workers.append(w)
        return w

    def ids() -> set[str]:
        try:
            return {r[0] for r in _sqlite_rows(db)}
        except sqlite3.Error:
            return set()

    first = {m["id"] for m in _submit(broker.bootstrap, t, _make_images(tmp_path / "in", 3, seed0=900), env)}
    port = _free_port()
    w = start("worker-d", port)
    deadline = time.monotonic() + 90
    while not first <= ids():
        assert time.monotonic() < deadline and w.proc.poll() is None, w.tail()
        time.sleep(0.5)

    ballast = small_disk / "ballast"
    assert _fill(ballast) > 0
    more = {m["id"] for m in _submit(broker.bootstrap, t, _make_images(tmp_path / "in2", 4, seed0=920), env)}
    # Full disk: the new images cannot be stored. The worker must say so, either by not being
    # ready while it waits, or by exiting non-zero with the reason.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if w.proc.poll() is not None or _ready(port) not in (0, 200):
            break
        time.sleep(0.5)
    assert w.proc.poll() is not None or _ready(port) == 503, w.tail()
    try:  # not ready may be the drain before an exit: give that time to finish
        w.proc.wait(20)
    except subprocess.TimeoutExpired:
        assert _ready(port) == 503, w.tail()  # alive: it must keep saying it is not ready
    assert not (more & ids()), "a row was written on a full disk?"
    if w.proc.poll() is not None:
        assert w.proc.returncode != 0, w.tail()
        fatal = w.of("fatal")
        assert fatal and fatal[0].get("condition") == "storage_failure", w.tail()
        assert "disk is full" in fatal[0]["error"] or "No space" in fatal[0]["error"], w.tail()
        stopped = w.last("stopped")
        assert stopped and stopped["uncommitted_failed"] >= 1, w.tail()
        # The drain does not wait kafka.drain_timeout_s (30 s) for messages that already failed.
        took = _ts(stopped["ts"]) - _ts(fatal[0]["ts"])
        assert took < 15, f"{took:.1f}s from the failure to the exit:\n{w.tail()}"

    ballast.unlink()  # space returns
    if w.proc.poll() is not None:
        port = _free_port()
        w = start("worker-d2", port)
    want = first | more
    deadline = time.monotonic() + 90
    while not want <= ids():
        assert time.monotonic() < deadline, f"missing {sorted(want - ids())}:\n{w.tail()}"
        assert w.proc.poll() is None, w.tail()
        time.sleep(0.5)

    rows = _sqlite_rows(db)
    counts = Counter(r[0] for r in rows)
    assert set(counts) == want and all(n == 1 for n in counts.values()), counts
    for image_id, status, record in rows:  # nothing half-written: every row a whole, good record
        rec = ImageRecord.from_json(record)
        assert status == rec.status.value != "error" and rec.caption, (image_id, rec.error)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not read_topic(broker.bootstrap, f"dlq-{t}", idle_s=2.0), "a good image was dead-lettered"
    w.wait_for(lambda w: _ready(port) == 200, timeout=15, what="/readyz 200")
    assert w.stop(timeout=30) == 0, w.tail()

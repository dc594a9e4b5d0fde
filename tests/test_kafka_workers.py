"""The worker fleet end to end: a real Kafka-protocol broker (Tansu), real PostgreSQL, real models.

Scenario 1 is the operator's check from issue 4: uploads with duplicates, corrupt files, a
missing file and messages that are not JSON; two workers; one is killed with SIGKILL while
busy; the other finishes. Scenario 2 takes the database away mid-run (connections killed and
refused, as in a restart), then drains one worker with SIGTERM and lets a fresh one finish.
Scenario 3 freezes the broker past the session timeout. All check: one row per distinct id,
nothing lost, every bad input dead-lettered with an `error` row, and committed offsets at the
end of every partition.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from hostile import jpeg_bytes, photo_like
from kafka_support import (
    WorkerProc,
    base_env,
    cli,
    committed,
    db_url,
    processed,
    read_topic,
    worker_args,
)

pytestmark = pytest.mark.timeout(240)

PARTITIONS = 6


def _topics(tag: str) -> dict[str, str]:
    return {"topic": f"up-{tag}", "results": f"res-{tag}", "dlq": f"dlq-{tag}", "group": f"g-{tag}"}


def _make_images(folder: Path, n: int, seed0: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"img{seed0 + i:03d}.jpg"
        path.write_bytes(jpeg_bytes(photo_like(288 + 8 * (i % 5), 216 + 8 * (i % 3), seed=seed0 + i)))
        paths.append(path)
    return paths


def _submit(brokers: str, topic: str, paths: list[Path], env) -> list[dict]:
    done = cli("submit", "--brokers", brokers, "--topic", topic, *map(str, paths), env=env)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def _produce_raw(brokers: str, topic: str, items: list[tuple[bytes | None, bytes]]) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": brokers})
    for key, value in items:
        producer.produce(topic, key=key, value=value)
    assert producer.flush(15) == 0


def _rows(admin, name: str) -> list[tuple[str, str, str | None]]:
    import psycopg

    with psycopg.connect(db_url(name), autocommit=True) as conn:
        return conn.execute("SELECT id, status, record FROM results").fetchall()


def _wait_rows(admin, name: str, want: set[str], timeout: float, workers: list[WorkerProc]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if want <= {r[0] for r in _rows(admin, name)}:
            return
        for w in workers:
            w.read_events()
        time.sleep(0.5)
    missing = want - {r[0] for r in _rows(admin, name)}
    logs = "\n\n".join(f"--- {w.name}\n{w.tail(15)}" for w in workers)
    raise AssertionError(f"{len(missing)} ids never got a row: {sorted(missing)[:5]}...\n{logs}")


def _wait_committed(brokers: str, group: str, topic: str, end: dict[int, int], timeout: float) -> dict[int, int]:
    deadline = time.monotonic() + timeout
    got: dict[int, int] = {}
    while time.monotonic() < deadline:
        got = committed(brokers, group, topic, PARTITIONS)
        if all(got.get(p) == off for p, off in end.items()):
            return got
        time.sleep(0.5)
    raise AssertionError(f"committed offsets {got} never reached the partition ends {end}")


def _end_offsets(*batches) -> dict[int, int]:
    end: dict[int, int] = {}
    for batch in batches:
        for m in batch:
            end[m.partition()] = max(end.get(m.partition(), 0), m.offset() + 1)
    return end


def test_two_workers_one_killed_nothing_lost_nothing_duplicated(broker, admin, database, workers, tmp_path):
    t = _topics(uuid.uuid4().hex[:6])
    env = base_env(tmp_path / "home")
    from snapscribe.queue.broker import ensure_topics

    ensure_topics(broker.bootstrap, {t["topic"]: PARTITIONS, t["results"]: PARTITIONS, t["dlq"]: 1})

    good = _make_images(tmp_path / "in", 36)
    shutil.copy(good[0], tmp_path / "in" / "copy-of-img000.jpg")  # same bytes, another name
    corrupt = {
        "garbage.jpg": b"this is not an image at all" * 20,
        "truncated.jpg": jpeg_bytes(photo_like(300, 200, seed=999))[:400],
        "empty.jpg": b"",
    }
    for name, data in corrupt.items():
        (tmp_path / "in" / name).write_bytes(data)
    missing = tmp_path / "in" / "deleted-before-processing.jpg"
    missing.write_bytes(jpeg_bytes(photo_like(300, 220, seed=777)))

    submitted = _submit(
        broker.bootstrap,
        t["topic"],
        [tmp_path / "in"] + good[:3],  # the folder, then three duplicates
        env,
    )
    missing.unlink()
    bad_key_id = "badc0ffee0ddf00d12345678"
    _produce_raw(broker.bootstrap, t["topic"], [(bad_key_id.encode(), b"{not json"), (None, b"\xff\xfe binary junk")])
    by_name = {Path(m["uri"]).name: m["id"] for m in submitted}
    bad_ids = {by_name[n] for n in corrupt} | {by_name[missing.name], bad_key_id}
    all_ids = {m["id"] for m in submitted} | {bad_key_id}
    assert len(submitted) == 36 + 1 + 3 + 1 + 3
    assert len(all_ids) == 36 + 3 + 1 + 1  # duplicates collapse onto their ids

    args = worker_args(broker.bootstrap, t, database, "--concurrency", "2")
    a = WorkerProc.start("worker-a", tmp_path, env, *args)
    b = WorkerProc.start("worker-b", tmp_path, env, *args)
    workers += [a, b]

    # Let B own partitions and get some work done, then kill it mid-batch.
    b.wait_for(
        lambda w: processed(w) >= 2 and (w.last("progress") or {}).get("in_flight", 0) > 0,
        timeout=120,
        what="worker-b busy after two results",
    )
    b_parts = set(b.of("assigned")[-1]["partitions"])
    assert b_parts, "worker-b owned no partitions"
    killed_at = time.time()
    b.kill9()
    rows_at_kill = len(_rows(admin, database))
    assert rows_at_kill < len(all_ids), "worker-b was killed after everything was done; the test proves nothing"

    _wait_rows(admin, database, all_ids, timeout=150, workers=[a])
    # A took over B's partitions after the kill.
    later = [e for e in a.of("assigned") if _ts(e) > killed_at]
    assert later and b_parts <= set(later[-1]["partitions"]), a.tail()

    rows = _rows(admin, database)
    assert Counter(r[0] for r in rows) == Counter(set(r[0] for r in rows))  # one row per id
    assert {r[0] for r in rows} == all_ids  # none lost, nothing extra
    status = {r[0]: r[1] for r in rows}
    assert {i for i, s in status.items() if s == "error"} == bad_ids
    codes = {r[0]: json.loads(r[2])["error"]["code"] for r in rows if r[1] == "error"}
    assert codes[by_name[missing.name]] == "unreadable_file"
    assert codes[bad_key_id] == "bad_message"
    assert codes[by_name["empty.jpg"]] == "empty_file"
    assert all(json.loads(r[2])["caption"] for r in rows if r[1] != "error")

    # Every bad input is on the dead-letter topic with its reason, including the keyless junk.
    from snapscribe.queue.messages import DeadLetter

    letters = [DeadLetter.from_bytes(m.value()) for m in read_topic(broker.bootstrap, t["dlq"], expect=6)]
    assert {d.image_id for d in letters if d.image_id} == bad_ids
    assert any(d.image_id is None and d.reason == "bad_message" and d.original.value_base64 for d in letters)
    missing_letter = next(d for d in letters if d.image_id == by_name[missing.name])
    assert missing_letter.attempts == 2 and missing_letter.reason == "unreadable_file"

    # Every id is on the results topic; offsets are committed to the end of every partition.
    uploads = read_topic(broker.bootstrap, t["topic"], expect=len(submitted) + 2)
    results = read_topic(broker.bootstrap, t["results"], keys=all_ids)
    assert {m.key().decode() for m in results} == all_ids
    _wait_committed(broker.bootstrap, t["group"], t["topic"], _end_offsets(uploads), timeout=20)

    # Health: the progress log reports zero lag on every partition once the job is done.
    a.wait_for(
        lambda w: (p := w.last("progress")) and p["lag"] == 0 and len(p["lag_by_partition"]) == PARTITIONS,
        timeout=20,
        what="zero lag on all partitions",
    )
    assert a.stop() == 0, a.tail()
    stopped = a.last("stopped")
    assert stopped and stopped["uncommitted_in_flight"] == 0


def _ts(event: dict) -> float:
    from datetime import datetime

    return datetime.fromisoformat(event["ts"]).timestamp()


def test_database_outage_then_sigterm_drain_loses_nothing(broker, admin, database, workers, tmp_path):
    t = _topics(uuid.uuid4().hex[:6])
    env = base_env(tmp_path / "home")
    from snapscribe.queue.broker import ensure_topics

    ensure_topics(broker.bootstrap, {t["topic"]: PARTITIONS, t["results"]: PARTITIONS, t["dlq"]: 1})
    images = _make_images(tmp_path / "in", 60, seed0=100)  # enough work after the outage to stop the worker mid-batch
    submitted = _submit(broker.bootstrap, t["topic"], images, env)
    ids = {m["id"] for m in submitted}
    args = worker_args(broker.bootstrap, t, database, "--concurrency", "2")
    w1 = WorkerProc.start("worker-1", tmp_path, env, *args)
    workers.append(w1)
    w1.wait_for(lambda w: processed(w) >= 2, timeout=90, what="first results")

    # The database goes away: every connection is killed and new ones are refused for a while.
    admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))
    try:
        w1.wait_for(lambda w: len(w.of("transient_error")) >= 2, timeout=30, what="the worker to notice the outage")
        time.sleep(2)
    finally:
        admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
    during = {r[0] for r in _rows(admin, database)}
    assert len(during) < len(ids), "the outage came after the work was done; the test proves nothing"

    # SIGTERM while busy: it finishes what is in flight, commits and leaves the group.
    w1.wait_for(
        lambda w: processed(w) >= len(during) + 1 and (w.last("progress") or {}).get("in_flight", 0) > 0,
        timeout=60,
        what="work after the outage",
    )
    assert w1.stop(timeout=60) == 0, w1.tail()
    stopped = w1.last("stopped")
    assert stopped["uncommitted_in_flight"] == 0
    done_by_w1 = {r[0] for r in _rows(admin, database)}
    assert len(done_by_w1) < len(ids), "worker-1 finished everything before SIGTERM; the drain was not tested"

    # A fresh worker continues from the committed offsets and finishes the job.
    w2 = WorkerProc.start("worker-2", tmp_path, env, *args)
    workers.append(w2)
    _wait_rows(admin, database, ids, timeout=120, workers=[w2])
    rows = _rows(admin, database)
    assert sorted(r[0] for r in rows) == sorted(ids)
    assert all(r[1] != "error" for r in rows), [json.loads(r[2])["error"] for r in rows if r[1] == "error"]
    assert not w1.of("dead_letter") and not w2.of("dead_letter")
    uploads = read_topic(broker.bootstrap, t["topic"], expect=len(submitted))
    _wait_committed(broker.bootstrap, t["group"], t["topic"], _end_offsets(uploads), timeout=20)
    # Resumed from the committed offsets: w2 did not redo what w1 had committed (at most in-flight overlap).
    assert processed(w2) <= len(ids) - len(done_by_w1) + 2 * 2, (processed(w2), len(ids), len(done_by_w1))
    assert w2.stop() == 0, w2.tail()


def test_broker_freeze_session_lost_then_recovered(broker, admin, database, workers, tmp_path):
    """The broker stops answering (SIGSTOP) for longer than the session timeout, then comes back:
    the worker loses its partitions mid-batch, rejoins, and finishes; nothing is lost or dead-lettered."""
    import os
    import signal

    t = _topics(uuid.uuid4().hex[:6])
    env = base_env(tmp_path / "home")
    from snapscribe.queue.broker import ensure_topics

    ensure_topics(broker.bootstrap, {t["topic"]: PARTITIONS, t["results"]: PARTITIONS, t["dlq"]: 1})
    submitted = _submit(broker.bootstrap, t["topic"], _make_images(tmp_path / "in", 20, seed0=200), env)
    ids = {m["id"] for m in submitted}
    w = WorkerProc.start(
        "worker-f",
        tmp_path,
        env,
        *worker_args(broker.bootstrap, t, database, "--concurrency", "2"),
    )
    workers.append(w)
    w.wait_for(lambda w: processed(w) >= 2, timeout=90, what="first results")
    os.kill(broker.process.pid, signal.SIGSTOP)
    try:
        w.wait_for(lambda w: w.of("lost") or w.of("revoked"), timeout=30, what="the session to time out")
    finally:
        os.kill(broker.process.pid, signal.SIGCONT)
    assert len(_rows(admin, database)) < len(ids), "the freeze came after the work was done"
    _wait_rows(admin, database, ids, timeout=120, workers=[w])
    assert all(r[1] != "error" for r in _rows(admin, database))
    uploads = read_topic(broker.bootstrap, t["topic"], expect=len(submitted))
    _wait_committed(broker.bootstrap, t["group"], t["topic"], _end_offsets(uploads), timeout=30)
    assert not read_topic(broker.bootstrap, t["dlq"], idle_s=1)
    assert w.stop() == 0, w.tail()

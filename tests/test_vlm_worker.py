"""One Kafka worker (real broker, real PostgreSQL) keeps ``vlm.concurrency`` VLM requests in
flight, with the default ``kafka.concurrency = 1``: a GPU server behind it gets batches."""

from __future__ import annotations

import time
import uuid

import pytest
from kafka_support import WorkerProc, base_env, worker_args
from test_kafka_workers import _make_images, _rows, _submit, _topics
from vlm_contract import ContractServer, Reply

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(300)]


def _ids(conn, name: str) -> set[str]:
    import psycopg

    try:
        return {r[0] for r in _rows(conn, name)}
    except psycopg.errors.UndefinedTable:  # the worker creates the schema when it starts
        return set()


def test_one_worker_keeps_four_vlm_requests_in_flight(broker, admin, database, tmp_path):
    from snapscribe.queue.broker import ensure_topics

    t = _topics(uuid.uuid4().hex[:6])
    ensure_topics(broker.bootstrap, {t["topic"]: 6, t["results"]: 6, t["dlq"]: 1})
    images = _make_images(tmp_path / "in", 16)
    with ContractServer(default=Reply("A photo with a red square.", delay=1.5)) as srv:
        env = base_env(tmp_path / "home") | {
            "SNAPSCRIBE_ENGINES__CAPTIONER": "vlm",
            "SNAPSCRIBE_ENGINES__RELEVANCE_GATE": "false",
            "SNAPSCRIBE_VLM__ENDPOINT": srv.url,
            "SNAPSCRIBE_VLM__CONCURRENCY": "4",
            "SNAPSCRIBE_VLM__RETRIES": "0",
        }
        submitted = _submit(broker.bootstrap, t["topic"], [tmp_path / "in"], env)
        worker = WorkerProc.start(
            "vlm-worker",
            tmp_path,
            env,
            *worker_args(broker.bootstrap, t, database),
        )
        try:
            want = {m["id"] for m in submitted}
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and not want <= _ids(admin, database):
                time.sleep(0.5)
            assert want <= _ids(admin, database), worker.tail()
        finally:
            worker.stop()
    assert len(images) == 16 and len(srv.requests) >= 16
    assert srv.peak >= 4, (srv.peak, worker.tail())

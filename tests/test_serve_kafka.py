"""`snapscribe serve --brokers` (real server over HTTP, real Tansu broker, SQLite, folder blob store).

When the broker is not there yet, uploads get a clear 503 and lose nothing; once the broker starts,
the server connects and the same upload is published with its blob URI and name. An upload's
``tone=`` travels in the message to a real ``snapscribe worker``, which captions in it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest
from hostile import jpeg_bytes, photo_like
from kafka_support import REPO, WorkerProc, base_env, processed, read_topic

pytestmark = pytest.mark.timeout(300)


def _wait(predicate, timeout: float, what: str, log) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")


def test_upload_before_the_broker_is_up_is_refused_then_published(tmp_path):
    from snapscribe.queue.broker import LocalBroker, free_port

    port, broker_port = free_port(), free_port()
    home = tmp_path / "home"
    env = {**base_env(home), "SNAPSCRIBE_API_KEYS": "me:k1:admin", "SNAPSCRIBE_KAFKA__PARTITIONS": "2"}
    log = tmp_path / "serve.log"
    cmd = [sys.executable, "-m", "snapscribe.cli", "serve", "--port", str(port), "--data-dir", str(home),
           "--brokers", f"127.0.0.1:{broker_port}", "--topic", "up-t", "--log-level", "warning"]  # fmt: skip
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": "Bearer k1"}, timeout=30)
    try:

        def answers() -> bool:
            try:
                return client.get("/livez").status_code == 200
            except httpx.HTTPError:
                return False

        _wait(answers, 120, "the server to listen", log)
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["kafka"] != "ok"

        data = jpeg_bytes(photo_like(200, 150, seed=42))
        sha = hashlib.sha256(data).hexdigest()
        image_id = sha[:24]
        r = client.post("/v1/images", files={"file": ("first.jpg", data, "image/jpeg")})
        assert r.status_code == 503 and r.json()["error"]["code"] == "queue_unavailable", r.text
        assert r.json()["id"] == image_id and r.headers["retry-after"] == "5"

        with LocalBroker(port=broker_port, log_path=tmp_path / "tansu.log") as broker:
            _wait(lambda: client.get("/readyz").status_code == 200, 120, "readiness once the broker is up", log)
            assert client.get("/healthz").json()["queue_kind"] == "kafka"
            r = client.post("/v1/images", files={"file": ("first.jpg", data, "image/jpeg")})
            assert r.status_code == 202 and r.json()["status"] == "pending", r.text
            assert not r.json()["duplicate"]  # the refused attempt did not strand a pending job
            assert r.json()["id"] == image_id
            assert client.get(f"/v1/images/{image_id}").status_code == 202  # pending until a worker finishes
            msgs = read_topic(broker.bootstrap, "up-t", expect=1, timeout_s=20)
            assert [m.key().decode() for m in msgs] == [image_id]
            body = json.loads(msgs[0].value())
            assert body["id"] == image_id and body["name"] == "first.jpg"
            from snapscribe.blobs import FileBlobs

            store = FileBlobs(home)
            assert store.key_of(body["uri"]) == f"uploads/{sha[:2]}/{sha}"
            assert store.get(f"uploads/{sha[:2]}/{sha}") == data  # what a worker reads from that URI
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.timeout(600)
def test_tone_travels_to_the_worker_and_stays_with_the_job(tmp_path):
    from snapscribe.queue.broker import LocalBroker, free_port

    port = free_port()
    home = tmp_path / "home"  # serve and the worker share the SQLite database and the blob folder
    env = {**base_env(home), "SNAPSCRIBE_API_KEYS": "me:k1:admin", "SNAPSCRIBE_KAFKA__PARTITIONS": "1"}
    log = tmp_path / "serve.log"
    with LocalBroker(log_path=tmp_path / "tansu.log") as broker:
        from snapscribe.queue.broker import ensure_topics

        ensure_topics(broker.bootstrap, {"up-tone": 1})  # not created by two processes at once
        cmd = [sys.executable, "-m", "snapscribe.cli", "serve", "--port", str(port), "--data-dir", str(home),
               "--brokers", broker.bootstrap, "--topic", "up-tone", "--log-level", "warning"]  # fmt: skip
        with open(log, "ab") as out:
            proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        args = ["--brokers", broker.bootstrap, "--topic", "up-tone", "--group", "g-tone", "--no-create-topics"]
        worker = WorkerProc.start("w-tone", tmp_path, env, *args)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": "Bearer k1"}, timeout=30)
        try:

            def ready() -> bool:
                try:
                    return client.get("/readyz").status_code == 200
                except httpx.HTTPError:
                    return False

            _wait(ready, 180, "the server to be ready", log)
            worker.wait_for(lambda w: w.of("assigned") and w.of("assigned")[-1]["partitions"], 240, "partitions")

            data = jpeg_bytes(photo_like(220, 160, seed=77))
            r = client.post("/v1/images", data={"tone": "poetic"}, files={"file": ("verse.jpg", data, "image/jpeg")})
            assert r.status_code == 202 and r.json()["status"] == "pending", r.text
            image_id = r.json()["id"]
            msgs = read_topic(broker.bootstrap, "up-tone", expect=1, timeout_s=20)
            assert [json.loads(m.value())["tone"] for m in msgs] == ["poetic"]

            def record() -> dict | None:
                got = client.get(f"/v1/images/{image_id}")
                return got.json() if got.status_code == 200 else None

            _wait(lambda: record() is not None, 240, "the worker's result", log)
            poetic = record()
            assert poetic is not None and poetic["status"] == "captioned", poetic
            assert poetic["provenance"]["tone"] == "poetic" and poetic["source"] == "verse.jpg"
            with sqlite3.connect(home / "snapscribe.db") as db:
                assert db.execute("SELECT state, tone FROM jobs WHERE id = ?", (image_id,)).fetchone() == (
                    "done",
                    "poetic",
                )

            # A plain duplicate is published again in the job's tone: the worker finds its cached
            # poetic result instead of overwriting it in the configured tone.
            dup = client.post("/v1/images", files={"file": ("again.jpg", data, "image/jpeg")})
            assert dup.status_code == 202 and dup.json()["duplicate"] is True, dup.text
            worker.wait_for(lambda w: processed(w) >= 2, 120, "the re-published duplicate")
            msgs = read_topic(broker.bootstrap, "up-tone", expect=2, timeout_s=20)
            assert [json.loads(m.value()).get("tone") for m in msgs] == ["poetic", "poetic"]
            assert record() == poetic

            # Another tone: captioned again by the worker, in that tone.
            r = client.post("/v1/images", params={"tone": "casual"}, files={"file": ("c.jpg", data, "image/jpeg")})
            assert r.status_code == 202 and r.json()["duplicate"] is False, r.text
            _wait(lambda: (record() or {}).get("provenance", {}).get("tone") == "casual", 120, "the casual re-run", log)
            casual = record()
            assert casual is not None and casual["caption"] != poetic["caption"]
        finally:
            client.close()
            worker.stop(30)
            proc.terminate()
            proc.wait(30)

"""`snapscribe serve --brokers` when the broker is not there yet: uploads get a clear 503 and lose
nothing; once the broker starts, the server connects and the same upload is published with its
blob URI and name (real server over HTTP, real Tansu broker, SQLite, folder blob store)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time

import httpx
import pytest
from hostile import jpeg_bytes, photo_like
from kafka_support import REPO, base_env, read_topic

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

"""One system end to end: the HTTP service as a Kafka producer, two workers, PostgreSQL, an S3 store.

`snapscribe serve --brokers` stores each upload in the S3-compatible blob store (moto's real S3
server), writes the pending job and publishes the blob's s3:// URI; two `snapscribe worker`
processes read it from the store, caption it into PostgreSQL and settle the job. One worker is
killed with SIGKILL mid-run. All 100 uploads come back through `GET /v1/images/{id}`, one row
each; a review rejection quarantines the bytes in the store; and the web page in Chromium shows
the fleet's results with their previews (read from the store).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from hostile import photo_like
from kafka_support import (
    REPO,
    WorkerProc,
    base_env,
    db_url,
    processed,
    worker_args,
)
from s3_support import moto_s3, new_bucket, s3_env

pytest.importorskip("boto3")
pytest.importorskip("moto")
pytestmark = pytest.mark.timeout(900)

N = 100
PARTITIONS = 6
KEYS = "admin:e2e-admin:admin,mod:e2e-mod:reviewer,up:e2e-up:uploader"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def s3():
    with moto_s3() as env, s3_env(env):
        yield env


@pytest.fixture
def procs():
    started: list[subprocess.Popen] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait(10)


def _jpeg(i: int) -> bytes:
    buf = io.BytesIO()
    photo_like(160 + 8 * (i % 4), 120 + 8 * (i % 3), seed=5000 + i).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_serve(env: dict[str, str], home: Path, database: str, brokers: str, topics: dict[str, str]):
    port = _free_port()
    cmd = [sys.executable, "-m", "snapscribe.cli", "serve", "--port", str(port), "--data-dir", str(home),
           "--db", db_url(database), "--brokers", brokers, "--topic", topics["topic"],
           "--results-topic", topics["results"], "--log-level", "warning"]  # fmt: skip
    home.mkdir(parents=True, exist_ok=True)
    log = open(home / "serve.log", "ab")
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def _wait_ready(proc, url: str, log: Path, timeout: float = 240) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            r = httpx.get(f"{url}/readyz", timeout=3)
            if r.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"serve not ready: {log.read_text()[-3000:]}")


def _wait_final(client, ids: list[str], timeout: float, workers: list[WorkerProc]) -> dict[str, dict]:
    done: dict[str, dict] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(done) < len(ids):
        for image_id in ids:
            if image_id in done:
                continue
            r = client.get(f"/v1/images/{image_id}")
            assert r.status_code in (200, 202), r.text
            if r.status_code == 200:
                done[image_id] = r.json()
        time.sleep(1)
    if len(done) < len(ids):
        logs = "\n".join(f"--- {w.name}\n{w.tail(12)}" for w in workers)
        raise AssertionError(f"{len(ids) - len(done)} uploads never finished:\n{logs}")
    return done


def test_api_publishes_fleet_captions_one_worker_killed(admin, database, broker, s3, procs, tmp_path):
    import httpx

    tag = uuid.uuid4().hex[:6]
    topics = {"topic": f"up-{tag}", "results": f"res-{tag}", "dlq": f"dlq-{tag}", "group": f"g-{tag}"}
    bucket = new_bucket("fleet")
    env = {
        **base_env(tmp_path / "home"),
        **s3,
        "SNAPSCRIBE_BLOBS__URL": f"s3://{bucket}/snap",
        "SNAPSCRIBE_API_KEYS": KEYS,
        "SNAPSCRIBE_SERVER__RATE_LIMIT": "1000",
        "SNAPSCRIBE_SERVER__RATE_BURST": "1000",
    }
    from snapscribe.queue.broker import ensure_topics

    ensure_topics(broker.bootstrap, {topics["topic"]: PARTITIONS, topics["results"]: PARTITIONS, topics["dlq"]: 1})
    api_home = tmp_path / "api"
    serve, url = _start_serve(env, api_home, database, broker.bootstrap, topics)
    procs.append(serve)
    args = worker_args(broker.bootstrap, topics, database, "--concurrency", "1", "--no-create-topics")
    a = WorkerProc.start("worker-a", tmp_path, env, *args)
    b = WorkerProc.start("worker-b", tmp_path, env, *args)
    procs += [a.proc, b.proc]
    _wait_ready(serve, url, api_home / "serve.log")
    for w in (a, b):
        w.wait_for(lambda w: w.of("assigned") and w.of("assigned")[-1]["partitions"], 180, "partitions")

    client = httpx.Client(base_url=url, headers={"Authorization": "Bearer e2e-admin"}, timeout=60)
    images = {f"e2e-{i:03d}.jpg": _jpeg(i) for i in range(N)}
    ids: dict[str, str] = {}
    for name, data in images.items():
        r = client.post("/v1/images", files={"file": (name, data, "image/jpeg")})
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "pending" and not r.json()["duplicate"]
        ids[r.json()["id"]] = name
    assert len(ids) == N
    again = client.post("/v1/images", files={"file": ("again.jpg", images["e2e-000.jpg"], "image/jpeg")})
    assert again.json()["duplicate"] and again.json()["id"] in ids

    # Kill worker-b with SIGKILL while it is busy; worker-a takes over its partitions.
    b.wait_for(
        lambda w: processed(w) >= 3 and (w.last("progress") or {}).get("in_flight", 0) > 0,
        timeout=240,
        what="worker-b busy after three results",
    )
    b.kill9()
    import psycopg

    with psycopg.connect(db_url(database), autocommit=True) as conn:
        at_kill = conn.execute("SELECT count(*) FROM results").fetchone()[0]
    assert at_kill < N, "worker-b was killed after everything was done; the test proves nothing"

    records = _wait_final(client, list(ids), timeout=600, workers=[a])
    assert {r["id"] for r in records.values()} == set(ids)
    assert all(r["status"] == "captioned" and r["caption"] for r in records.values()), [
        (r["status"], r["error"]) for r in records.values() if r["status"] != "captioned"
    ][:3]
    assert all(r["source"] == ids[i] for i, r in records.items())  # the upload's name travelled with it
    with psycopg.connect(db_url(database), autocommit=True) as conn:
        rows = conn.execute("SELECT id FROM results").fetchall()
        jobs = dict(conn.execute("SELECT id, state FROM jobs").fetchall())
    assert sorted(r[0] for r in rows) == sorted(ids)  # none lost, none duplicated, nothing extra
    assert set(jobs) == set(ids) and set(jobs.values()) == {"done"}
    listing = client.get("/v1/images", params={"limit": 5}).json()
    assert listing["total"] == N and not listing["pending"]

    # The bytes live in the object store, not on the API's disk.
    from snapscribe.blobs import open_blobs

    store = open_blobs(f"s3://{bucket}/snap")
    assert len(store.keys("uploads/")) == N
    assert not (api_home / "uploads").exists()
    thumb = client.get(f"/v1/images/{next(iter(ids))}/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert store.keys("thumbs/")

    # Search covers the fleet's results (indexed by the API from the shared database).
    first = records[next(iter(ids))]
    deadline = time.monotonic() + 60
    while first["id"] not in {
        h["record"]["id"] for h in client.get("/v1/search", params={"q": first["caption"], "limit": 100}).json()["hits"]
    }:
        assert time.monotonic() < deadline, f"search for {first['caption']!r} never found {first['id']}"
        time.sleep(1)

    # A review decision: an uploader's photo held for review, rejected by a reviewer -> quarantined in S3.
    from server.harness import injected_photo

    up = httpx.Client(base_url=url, headers={"Authorization": "Bearer e2e-up"}, timeout=60)
    held_id = up.post("/v1/images", files={"file": ("held.jpg", injected_photo(seed=7), "image/jpeg")}).json()["id"]
    held = _wait_final(up, [held_id], timeout=240, workers=[a])[held_id]
    assert held["status"] == "review", held["safety"]["reasons"]
    mod = httpx.Client(base_url=url, headers={"Authorization": "Bearer e2e-mod"}, timeout=60)
    r = mod.post(f"/v1/review/{held_id}", json={"decision": "reject", "note": "e2e"})
    assert r.status_code == 200 and r.json()["status"] == "blocked", r.text
    sha = held["sha256"]
    assert store.exists(f"quarantine/{sha[:2]}/{sha}") and not store.exists(f"uploads/{sha[:2]}/{sha}")
    assert client.get(f"/v1/images/{held_id}/thumbnail").status_code == 404

    _check_page(url, client, ids)
    assert a.stop() == 0, a.tail()
    serve.terminate()
    serve.wait(30)


def _check_page(url: str, client, ids: dict[str, str]) -> None:
    """The web page shows the fleet's results: the count, and the newest cards with caption and preview."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (scripts/services.sh installs it)")
    newest = [r for r in client.get("/v1/images", params={"limit": 6}).json()["items"] if r["id"] in ids][:4]
    assert newest
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            page.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)
            page.set_default_timeout(60_000)
            page.goto(url)
            page.wait_for_selector("#keybar:not([hidden])")
            page.fill("#key-input", "e2e-admin")
            page.click("#key-save")
            page.wait_for_selector("#conn-dot.ok")
            page.wait_for_selector(f"#count-gallery:has-text('{len(ids) + 1}')")
            for rec in newest:
                card = f'#gallery .card[data-id="{rec["id"]}"]'
                page.wait_for_selector(f"{card} .media img[src^='blob:']")
                assert page.inner_text(f"{card} .caption").strip() == rec["caption"]
                assert page.inner_text(f"{card} .source").strip() == ids[rec["id"]]
            assert page.locator("#gallery .card").count() >= min(len(ids), 24)
            shots = REPO / "build" / "screenshots"
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "fleet-gallery.png"), full_page=False)
            assert problems == [], problems
        finally:
            browser.close()

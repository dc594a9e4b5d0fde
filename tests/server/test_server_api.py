"""The HTTP API, tried as a client would: a real server process, real HTTP, the real pipeline."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from harness import FINAL, Server, injected_photo, sample_photos, upload, wait_done
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hostile import jpeg_bytes, photo_like


@pytest.fixture(scope="module")
def client(server: Server):
    with server.client() as c:
        yield c


@pytest.fixture(scope="module")
def cat(client) -> dict:
    """One sample photo, uploaded and finished."""
    photo = next(p for p in sample_photos() if p.name == "cat.jpg")
    r = upload(client, photo)
    assert r.status_code == 202, r.text
    return wait_done(client, r.json()["id"])


def test_health_and_docs(server: Server):
    h = httpx.get(f"{server.url}/healthz").json()
    assert h["status"] == "ok" and h["pipeline"] == "ready"
    docs = httpx.get(f"{server.url}/docs")
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text  # no CDN
    assert httpx.get(f"{server.url}/docs-assets/swagger-ui-bundle.js").status_code == 200
    spec = httpx.get(f"{server.url}/openapi.json").json()
    paths = {"/v1/images", "/v1/images/{image_id}", "/v1/search", "/v1/review", "/v1/review/{image_id}"}
    assert paths <= set(spec["paths"])


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dGVzdA=="}, {"Authorization": "Bearer"}]
)
def test_401_without_a_valid_key(server: Server, headers):
    for method, path in [
        ("GET", "/v1/images"),
        ("GET", "/v1/search?q=cat"),
        ("GET", "/v1/review"),
        ("GET", "/v1/images/0123456789abcdef01234567"),
    ]:
        r = httpx.request(method, server.url + path, headers=headers)
        assert r.status_code == 401, (path, r.text)
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.headers["www-authenticate"].startswith("Bearer")
    r = httpx.post(f"{server.url}/v1/images", headers=headers, files={"file": ("a.jpg", jpeg_bytes(photo_like()))})
    assert r.status_code == 401


def test_upload_then_result_with_caption(client, cat):
    assert cat["status"] == "captioned", cat
    assert cat["caption"] and cat["caption"].strip()
    assert cat["hashtags"] and cat["tags"]
    assert cat["source"] == "cat.jpg" and cat["id"] == cat["sha256"][:24]
    assert cat["timings_ms"]
    # the same record again by id, in the CLI's schema
    again = client.get(f"/v1/images/{cat['id']}")
    assert again.status_code == 200 and again.json()["caption"] == cat["caption"]
    from snapscribe.records import ImageRecord

    ImageRecord.model_validate(again.json())


def test_wait_blocks_until_done(client):
    data = jpeg_bytes(photo_like(seed=11))
    r = upload(client, data=data, name="waited.jpg", wait=90)
    assert r.status_code == 202
    body = r.json()
    assert body["status"] in FINAL and body["record"]["id"] == body["id"]


def test_duplicate_upload_same_id_no_reprocessing(server: Server, client, cat):
    def processed() -> float:
        text = httpx.get(f"{server.url}/metrics").text
        return sum(
            s.value
            for f in text_string_to_metric_families(text)
            if f.name == "snapscribe_jobs_processed"
            for s in f.samples
            if s.name.endswith("_total")
        )

    before = processed()
    photo = next(p for p in sample_photos() if p.name == "cat.jpg")
    r = upload(client, photo, name="another-name.jpg")
    assert r.status_code == 202
    body = r.json()
    assert body["id"] == cat["id"] and body["duplicate"] is True and body["status"] == cat["status"]
    time.sleep(1.0)
    assert processed() == before
    rows = client.get(f"/v1/images/{cat['id']}/audit").json()
    assert sum(1 for row in rows if row["action"] == "upload") == 2  # both uploads audited, one result


def test_duplicate_while_queued_is_not_queued_twice(client):
    data = jpeg_bytes(photo_like(seed=12))
    first = upload(client, data=data, name="twice.jpg").json()
    second = upload(client, data=data, name="twice.jpg").json()
    assert first["id"] == second["id"] and second["duplicate"] is True
    wait_done(client, first["id"])


def test_30mb_upload_is_413(client):
    big = b"\xff\xd8\xff" + bytes(30 * 1024 * 1024)
    start = time.monotonic()
    r = upload(client, data=big, name="huge.jpg")
    assert r.status_code == 413, r.text
    assert r.json()["error"]["code"] == "file_too_large"
    assert time.monotonic() - start < 20


def test_oversized_chunked_upload_is_413_while_streaming(server: Server, client):
    """No Content-Length: the cap is enforced as the bytes arrive, and nothing is kept."""

    def body():
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.jpg"\r\n\r\n'
        for _ in range(30):
            yield bytes(1024 * 1024)
        yield b"\r\n--b--\r\n"

    r = client.post("/v1/images", content=body(), headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413
    assert not list((server.data_dir / "tmp").glob("upload-*"))


def test_expect_100_continue_gets_413_before_the_body(server: Server):
    """A client that asks first (curl does for big bodies) is refused without sending 30 MB."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(
            b"POST /v1/images HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + server.key.encode()
            + b"\r\nContent-Type: application/octet-stream\r\nContent-Length: 31457280\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        head = s.recv(4096).decode()
    assert head.startswith("HTTP/1.1 413"), head


@pytest.mark.parametrize(
    "payload,code",
    [
        (b"hello, this is text\n", "not_an_image"),
        (b"", "empty_file"),
        (b"%PDF-1.4\n" + bytes(100), "not_an_image"),
        (b"GIF89a" + bytes(20), None),
    ],
)
def test_not_an_image_is_422_with_the_cli_code(tmp_path: Path, client, payload, code):
    # the code the CLI writes into its error record for the same bytes
    f = tmp_path / "notes.txt"
    f.write_bytes(payload)
    from snapscribe.config import IntakeConfig
    from snapscribe.errors import IntakeError
    from snapscribe.intake import decode, read_source

    with pytest.raises(IntakeError) as exc:
        decode(read_source(str(f), IntakeConfig()), IntakeConfig())
    assert code is None or exc.value.code == code
    r = upload(client, data=payload, name="notes.txt")
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == exc.value.code


def test_truncated_image_becomes_an_error_record(client):
    data = jpeg_bytes(photo_like(seed=13))
    r = upload(client, data=data[: len(data) // 2], name="cut.jpg", wait=60)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "truncated_image"
    rec = client.get(f"/v1/images/{r.json()['id']}").json()
    assert rec["status"] == "error" and rec["error"]["code"] == "truncated_image"


def test_raw_body_upload(client):
    r = client.post(
        "/v1/images",
        content=jpeg_bytes(photo_like(seed=14)),
        params={"name": "raw.jpg"},
        headers={"Content-Type": "image/jpeg"},
    )
    assert r.status_code == 202
    assert wait_done(client, r.json()["id"])["source"] == "raw.jpg"


def test_missing_file_field_is_400(client):
    r = client.post("/v1/images", files={"photo": ("a.jpg", jpeg_bytes(photo_like()))})
    assert r.status_code == 400 and r.json()["error"]["code"] == "missing_file"


@pytest.mark.parametrize("image_id", ["0123456789abcdef01234567", "nope", "../../etc/passwd", "A" * 24])
def test_unknown_id_is_404(client, image_id):
    r = client.get(f"/v1/images/{image_id}")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_client_file_names_never_become_paths(server: Server, client):
    evil = f"../../../../tmp/snapscribe-escape-{server.port}.jpg"
    r = upload(client, data=jpeg_bytes(photo_like(seed=15)), name=evil)
    rec = wait_done(client, r.json()["id"])
    assert rec["source"] == f"snapscribe-escape-{server.port}.jpg"
    assert not Path(f"/tmp/snapscribe-escape-{server.port}.jpg").exists()
    stored = [p for p in (server.data_dir / "uploads").rglob("*") if p.is_file()]
    assert stored and all(len(p.name) == 64 and p.parent.name == p.name[:2] for p in stored)


def test_thumbnail(client, cat):
    r = client.get(f"/v1/images/{cat['id']}/thumbnail")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    from PIL import Image

    small = Image.open(io.BytesIO(r.content)).size
    assert max(small) <= 384
    large = Image.open(io.BytesIO(client.get(f"/v1/images/{cat['id']}/thumbnail", params={"size": "large"}).content))
    assert max(small) < max(large.size) <= 1024
    assert client.get(f"/v1/images/{cat['id']}/thumbnail", params={"size": "huge"}).status_code == 422


def test_metrics_parse_as_prometheus_text(server: Server, cat):
    r = httpx.get(f"{server.url}/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    stage = families["snapscribe_stage_seconds"]
    assert stage.type == "histogram"
    stages = {s.labels["stage"] for s in stage.samples if s.name.endswith("_count")}
    assert {"intake", "detect", "classify", "caption"} <= stages
    statuses = {s.labels["status"]: s.value for s in families["snapscribe_images"].samples}
    assert statuses.get("captioned", 0) >= 1
    assert "snapscribe_queue_depth" in families
    assert families["snapscribe_http_requests"].type == "counter"


def test_search_ranks_matching_images_and_hides_blocked(server: Server, client, cat):
    photos = {p.name: p for p in sample_photos()}
    ids = {}
    for name in ("coffee.jpg", "mountains.jpg"):
        ids[name] = wait_done(client, upload(client, photos[name]).json()["id"])["id"]
    hits = client.get("/v1/search", params={"q": "a cat"}).json()["hits"]
    assert hits and hits[0]["record"]["id"] == cat["id"], [(h["record"]["caption"], h["score"]) for h in hits]
    hits = client.get("/v1/search", params={"q": "cup of coffee"}).json()["hits"]
    assert hits and hits[0]["record"]["id"] == ids["coffee.jpg"]
    hits = client.get("/v1/search", params={"q": "mountain landscape"}).json()["hits"]
    assert hits and hits[0]["record"]["id"] == ids["mountains.jpg"]
    assert client.get("/v1/search").status_code == 422  # q is required
    # a photo the safety gates sent to review is findable; once rejected it is blocked and gone
    held = wait_done(client, upload(client, data=injected_photo(photos["cat.jpg"]), name="held.jpg").json()["id"])
    assert held["status"] == "review", held["safety"]
    query = " ".join(t["label"] for t in held["tags"][:3]) or held["caption"]
    assert held["id"] in [h["record"]["id"] for h in client.get("/v1/search", params={"q": query}).json()["hits"]]
    assert client.post(f"/v1/review/{held['id']}", json={"decision": "reject"}).status_code == 403  # its uploader
    with server.client(key="test-key-2") as moderator:
        r = moderator.post(f"/v1/review/{held['id']}", json={"decision": "reject"})
    assert r.status_code == 200 and r.json()["status"] == "blocked"
    for q in (query, held["caption"], "cat", "animal"):
        found = [h["record"]["id"] for h in client.get("/v1/search", params={"q": q}).json()["hits"]]
        assert held["id"] not in found
    assert client.get(f"/v1/images/{held['id']}/thumbnail").status_code == 404


def test_review_queue_records_who_and_when(server: Server, client):
    ids = []
    for seed in (21, 22):
        r = upload(client, data=injected_photo(seed=seed), name=f"review-{seed}.jpg")
        rec = wait_done(client, r.json()["id"])
        assert rec["status"] == "review", rec["safety"]  # the real gates: prompt injection in the image
        ids.append(rec["id"])
    queue = client.get("/v1/review").json()
    assert set(ids) <= {r["id"] for r in queue["items"]} and queue["total"] >= 2
    with server.client(key="test-key-2") as moderator:
        ok = moderator.post(f"/v1/review/{ids[0]}", json={"decision": "approve", "note": "looks fine"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["actor"] == "moderator" and ok.json()["status"] == "captioned"
        bad = moderator.post(f"/v1/review/{ids[1]}", json={"decision": "reject"})
        assert bad.json()["status"] == "blocked"
        assert moderator.post(f"/v1/review/{ids[1]}", json={"decision": "approve"}).status_code == 409
        assert moderator.post(f"/v1/review/{ids[1]}", json={"decision": "maybe"}).status_code == 422
        assert moderator.post("/v1/review/0123456789abcdef01234567", json={"decision": "approve"}).status_code == 404
    assert {r["id"] for r in client.get("/v1/review").json()["items"]}.isdisjoint(ids)
    assert client.get(f"/v1/images/{ids[0]}").json()["status"] == "captioned"
    blocked = client.get(f"/v1/images/{ids[1]}").json()
    assert blocked["status"] == "blocked" and blocked["caption"] is None and blocked["tags"] == []
    trail = client.get(f"/v1/images/{ids[0]}/audit").json()
    decision = next(e for e in trail if e["action"] == "review_approve")
    assert decision["actor"] == "moderator" and decision["reason"] == "looks fine" and decision["at"]
    assert decision["role"] == "reviewer" and ok.json()["role"] == "reviewer"
    assert any(e["action"] == "review" and e["actor"] == "pipeline" for e in trail)  # why it was held
    # the same bytes again: still decided, not back in the queue
    again = upload(client, data=injected_photo(seed=22), name="again.jpg").json()
    assert again["id"] == ids[1] and again["status"] == "blocked"


def test_rate_limit_429_per_key(server: Server):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "snapscribe.cli",
            "apikey",
            "create",
            "slow",
            "--rate",
            "0.5",
            "--burst",
            "3",
            "--db",
            server.db_url,
        ],
        capture_output=True,
        text=True,
        env=server.env,
        check=True,
    )
    key = out.stdout.strip().splitlines()[-1]
    with server.client(key=key) as slow, server.client() as other:
        codes = [slow.get("/v1/images", params={"limit": 1}).status_code for _ in range(6)]
        assert codes[:3] == [200, 200, 200] and 429 in codes[3:], codes
        r = slow.get("/v1/images")
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert r.json()["error"]["code"] == "rate_limited"
        assert other.get("/v1/images").status_code == 200  # limits are per key
    subprocess.run(
        [sys.executable, "-m", "snapscribe.cli", "apikey", "revoke", "slow", "--db", server.db_url],
        env=server.env,
        check=True,
        capture_output=True,
    )


def test_hash_listed_image_is_blocked_and_never_shown(tmp_path: Path, server: Server, client):
    """A known-bad upload (PDQ hash list) is blocked before any model: no caption, no preview, no search hit."""
    bad = tmp_path / "known-bad.jpg"
    bad.write_bytes(jpeg_bytes(photo_like(640, 480, seed=31)))
    subprocess.run(
        [sys.executable, "-m", "snapscribe.cli", "hashlist", "--db", server.db_url, "add", "known-bad", str(bad)],
        env=server.env,
        check=True,
        capture_output=True,
    )
    time.sleep(2.5)  # the workers re-read the lists every [hashlist] refresh_s
    rec = wait_done(client, upload(client, bad, name="innocent-name.jpg").json()["id"])
    assert rec["status"] == "blocked" and rec["caption"] is None and rec["tags"] == []
    assert rec["safety"]["hash_match"]["list_name"] == "known-bad"
    assert client.get(f"/v1/images/{rec['id']}/thumbnail").status_code == 404
    sha = rec["sha256"]
    assert not (server.data_dir / "uploads" / sha[:2] / sha).exists()
    assert (server.data_dir / "quarantine" / sha[:2] / sha).exists()
    for q in ("abstract", "red", "colourful", "innocent"):
        found = [h["record"]["id"] for h in client.get("/v1/search", params={"q": q}).json()["hits"]]
        assert rec["id"] not in found
    listed = {r["id"]: r for r in client.get("/v1/images", params={"status": "blocked"}).json()["items"]}
    assert listed[rec["id"]]["caption"] is None
    trail = client.get(f"/v1/images/{rec['id']}/audit").json()
    assert any(e["action"] == "blocked" and e["actor"] == "pipeline" for e in trail)


def test_duplicate_of_a_newly_listed_image_is_blocked_on_reupload(tmp_path: Path, server: Server, client):
    photo = tmp_path / "later-listed.jpg"
    photo.write_bytes(jpeg_bytes(photo_like(640, 480, seed=32)))
    first = wait_done(client, upload(client, photo).json()["id"])
    assert first["status"] == "captioned"
    subprocess.run(
        [sys.executable, "-m", "snapscribe.cli", "hashlist", "--db", server.db_url, "add", "later", str(photo)],
        env=server.env,
        check=True,
        capture_output=True,
    )
    time.sleep(2.5)
    again = upload(client, photo).json()
    assert again["id"] == first["id"] and again["duplicate"] is True and again["status"] == "blocked"
    assert client.get(f"/v1/images/{first['id']}/thumbnail").status_code == 404

"""The blob store: one interface, a folder and an S3-compatible store (moto's real S3 server),
and workers reading s3:// upload URIs through it within the [fetch] allowlist."""

from __future__ import annotations

import hashlib
import io
import os
import socket

import pytest
from PIL import Image
from s3_support import moto_s3, new_bucket, s3_env

from snapscribe.blobs import BlobError, BlobTooLarge, FileBlobs, UploadBlobs, content_key, open_blobs
from snapscribe.config import FetchConfig, IntakeConfig
from snapscribe.errors import IntakeError
from snapscribe.queue.fetch import load_bytes
from snapscribe.queue.messages import UploadMessage

pytest.importorskip("boto3")
pytest.importorskip("moto")


@pytest.fixture(scope="module")
def s3():
    with moto_s3() as env, s3_env(env):
        yield env


@pytest.fixture(params=["file", "s3"])
def store(request, tmp_path):
    if request.param == "file":
        return open_blobs((tmp_path / "blobs").as_uri())
    request.getfixturevalue("s3")
    return open_blobs(f"s3://{new_bucket()}/fleet/one")


def _jpeg(seed: int = 1, side: int = 96) -> bytes:
    img = Image.new("RGB", (side, side), ((seed * 40) % 256, 120, 200))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_put_get_exists_delete_keys(store):
    data = b"some bytes" * 10
    key = store.put_content(data)
    assert key == content_key(hashlib.sha256(data).hexdigest())
    assert store.exists(key) and store.get(key) == data
    assert store.put_content(data) == key  # idempotent by content hash
    store.put("thumbs/ab/x-1.jpg", b"1")
    store.put("thumbs/ab/x-2.jpg", b"2")
    store.put("thumbs/ab/y-1.jpg", b"3")
    assert store.keys("thumbs/ab/x-") == ["thumbs/ab/x-1.jpg", "thumbs/ab/x-2.jpg"]
    store.delete("thumbs/ab/x-1.jpg")
    store.delete("thumbs/ab/never-there.jpg")  # absent is fine
    assert store.keys("thumbs/ab/x-") == ["thumbs/ab/x-2.jpg"]
    assert store.get("uploads/00/missing") is None and not store.exists("uploads/00/missing")


def test_max_bytes_move_and_put_file(store, tmp_path):
    store.put("a/big", b"x" * 1000)
    with pytest.raises(BlobTooLarge):
        store.get("a/big", max_bytes=999)
    assert store.get("a/big", max_bytes=1000) == b"x" * 1000
    assert store.move("a/big", "b/big") and not store.exists("a/big") and store.get("b/big") == b"x" * 1000
    assert not store.move("a/big", "c/big")
    local = tmp_path / "upload.part"
    local.write_bytes(b"received")
    store.put_file("uploads/ff/received", str(local))
    assert store.get("uploads/ff/received") == b"received" and not local.exists()


def test_uri_round_trips_and_foreign_uris_are_not_keys(store):
    uri = store.uri("uploads/ab/abc")
    assert uri.startswith(("file:///", "s3://"))
    assert store.key_of(uri) == "uploads/ab/abc"
    assert store.key_of("s3://another-bucket/uploads/ab/abc") is None
    assert store.key_of("file:///etc/passwd") is None
    assert store.key_of("https://example.com/uploads/ab/abc") is None


@pytest.mark.parametrize("bad", ["../etc/passwd", "/abs", "a/../../b", "a//b", "a/./b", ""])
def test_keys_never_leave_the_store(bad, tmp_path):
    blobs = FileBlobs(tmp_path)
    with pytest.raises(ValueError):
        blobs.put(bad, b"x")


def test_open_blobs_refuses_other_schemes():
    with pytest.raises(BlobError):
        open_blobs("ftp://host/x")


def test_unreachable_s3_is_a_blob_error_not_a_hang(monkeypatch):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from snapscribe.blobs.s3 import S3Blobs

    with s3_env(
        {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}
    ):
        blobs = S3Blobs("nobody", timeout_s=1)
        with pytest.raises(BlobError):
            blobs.get("uploads/ab/x")
        with pytest.raises(BlobError):
            blobs.check()


def test_upload_layout_quarantine_and_thumbnails(store, tmp_path):
    blobs = UploadBlobs(store, tmp_dir=tmp_path / "tmp")
    data = _jpeg(3, side=400)
    sha = hashlib.sha256(data).hexdigest()
    image_id = sha[:24]
    fd, path = blobs.new_temp()
    os.write(fd, data)
    os.close(fd)
    name = blobs.put(path, sha)
    assert name == f"{sha[:2]}/{sha}" and blobs.has(sha) and blobs.read(name) == data
    jpeg = blobs.thumbnail(image_id, name, 128, IntakeConfig())
    assert jpeg is not None and max(Image.open(io.BytesIO(jpeg)).size) == 128
    assert store.exists(UploadBlobs.thumb_key(image_id, 128))  # cached in the store
    assert blobs.quarantine_uri(blobs.uri(name), image_id)
    assert not store.exists(f"uploads/{name}") and store.exists(f"quarantine/{name}")
    assert not store.keys(f"thumbs/{image_id[:2]}/{image_id}-")  # previews dropped
    assert blobs.read(name) == data and blobs.has(sha)  # kept for appeal, never served
    assert blobs.thumbnail(image_id, name, 128, IntakeConfig()) is None
    assert not blobs.quarantine_uri("file:///somewhere/else.jpg", image_id)


# -- workers read s3:// URIs through the store, within the allowlist -------------------------------
def test_worker_fetches_s3_uris_from_the_fleet_store_only(s3):
    blobs = open_blobs(f"s3://{new_bucket()}/up")
    data = _jpeg(5)
    key = blobs.put_content(data)
    msg = UploadMessage(id=hashlib.sha256(data).hexdigest()[:24], uri=blobs.uri(key))
    assert load_bytes(msg, IntakeConfig(), FetchConfig(), blobs) == data

    def code(m: UploadMessage, fetch: FetchConfig = FetchConfig(), store=blobs, cap: int = 10**6) -> str:
        with pytest.raises(IntakeError) as err:
            load_bytes(m, IntakeConfig(max_bytes=cap), fetch, store)
        return err.value.code

    # another bucket on the same endpoint: outside the allowlist unless listed in fetch.s3_roots
    other = open_blobs(f"s3://{new_bucket('other')}")
    foreign = UploadMessage(id=msg.id, uri=other.uri(other.put_content(data)))
    assert code(foreign) == "source_not_allowed"
    assert code(foreign, store=None) == "source_not_allowed"
    assert load_bytes(foreign, IntakeConfig(), FetchConfig(s3_roots=[other.url]), blobs) == data
    # a sibling prefix of the allowed one is not under it
    sibling = UploadMessage(id=msg.id, uri=blobs.uri(key).replace("/up/", "/up-other/"))
    assert code(sibling) == "source_not_allowed"
    assert code(msg, FetchConfig(schemes=["file", "https"])) == "source_not_allowed"
    assert code(UploadMessage(id=msg.id, uri=blobs.uri("uploads/00/gone"))) == "unreadable_file"
    assert code(msg, cap=len(data) - 1) == "file_too_large"

"""A full disk under ``serve``'s data dir (SQLite store, uploads, temp files) on a small tmpfs:
uploads get a clear 507 and nothing is kept or half-written; when space returns, work goes on."""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import subprocess

import pytest
from harness import ROOT, Server, wait_done
from PIL import Image

pytestmark = [pytest.mark.slow, pytest.mark.faults]


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _photo(name: str) -> bytes:
    buf = io.BytesIO()
    Image.open(ROOT / "samples" / name).convert("RGB").save(buf, "JPEG", quality=87)
    return buf.getvalue()


def _fill(path) -> None:
    with open(path, "wb", buffering=0) as fh:
        for size in (1 << 16, 512):
            try:
                while fh.write(b"\0" * size):
                    pass
            except OSError:
                pass


def test_full_disk_is_507_keeps_nothing_and_recovers(tmp_path, small_disk):
    srv = Server(small_disk / "data", workers=1)
    srv.log = tmp_path / "server.log"  # the log is not on the disk that fills
    srv.start()
    try:
        with srv.client() as c:
            first = c.post("/v1/images", params={"wait": 60}, files={"file": ("a.jpg", _photo("cat.jpg"))})
            assert first.status_code == 202 and first.json()["record"]["status"] == "captioned", first.text

            ballast = small_disk / "ballast"
            _fill(ballast)
            blocked = _photo("coffee.jpg")
            full = c.post("/v1/images", files={"file": ("b.jpg", blocked)})
            assert full.status_code == 507, full.text
            assert full.json()["error"]["code"] == "insufficient_storage" and full.headers["retry-after"]
            listed = c.get("/v1/images").json()
            assert all(j["source"] != "b.jpg" for j in listed["pending"])
            assert all(r["source"] != "b.jpg" for r in listed["items"])
            assert not list((srv.data_dir / "tmp").glob("*.part"))  # no half-received upload left
            assert c.get("/healthz").status_code == 200

            ballast.unlink()  # space returns: the same upload goes through
            again = c.post("/v1/images", files={"file": ("b.jpg", blocked)})
            assert again.status_code == 202 and again.json()["duplicate"] is False, again.text
            done = wait_done(c, again.json()["id"])
            assert done["status"] == "captioned" and done["caption"]
    finally:
        srv.stop()
    with sqlite3.connect(small_disk / "data" / "snapscribe.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT id, status FROM results").fetchall()
        jobs = db.execute("SELECT id, state FROM jobs").fetchall()
    assert sorted(s for _, s in rows) == ["captioned", "captioned"] and len({i for i, _ in rows}) == 2
    assert sorted(s for _, s in jobs) == ["done", "done"]

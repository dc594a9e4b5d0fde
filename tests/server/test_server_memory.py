"""A huge image must not leave the server hundreds of MB larger for good (issue 17, defect 7).

A 62-megapixel PNG (small on the wire, 185 MB as pixels) through a real ``snapscribe serve``;
the process's resident size is read from /proc before and after. Measured on the development
machine: +291 MB before the fix, -8 MB after."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
from harness import Server, upload
from hostile import jpeg_bytes, photo_like
from PIL import Image

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc"),
]


def _rss_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no VmRSS")


def test_a_62_megapixel_upload_does_not_leave_rss_high(tmp_path):
    srv = Server(tmp_path / "serve", workers=1).start()
    try:
        with srv.client() as c:
            for seed in range(3):  # warm: every model the pipeline uses is loaded
                assert upload(c, data=jpeg_bytes(photo_like(640, 480, seed=seed)), name=f"w{seed}.jpg", wait=60).json()[
                    "status"
                ] not in ("pending", "running")
            time.sleep(2)
            before = _rss_mb(srv.proc.pid)
            tile = np.random.default_rng(1).integers(0, 255, (395, 395, 3), dtype=np.uint8)
            buf = io.BytesIO()
            Image.fromarray(tile).resize((7900, 7900), Image.NEAREST).save(buf, "PNG")
            r = upload(c, data=buf.getvalue(), name="big.png", wait=120)
            assert r.status_code == 202 and r.json()["status"] not in ("pending", "running"), r.text
            time.sleep(3)
            grown = _rss_mb(srv.proc.pid) - before
    finally:
        srv.stop()
    assert grown < 100, f"RSS grew by {grown} MB after one big image and stayed there"

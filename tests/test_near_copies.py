"""scripts/near_copies.py: re-encoded copies of a labelled photo are found, other photos are not."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"


def _reencoded(src: Path, dest: Path) -> None:
    with Image.open(src) as im:
        small = im.convert("RGB").resize((im.width // 2, im.height // 2))
    buf = io.BytesIO()
    small.save(buf, format="JPEG", quality=30)
    dest.write_bytes(buf.getvalue())


def test_reencoded_copy_is_found_and_other_photos_are_not(tmp_path: Path) -> None:
    known = tmp_path / "known"
    known.mkdir()
    for name in ("cat.jpg", "mountains.jpg"):
        (known / name).write_bytes((SAMPLES / name).read_bytes())
    new = tmp_path / "new"
    new.mkdir()
    _reencoded(SAMPLES / "cat.jpg", new / "kit-cat-small.jpg")
    (new / "kit-coffee.jpg").write_bytes((SAMPLES / "coffee.jpg").read_bytes())
    _reencoded(SAMPLES / "coffee.jpg", new / "other-coffee.jpg")  # a copy among the new images themselves
    manifest = new / "labels.json"
    entries = [{"file": n} for n in ("kit-cat-small.jpg", "kit-coffee.jpg", "other-coffee.jpg")]
    manifest.write_text(json.dumps({"images": entries}))
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "near_copies.py"), str(manifest), "--known", str(known)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    rows = [line.split("\t") for line in run.stdout.splitlines()]
    assert run.returncode == 1, run.stderr
    assert [(r[0], r[1]) for r in rows] == [("kit-cat-small.jpg", "cat.jpg"), ("other-coffee.jpg", "kit-coffee.jpg")]
    assert all(int(r[2]) <= 31 for r in rows)

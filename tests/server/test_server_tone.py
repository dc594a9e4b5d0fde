"""``tone=`` on ``POST /v1/images`` over real HTTP: validated, stored with the job, used for the record."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys

import pytest
from harness import ROOT, Server, injected_photo, upload, wait_done
from PIL import Image

from snapscribe.config import TONES


def _photo(name: str, quality: int) -> bytes:
    """A sample photo re-encoded: bytes no other server test uploads."""
    buf = io.BytesIO()
    Image.open(ROOT / "samples" / name).convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


@pytest.fixture(scope="module")
def client(server: Server):
    with server.client() as c:
        yield c


def _job_tone(server: Server, image_id: str) -> str | None:
    with sqlite3.connect(server.data_dir / "snapscribe.db") as db:
        row = db.execute("SELECT tone FROM jobs WHERE id = ?", (image_id,)).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize(
    ("params", "form"),
    [({"tone": "sarcastic"}, {}), ({}, {"tone": "Shouty"}), ({"tone": "casual"}, {"tone": "poetic"})],
    ids=["query", "form", "two-tones"],
)
def test_a_bad_tone_is_400_and_queues_nothing(client, params, form):
    data = _photo("mountains.jpg", 71)
    r = client.post("/v1/images", params=params, data=form, files={"file": ("m.jpg", data, "image/jpeg")})
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "bad_tone"
    if "two" not in err["message"]:
        assert all(t in err["message"] for t in TONES), err  # the allowed tones are named
    listed = client.get("/v1/images").json()
    assert all(j["source"] != "m.jpg" for j in listed["pending"])
    assert all(rec["source"] != "m.jpg" for rec in listed["items"])


def test_tone_is_stored_with_the_job_and_the_record_is_written_in_it(server: Server, client, tmp_path):
    data = _photo("pagoda.jpg", 83)
    r = client.post("/v1/images", data={"tone": "casual"}, files={"file": ("pagoda-casual.jpg", data, "image/jpeg")})
    assert r.status_code == 202, r.text
    image_id = r.json()["id"]
    casual = wait_done(client, image_id)
    assert _job_tone(server, image_id) == "casual"
    assert casual["status"] == "captioned" and casual["provenance"]["tone"] == "casual"
    assert len(set(casual["caption_options"])) == 3 and casual["caption"] == casual["caption_options"][0]

    # The same caption as the CLI writes in that tone.
    path = tmp_path / "pagoda.jpg"
    path.write_bytes(data)
    env = {**server.env, "SNAPSCRIBE_HOME": str(tmp_path / "cli")}
    out = subprocess.run(
        [sys.executable, "-m", "snapscribe.cli", "caption", str(path), "--tone", "casual", "--format", "jsonl"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    cli = json.loads(out.stdout.splitlines()[0])
    assert cli["caption"] == casual["caption"] and cli["caption_options"] == casual["caption_options"]

    # The same bytes in another tone (query parameter): captioned again, in that tone.
    again = client.post("/v1/images", params={"tone": "poetic"}, files={"file": ("p.jpg", data, "image/jpeg")})
    assert again.status_code == 202 and again.json()["duplicate"] is False, again.text
    poetic = wait_done(client, image_id)
    assert poetic["provenance"]["tone"] == "poetic" and _job_tone(server, image_id) == "poetic"
    assert poetic["caption"] != casual["caption"] and len(set(poetic["caption_options"])) == 3
    # Asking again for the tone it has is a plain duplicate.
    same = client.post("/v1/images", params={"tone": "poetic"}, files={"file": ("p.jpg", data, "image/jpeg")})
    assert same.json()["duplicate"] is True and same.json()["record"]["caption"] == poetic["caption"]


def test_a_result_in_review_is_not_captioned_again_in_another_tone(server: Server, client):
    data = injected_photo(seed=57)
    held = wait_done(client, upload(client, data=data, name="held-tone.jpg").json()["id"])
    assert held["status"] == "review"
    r = client.post("/v1/images", params={"tone": "minimal"}, files={"file": ("h.jpg", data, "image/jpeg")})
    assert r.status_code == 202 and r.json()["duplicate"] is True and r.json()["status"] == "review"
    assert _job_tone(server, held["id"]) is None  # the job keeps the tone it ran in (the configured one)

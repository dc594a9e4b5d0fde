"""OnnxSSDDetector (the packaged TF frozen graph translated to ONNX in memory) against
OpenCV DNN running the same graph: the same detections on real photos, the same raw network
outputs, priors and post-processing; and the GraphDef reader on hand-made bytes.

OpenCV's outputs are stored in tests/data/ssd_opencv_reference.npz
(scripts/record_opencv_reference.py), so these checks need no live TensorFlow importer (OpenCV 5
removed it). Where the installed OpenCV still has one, SSDDetector is also compared live on
samples/ and every 4th image of devset/cache/1024 (when fetched). Agreement rules live in
scripts/compare_detectors.py."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scripts_support import load_script

from snapscribe.config import Settings
from snapscribe.engines.base import Detection
from snapscribe.engines.ssd_detector import SSDDetector, coco_labels, score_floor
from snapscribe.engines.ssd_onnx import OnnxSSDDetector, detection_output, ssd_anchors
from snapscribe.engines.tf_graph import parse_graph
from snapscribe.intake import decode
from snapscribe.normalize import prepare

ROOT = Path(__file__).resolve().parent.parent
cd = load_script("compare_detectors")

DEVSET = ROOT / "devset" / "cache" / "1024"
REFERENCE = ROOT / "tests" / "data" / "ssd_opencv_reference.npz"
live_opencv = pytest.mark.skipif(not SSDDetector.available(), reason="this OpenCV has no TensorFlow importer")


def _images() -> list[Path]:
    files = cd.image_files(ROOT / "samples")
    if DEVSET.is_dir():
        files += cd.image_files(DEVSET)[::4]
    return files


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="module")
def opencv(settings) -> SSDDetector:
    return SSDDetector(settings.detector)


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(REFERENCE) as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="module")
def onnx_ssd(settings) -> OnnxSSDDetector:
    return OnnxSSDDetector(settings.detector)


@pytest.mark.parametrize("path", cd.image_files(ROOT / "samples"), ids=lambda p: p.name)
def test_same_detections_as_stored_opencv(path, settings, onnx_ssd, reference):
    """Same agreement rules as the live comparison, against OpenCV's recorded detections."""
    labels = coco_labels()
    ref = [
        Detection(label=labels[int(c)], class_id=int(c), score=float(sc), box=(x0, y0, x1, y1))
        for c, sc, x0, y0, x1, y1 in reference[f"dets/{path.name}"]
    ]
    new = onnx_ssd.detect(cd.model_inputs(path, settings))
    cfg = settings.detector
    agreement = cd.compare(ref, new, floor=score_floor(cfg), cap=cfg.max_objects * 2)
    assert not agreement.problems, f"{path.name}: {agreement.problems}\nOpenCV: {ref}\nONNX: {new}"


def test_reference_has_detections(reference):
    assert sum(len(v) > 0 for k, v in reference.items() if k.startswith("dets/")) >= 3


@live_opencv
@pytest.mark.parametrize("path", _images(), ids=lambda p: p.name)
def test_same_detections_as_opencv(path, settings, opencv, onnx_ssd):
    """Same labels at >= 0.3 (one near where a list stops may differ), scores within 0.02,
    boxes at IoU >= 0.95."""
    inputs = cd.model_inputs(path, settings)
    ref, new = opencv.detect(inputs), onnx_ssd.detect(inputs)
    cfg = settings.detector
    agreement = cd.compare(ref, new, floor=score_floor(cfg), cap=cfg.max_objects * 2)
    assert not agreement.problems, f"{path.name}: {agreement.problems}\nOpenCV: {ref}\nONNX: {new}"
    assert [d.score for d in new] == sorted((d.score for d in new), reverse=True)


def test_finds_what_the_samples_show(settings, onnx_ssd):
    found = {
        p: {d.label for d in onnx_ssd.detect(cd.model_inputs(ROOT / "samples" / p, settings)) if d.score >= 0.5}
        for p in ("cat.jpg", "coffee.jpg", "astronaut.jpg")
    }
    assert "cat" in found["cat.jpg"]
    assert {"cup", "bowl"} <= found["coffee.jpg"]
    assert "person" in found["astronaut.jpg"]


@pytest.mark.parametrize("grey", [0, 128, 255])
def test_blank_image_has_no_detections(grey, settings, onnx_ssd):
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (grey, grey, grey)).save(buf, format="PNG")
    inputs = prepare(decode(buf.getvalue(), settings.intake), settings.models)
    assert onnx_ssd.detect(inputs) == []


def test_other_input_sizes_are_resized_to_the_network(onnx_ssd):
    encodings, scores = onnx_ssd.raw(np.zeros((200, 240, 3), np.uint8))
    assert encodings.shape == (1917, 4) and scores.shape == (1917, 91)
    assert np.all((scores >= 0) & (scores <= 1))


# -- the pieces, against OpenCV's own intermediate outputs ------------------------------------


@pytest.fixture(scope="module")
def opencv_raw(reference):
    """OpenCV's box encodings, sigmoid scores, priors and DetectionOutput rows for cat.jpg (stored)."""
    return {name: reference[f"cat_{name}"] for name in ("image", "encodings", "scores", "anchors", "rows")}


def test_network_outputs_match_opencv(onnx_ssd, opencv_raw):
    encodings, scores = onnx_ssd.raw(opencv_raw["image"])
    np.testing.assert_allclose(encodings, opencv_raw["encodings"], atol=5e-4)
    np.testing.assert_allclose(scores, opencv_raw["scores"], atol=5e-5)


def test_anchors_match_opencv_priors(opencv_raw):
    anchors = ssd_anchors([(19, 19), (10, 10), (5, 5), (3, 3), (2, 2), (1, 1)], [3, 6, 6, 6, 6, 6])
    assert anchors.shape == opencv_raw["anchors"].shape == (1917, 4)
    # TF's 0.3333 aspect ratio against the pbtxt's 0.333: up to 7.4e-4 on those boxes only.
    np.testing.assert_allclose(anchors, opencv_raw["anchors"], atol=8e-4)
    close = np.abs(anchors - opencv_raw["anchors"]).max(axis=1) < 1e-5
    assert close.mean() > 0.75


def test_postprocessing_reproduces_detection_output(opencv_raw):
    """Fed OpenCV's own network outputs and priors, it returns OpenCV's 100 rows."""
    rows = detection_output(opencv_raw["encodings"], opencv_raw["scores"], opencv_raw["anchors"])
    ref = opencv_raw["rows"]
    assert rows.shape == ref.shape == (100, 6)
    key = lambda r: (round(float(r[1]), 5), int(r[0]), round(float(r[2]), 4))
    np.testing.assert_allclose(np.array(sorted(rows, key=key)), np.array(sorted(ref, key=key)), atol=1e-5)
    # the score floor only drops rows below it
    floored = detection_output(opencv_raw["encodings"], opencv_raw["scores"], opencv_raw["anchors"], min_score=0.3)
    np.testing.assert_array_equal(floored, rows[rows[:, 1] >= 0.3])


# -- the GraphDef reader on hand-made protobuf bytes ---------------------------------------


def _varint(v: int) -> bytes:
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, v = v & 0x7F, v >> 7
        out.append(byte | (0x80 if v else 0))
        if not v:
            return bytes(out)


def _field(num: int, value) -> bytes:
    if isinstance(value, int):
        return _varint(num << 3) + _varint(value)
    if isinstance(value, float):
        return _varint(num << 3 | 5) + struct.pack("<f", value)
    if isinstance(value, str):
        value = value.encode()
    return _varint(num << 3 | 2) + _varint(len(value)) + value


def _node(name: str, op: str, inputs=(), **attrs: bytes) -> bytes:
    body = _field(1, name) + _field(2, op) + b"".join(_field(3, i) for i in inputs)
    for key, value in attrs.items():
        body += _field(5, _field(1, key) + _field(2, value))
    return _field(1, body)


def _shape(*dims: int) -> bytes:
    return b"".join(_field(2, _field(1, d)) for d in dims)


def test_graph_reader_decodes_nodes_attrs_and_tensors():
    weights = np.arange(6, dtype="<f4").reshape(2, 3)
    data = (
        _node("w", "Const", value=_field(8, _field(1, 1) + _field(2, _shape(2, 3)) + _field(4, weights.tobytes())))
        + _node("k", "Const", value=_field(8, _field(1, 3) + _field(2, _shape(3)) + _field(7, -2)))  # int_val broadcast
        + _node(
            "f",
            "Const",
            value=_field(8, _field(1, 1) + _field(2, _shape(2)) + _field(5, struct.pack("<2f", 0.5, -1.5))),
        )  # packed float_val
        + _node(
            "conv",
            "Conv2D",
            ["x:0", "w", "^ctrl"],
            strides=_field(1, _field(3, b"".join(_varint(v) for v in (1, 2, 2, 1)))),  # packed list(int)
            padding=_field(2, "SAME"),
            eps=_field(4, 0.25),
            flag=_field(5, 1),
            n=_field(3, -7),
            shape=_field(7, _shape(-1, 300, 300, 3)),
        )
    )
    g = parse_graph(data)
    assert list(g) == ["w", "k", "f", "conv"]
    np.testing.assert_array_equal(g["w"].attr("value"), weights)
    assert g["k"].attr("value").dtype == np.int32 and g["k"].attr("value").tolist() == [-2, -2, -2]
    assert g["f"].attr("value").tolist() == [0.5, -1.5]
    conv = g["conv"]
    assert conv.op == "Conv2D" and conv.data_inputs == ["x", "w"]
    assert conv.attr("strides") == [1, 2, 2, 1]
    assert conv.attr("padding") == b"SAME"
    assert (conv.attr("eps"), conv.attr("flag"), conv.attr("n")) == (0.25, True, -7)
    assert conv.attr("shape") == (-1, 300, 300, 3)
    assert conv.attr("missing", "default") == "default"


# -- the OpenCV engine without a TensorFlow importer -------------------------------------------


def test_opencv_engine_without_importer_fails_at_start_up(monkeypatch, tmp_path):
    """OpenCV 5 has no readNetFromTensorflow: `detector.engine = "opencv"` is a setup error (exit 2),
    never an error record per image."""
    import cv2
    from click.testing import CliRunner

    from snapscribe.cli import cli
    from snapscribe.errors import ConfigError

    monkeypatch.delattr(cv2.dnn, "readNetFromTensorflow", raising=False)
    with pytest.raises(ConfigError, match="TensorFlow importer"):
        SSDDetector(Settings().detector)
    monkeypatch.setenv("SNAPSCRIBE_HOME", str(tmp_path))
    monkeypatch.setenv("SNAPSCRIBE_DETECTOR__ENGINE", "opencv")
    result = CliRunner().invoke(cli, ["caption", str(ROOT / "samples" / "cat.jpg"), "--format", "jsonl"])
    assert result.exit_code == 2, result.output
    assert "TensorFlow importer" in result.output and "Traceback" not in result.output
    assert '"status"' not in result.output  # no per-image record

"""The SSD detector with its later layers in bfloat16 on AMX (OpenVINO), its first ones in float.

``detector.precision = "bf16"`` (or ``"auto"`` on a CPU with ``amx_bf16``, see :mod:`snapscribe.cpu`;
the default stays ``"fp32"``: on the validation split 1 of 289 captions lost its subject and one
gained an absent noun) splits the network :mod:`.ssd_onnx` translates at the output of MobileNet-v2
block 5 (:data:`CUT`): the blocks before it run in float through onnxruntime, as in
:class:`~.ssd_onnx.OnnxSSDDetector`; the rest (blocks 6-16, the extra layers and the 12
box-predictor heads, as plain convolutions) through OpenVINO's CPU plugin at bf16 inference
precision, which runs on AMX tiles. The whole network in bf16 lost too many detections (88.6 % of
the float ones matched on the dev set): the high-resolution early layers are the sensitive part.
Measured on an AMX host (docs/performance.md): 100 % / 98.5 % of the float detections matched
(dev set / labelled photos; same label, IoU >= 0.5), about 1.8x faster per call. The anchors and the
NumPy post-processing are :mod:`.ssd_onnx`'s.

Safety decisions do not use it: with the score forced to where the NSFW gate asks for its second
opinion (people, then their bare skin), the bf16 boxes changed 2 of 187 benign NSFW-set decisions
(every person detection still matched), so :func:`safety_detector` hands the gate the float
detector, loaded on its first use (a score that high is rare).

OpenVINO infer requests are not for concurrent use: each thread compiles its own copy of the bf16
part (~0.3 s, one thread each, like the onnxruntime sessions).
"""

from __future__ import annotations

import io
import threading
from functools import lru_cache

import cv2
import numpy as np

from ..config import DetectorConfig
from ..errors import EngineError
from ..normalize import ModelInputs
from .base import Detection, Detector
from .ssd_detector import coco_labels
from .ssd_onnx import SIDE, OnnxSSDDetector, _release_freed_heap, load_model, session_options, ssd_anchors

#: Where the float part ends: the output of MobileNet-v2's block 5 (38 x 38 x 32). Cutting at
#: block 2 matched 97.8 % of the labelled photos' detections, at block 9 98.3 % (try_bf16_ssd.py).
CUT = "FeatureExtractor/MobilenetV2/expanded_conv_5/add"
CUT_SHAPE = (1, 32, 38, 38)  # NCHW, for the 300 x 300 input

_OPENVINO_CONFIG = {
    "INFERENCE_PRECISION_HINT": "bf16",
    "INFERENCE_NUM_THREADS": 1,
    "NUM_STREAMS": 1,
    "ENABLE_CPU_PINNING": False,
}


def available() -> bool:
    """Whether OpenVINO is installed."""
    import importlib.util

    return importlib.util.find_spec("openvino") is not None


def split(model_bytes: bytes, cut: str = CUT, shape: tuple[int, ...] = CUT_SHAPE) -> tuple[bytes, bytes]:
    """The ONNX model as two: the image to ``cut``, and ``cut`` to the outputs. The nodes are in
    topological order and ``cut`` must be the only tensor the second part reads from the first."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    nodes = list(graph.node)
    end = next((k for k, n in enumerate(nodes) if cut in n.output), None)
    if end is None:
        raise ValueError(f"the model has no tensor {cut!r}")
    first, rest = nodes[: end + 1], nodes[end + 1 :]
    inits = {t.name: t for t in graph.initializer}
    made = {o for n in first for o in n.output}
    crossing = made & {i for n in rest for i in n.input}
    if crossing != {cut}:
        raise ValueError(f"the later part also reads {sorted(crossing - {cut})}")
    cut_info = helper.make_tensor_value_info(cut, TensorProto.FLOAT, list(shape))
    parts = []
    for part, inputs, outputs in ((first, list(graph.input), [cut_info]), (rest, [cut_info], list(graph.output))):
        used = {i for n in part for i in n.input}
        g = helper.make_graph(part, graph.name, inputs, outputs, [inits[k] for k in inits if k in used])
        m = helper.make_model(g, opset_imports=list(model.opset_import), ir_version=model.ir_version)
        parts.append(m.SerializeToString())
    return parts[0], parts[1]


@lru_cache(maxsize=1)
def _shared_parts():
    """The float part's onnxruntime session, OpenVINO's core, the bf16 part as an OpenVINO model
    and the anchors, built once per process."""
    import onnxruntime as ort

    try:
        import openvino as ov
    except ImportError as exc:  # pragma: no cover - dependency missing
        raise EngineError(f"detector.precision = bf16 needs OpenVINO: {exc}", code="model_unavailable") from exc
    model = load_model(SIDE, winograd=False)
    anchors = ssd_anchors(model.feature_maps, model.boxes_per_location)
    first_bytes, rest_bytes = split(model.onnx_bytes)
    del model
    first = ort.InferenceSession(first_bytes, session_options(), providers=["CPUExecutionProvider"])
    first.disable_fallback()
    first._model_bytes = None
    del first_bytes
    shape = first.run(None, {"image_tensor": np.zeros((1, SIDE, SIDE, 3), np.uint8)})[0].shape
    if shape != CUT_SHAPE:
        raise EngineError(f"{CUT} has shape {shape}, expected {CUT_SHAPE}", code="model_unavailable")
    core = ov.Core()
    rest = core.read_model(io.BytesIO(rest_bytes))
    del rest_bytes
    _release_freed_heap()
    return first, core, rest, anchors


class Bf16SSDDetector(OnnxSSDDetector):
    """:class:`~.ssd_onnx.OnnxSSDDetector`'s interface; the network's later part in bf16 (OpenVINO)."""

    name = "ssd-mobilenet-v2-coco-bf16"  # its detections differ a little: cached features are kept apart

    def __init__(self, cfg: DetectorConfig):
        self._cfg = cfg
        self._labels = coco_labels()
        self._first, self._core, self._rest, self._anchors = _shared_parts()
        self._local = threading.local()

    def _request(self):
        req = getattr(self._local, "request", None)
        if req is None:
            compiled = self._core.compile_model(self._rest, "CPU", _OPENVINO_CONFIG)
            names = [o.get_any_name() for o in compiled.outputs]
            req = self._local.request = compiled.create_infer_request()
            self._local.outputs = names.index("box_encodings"), names.index("class_scores")
        return req, self._local.outputs

    def raw(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if image.shape[:2] != (SIDE, SIDE):
            image = cv2.resize(image, (SIDE, SIDE), interpolation=cv2.INTER_LINEAR)
        x = np.ascontiguousarray(image, dtype=np.uint8)[None]
        (features,) = self._first.run(None, {"image_tensor": x})
        req, (i_box, i_score) = self._request()
        req.infer({CUT: features})
        return req.get_output_tensor(i_box).data[0].copy(), req.get_output_tensor(i_score).data[0].copy()


class _FloatOnFirstUse:
    """The float detector, built when first asked for detections."""

    name = OnnxSSDDetector.name

    def __init__(self, cfg: DetectorConfig):
        self._cfg = cfg
        self._detector: OnnxSSDDetector | None = None
        self._lock = threading.Lock()

    def detect(self, inputs: ModelInputs) -> list[Detection]:
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    self._detector = OnnxSSDDetector(self._cfg)
        return self._detector.detect(inputs)


def safety_detector(detector: Detector, cfg: DetectorConfig) -> Detector:
    """The detector the NSFW second opinion uses: ``detector`` itself, or the float one (on first
    use) where ``detector`` is the bf16 one, so that no safety decision depends on the CPU."""
    return _FloatOnFirstUse(cfg) if isinstance(detector, Bf16SSDDetector) else detector

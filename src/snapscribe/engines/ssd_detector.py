"""SSD-MobileNet-v2 COCO object detector (TensorFlow frozen graph through OpenCV's DNN module)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

import cv2
import numpy as np

from ..config import DetectorConfig
from ..errors import ConfigError
from ..normalize import ModelInputs
from ..taxonomy import coco_classes
from ..weights import detect_models_file
from .base import Detection


def coco_labels() -> dict[int, str]:
    """The detector's class id -> label name."""
    return {cid: c.name for cid, c in coco_classes().items()}


def score_floor(cfg: DetectorConfig) -> float:
    """Keep weak detections too (down to 0.3): agreement logic may use them."""
    return min(cfg.min_score, 0.3)


def to_detections(rows: Iterable[Sequence[float]], labels: dict[int, str], cfg: DetectorConfig) -> list[Detection]:
    """Raw SSD rows ``(class_id, score, x0, y0, x1, y1)`` (boxes as image fractions) ->
    detections at or above the score floor with a known label, boxes clipped to the
    image, most confident first, at most ``2 * max_objects``."""
    out: list[Detection] = []
    floor = score_floor(cfg)
    for cid, score, x0, y0, x1, y1 in rows:
        if score < floor:
            continue
        label = labels.get(int(cid))
        if label is None:
            continue
        box = tuple(float(np.clip(v, 0.0, 1.0)) for v in (x0, y0, x1, y1))
        out.append(Detection(label=label, class_id=int(cid), score=float(score), box=box))  # type: ignore[arg-type]
    out.sort(key=lambda d: d.score, reverse=True)
    return out[: cfg.max_objects * 2]


class SSDDetector:
    """COCO detections from the packaged SSD-MobileNet-v2; one network per thread."""

    name = "ssd-mobilenet-v2-coco"

    def __init__(self, cfg: DetectorConfig):
        self._cfg = cfg
        self._weights = str(detect_models_file("frozen_inference_graph.pb"))
        self._graph = str(detect_models_file("ssd_mobilenet_v2_coco_2018_03_29.pbtxt"))
        self._labels = coco_labels()
        self._local = threading.local()
        self._net()  # fail at start-up, not on every image

    @staticmethod
    def available() -> bool:
        """Whether this OpenCV can read TensorFlow graphs (OpenCV 5 removed the importer)."""
        return hasattr(cv2, "dnn") and hasattr(cv2.dnn, "readNetFromTensorflow")

    def _net(self) -> cv2.dnn.Net:
        net = getattr(self._local, "net", None)
        if net is None:
            # One image per thread, one core per image: OpenCV's own pool would oversubscribe.
            cv2.setNumThreads(1)
            if not self.available():
                raise ConfigError(
                    f'detector.engine = "opencv" needs OpenCV\'s TensorFlow importer, which OpenCV '
                    f"{cv2.__version__} does not have (removed in 5.0); install the locked "
                    f'opencv-python-headless 4.x (scripts/setup.sh) or use detector.engine = "onnx"',
                    "missing_model",
                )
            try:
                net = cv2.dnn.readNetFromTensorflow(self._weights, self._graph)
            except cv2.error as exc:
                raise ConfigError(f"OpenCV cannot load the SSD graph: {exc}", "missing_model") from exc
            self._local.net = net
        return net

    def detect(self, inputs: ModelInputs) -> list[Detection]:
        image = inputs.detector
        blob = cv2.dnn.blobFromImage(image, size=(image.shape[1], image.shape[0]), swapRB=False)
        net = self._net()
        net.setInput(blob)
        raw = net.forward()[0, 0]  # rows: (batch, class_id, score, x0, y0, x1, y1)
        return to_detections(raw[:, 1:], self._labels, self._cfg)

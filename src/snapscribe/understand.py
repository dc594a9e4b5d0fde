"""Understanding: run the detector and classifier, measure pixels, and cache the raw features.

Raw model outputs are cached by content hash (``features`` table), so changing tag
or caption settings never re-runs a model on an image it has already seen.
"""

from __future__ import annotations

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
FEATURES_REVISION = 5
_TOP_K = 50


@dataclass(frozen=True)
class Features:
    """Raw model outputs and pixel statistics for one image."""

    detections: tuple[Detection, ...]
    probs: np.ndarray
    stats: PixelStats
    scene: SceneCues
    synthetic: dict[str, float]  # pixel features of the photo-vs-rendered judgement

    def to_bytes(self) -> bytes:
        top = np.argsort(self.probs)[::-1][:_TOP_K]
        return json.dumps({
            "detections": [asdict(d) for d in self.detections],
            "n_classes": int(self.probs.shape[0]),
            "top": [[int(i), round(float(self.probs[i]), 6)] for i in top],
            "stats": asdict(self.stats),
            "scene": asdict(self.scene),
            "synthetic": self.synthetic,
        }).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> "Features":
        raw = json.loads(data)
        probs = np.zeros(raw["n_classes"], dtype=np.float32)
        for i, p in raw["top"]:
            probs[i] = p
        dets = tuple(Detection(label=d["label"], class_id=d["class_id"], score=d["score"], box=tuple(d["box"]))
                     for d in raw["detections"])
        stats = raw["stats"]
        stats["dominant_colours"] = [tuple(c) for c in stats["dominant_colours"]]
        return cls(detections=dets, probs=probs, stats=PixelStats(**stats), scene=SceneCues(**raw["scene"]),
                   synthetic=raw["synthetic"])


def measure(inputs: ModelInputs) -> tuple[PixelStats, SceneCues, dict[str, float]]:
    """Pixel statistics at work size; scene cues and rendered-image features at 256 px."""
    work = inputs.work_array
    stats = pixel_stats(work)
    small = inputs.work.copy()
    small.thumbnail((256, 256))
    small_arr = np.asarray(small)
    return stats, scene_cues(small_arr), pixel_features(small_arr)

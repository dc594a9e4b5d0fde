"""Photo or rendered art? A small logistic model over pixel and classifier statistics.

No packaged model knows "abstract". Rendered wallpapers and illustrations differ from
photographs in measurable ways: large smooth gradients with crisp edges, no sensor
noise, few distinct colours, unnatural saturated hues, long straight edges — and the
ImageNet classifier spreads its probability over texture-like classes instead of
natural ones. ``scripts/train_synthetic.py`` fits the weights on the labelled dev set
(leave-one-out figures in its output) and writes ``data/synthetic_model.json``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import cv2
import numpy as np

from .attributes import colourfulness
from .taxonomy import imagenet_classes

_NATURAL = {"animal", "bird", "pet", "insect", "sea_life", "plant", "flower", "landscape", "water", "food"}
FEATURES = (
    "flat",
    "smooth_gradient",
    "noise",
    "log_colours",
    "colourfulness",
    "saturation",
    "vivid_purple",
    "edge_crispness",
    "straight_edges",
    "fine_noise",
    "still",
    "top1",
    "entropy",
    "natural_mass",
    "texture_mass",
    "detections",
)


@dataclass(frozen=True)
class SyntheticEvidence:
    features: dict[str, float]
    probability: float


def _gray_gradient(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return gray, np.hypot(cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1))


def _calm_residual(gray: np.ndarray, mag: np.ndarray) -> np.ndarray:
    """Grain: the high-pass residual where the image is calm (everywhere if almost nothing is)."""
    residual = np.abs(gray - cv2.GaussianBlur(gray, (3, 3), 0))
    calm = mag < 20
    return residual[calm] if calm.sum() > 100 else residual.ravel()


def pixel_features(rgb: np.ndarray, work: np.ndarray | None = None) -> dict[str, float]:
    """Pixel statistics that separate rendered images from photographs (``rgb`` ~256 px; grain is
    read on ``work``, the 512 px work image, where a 256 px thumbnail has averaged it away)."""
    h, w = rgb.shape[:2]
    scale = 256 / max(h, w)
    small = (
        rgb
        if scale >= 1
        else cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    )
    gray, mag = _gray_gradient(small)
    lap = np.abs(cv2.Laplacian(gray, cv2.CV_32F))
    flat = float((mag < 4).mean())
    smooth_gradient = float(((mag >= 4) & (mag < 40) & (lap < 3)).mean())
    grain = _calm_residual(gray, mag)
    noise = float(np.median(grain))
    # Grain again on the 512 px work image, where the thumbnail has not averaged it away; the
    # share of calm pixels with none at all: a rendered gradient is perfectly still, a photo never is.
    fine = grain if work is None else _calm_residual(*_gray_gradient(work))
    fine_noise, still = float(fine.mean()), float((fine < 0.25).mean())
    quant = (small // 8).reshape(-1, 3).astype(np.int32)
    colours = int(np.count_nonzero(np.bincount(quant[:, 0] * 1024 + quant[:, 1] * 32 + quant[:, 2], minlength=32768)))
    vividness = colourfulness(small)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    hue = hsv[..., 0].astype(np.float32) * 2
    sat = hsv[..., 1].astype(np.float32) / 255
    val = hsv[..., 2].astype(np.float32) / 255
    vivid_purple = float(((hue >= 250) & (hue <= 335) & (sat > 0.35) & (val > 0.25)).mean())
    strong = mag > 60
    # Crisp edges: strong gradients whose neighbourhood is otherwise calm (rendered shapes).
    calm_near = cv2.dilate((mag > 15).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    edge_crispness = float(strong.sum() / max(1, calm_near.sum()))
    edges = cv2.Canny(small, 60, 160)
    lines = cv2.HoughLinesP(edges, 1, np.pi / 180, 40, minLineLength=40, maxLineGap=3)
    straight = 0.0
    if lines is not None:
        straight = float(
            sum(math.hypot(x1 - x0, y1 - y0) for x0, y0, x1, y1 in np.asarray(lines).reshape(-1, 4).astype(float))
        )
    straight_edges = straight / max(1.0, float((edges > 0).sum()))
    return {
        "flat": flat,
        "smooth_gradient": smooth_gradient,
        "noise": noise,
        "log_colours": math.log1p(colours),
        "fine_noise": fine_noise,
        "still": still,
        "colourfulness": vividness / 100,
        "saturation": float(sat.mean()),
        "vivid_purple": vivid_purple,
        "edge_crispness": edge_crispness,
        "straight_edges": min(straight_edges, 3.0),
    }


def classifier_features(probs: np.ndarray, n_detections: int) -> dict[str, float]:
    classes = imagenet_classes()
    p = np.asarray(probs, dtype=np.float64)
    p = p / (p.sum() or 1.0)
    natural = sum(float(p[c.index]) for c in classes if c.category in _NATURAL and not c.risky)
    texture = sum(float(p[c.index]) for c in classes if c.risky or c.category == "texture_like")
    entropy = float(-(p[p > 0] * np.log(p[p > 0])).sum())
    return {
        "top1": float(p.max()),
        "entropy": entropy,
        "natural_mass": natural,
        "texture_mass": texture,
        "detections": float(min(n_detections, 5)),
    }


@lru_cache(maxsize=1)
def _model() -> dict:
    text = resources.files("snapscribe").joinpath("data/synthetic_model.json").read_text()
    return json.loads(text)


def probability(features: dict[str, float], model: dict | None = None) -> float:
    m = model or _model()
    z = m["bias"]
    for name, w, mu, sd in zip(m["features"], m["weights"], m["mean"], m["std"]):
        z += w * (features[name] - mu) / (sd or 1.0)
    return float(1 / (1 + math.exp(-z)))


def judge(pixel: dict[str, float], probs: np.ndarray, n_detections: int) -> SyntheticEvidence:
    feats = {**pixel, **classifier_features(probs, n_detections)}
    return SyntheticEvidence(features=feats, probability=probability(feats))

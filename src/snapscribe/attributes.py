"""Image attributes from pixel statistics: exposure, colour, sharpness, dominant colours.
Pure NumPy/OpenCV on the small work image."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Named colours for the dominant-colour palette (sRGB); matched in Lab space.
_PALETTE: dict[str, tuple[int, int, int]] = {
    "black": (20, 20, 20),
    "white": (245, 245, 245),
    "grey": (128, 128, 128),
    "red": (200, 30, 30),
    "orange": (240, 140, 30),
    "yellow": (240, 220, 40),
    "green": (50, 150, 50),
    "teal": (0, 128, 128),
    "blue": (40, 80, 200),
    "purple": (120, 50, 160),
    "pink": (240, 130, 180),
    "brown": (120, 75, 40),
    "beige": (220, 200, 160),
    "navy": (20, 30, 90),
    "light blue": (120, 180, 235),
    "dark green": (20, 70, 30),
    "magenta": (210, 40, 160),
    "gold": (210, 170, 60),
}
_PALETTE_NAMES = list(_PALETTE)
COLOUR_NAMES = frozenset(_PALETTE)  # the colour words the dominant-colour palette can produce
_PALETTE_LAB = cv2.cvtColor(np.array([list(_PALETTE.values())], dtype=np.uint8), cv2.COLOR_RGB2LAB)[0].astype(
    np.float32
)

BLUR_THRESHOLD = 60.0


@dataclass(frozen=True)
class PixelStats:
    """Low-level statistics shared by attributes and scene cues."""

    brightness: float
    contrast: float
    colourfulness: float
    sharpness: float
    dominant_colours: list[tuple[str, float]]  # (name, share), largest first
    flat_fraction: float


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler-Suesstrunk colourfulness (~0 grey .. ~150 vivid)."""
    r, g, b = cv2.split(rgb.astype(np.float32))
    rg = r - g
    yb = cv2.addWeighted(r, 0.5, g, 0.5, 0.0) - b
    (m_rg,), (s_rg,) = cv2.meanStdDev(rg)  # OpenCV's one-pass moments: ~4x numpy's mean + std
    (m_yb,), (s_yb,) = cv2.meanStdDev(yb)
    return float(np.sqrt(s_rg[0] ** 2 + s_yb[0] ** 2) + 0.3 * np.sqrt(m_rg[0] ** 2 + m_yb[0] ** 2))


def dominant_colours(rgb: np.ndarray, k: int = 5) -> list[tuple[str, float]]:
    """Named dominant colours with their share of the image, via k-means in Lab."""
    small = cv2.resize(rgb, (48, 48), interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)
    cv2.setRNGSeed(7)
    # OpenCV stub: bestLabels=None is accepted at run time but not typed as Optional
    _, labels, centres = cv2.kmeans(lab, k, None, criteria, 1, cv2.KMEANS_PP_CENTERS)  # type: ignore[call-overload]
    shares = np.bincount(labels.ravel(), minlength=k) / labels.size
    named: dict[str, float] = {}
    for centre, share in zip(centres, shares):
        dist = np.linalg.norm(_PALETTE_LAB - centre, axis=1)
        name = _PALETTE_NAMES[int(dist.argmin())]
        named[name] = named.get(name, 0.0) + float(share)
    return sorted(named.items(), key=lambda kv: kv[1], reverse=True)


def pixel_stats(rgb: np.ndarray) -> PixelStats:
    """Compute :class:`PixelStats` from a work-size RGB array."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    (mean,), (std,) = cv2.meanStdDev(gray)
    brightness = float(mean[0] / 255.0)
    contrast = float(std[0] / 255.0)
    _, (lap_std,) = cv2.meanStdDev(cv2.Laplacian(gray, cv2.CV_64F))
    sharpness = float(lap_std[0] ** 2)
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    flat_fraction = float(np.count_nonzero(cv2.magnitude(gx, gy) < 4) / gray.size)
    return PixelStats(
        brightness=brightness,
        contrast=contrast,
        colourfulness=colourfulness(rgb),
        sharpness=sharpness,
        dominant_colours=dominant_colours(rgb),
        flat_fraction=flat_fraction,
    )

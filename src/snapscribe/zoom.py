"""The zoom pass: a second, closer look when the first pass recognises nothing.

The classifier sees a 280 px view of the whole photo, so a fig in a bowl or a drum in a
room shrinks to a few dozen pixels and the probability spreads over look-alikes. When
the first pass names no subject and no scene (the caption would only name colours), the
classifier looks again at five overlapping crops: four corners and the centre, each
``ratio`` of the short side (the multi-crop evaluation of the ImageNet literature, run
only where it can help, so it costs nothing on the images the first pass already reads).

A class counts only where two views each give it more than ``agree`` (default 0.5):
the second-highest probability any view gives it. One crop's confident mistake cannot
name a subject, and a look-alike that every view half-believes (an acorn for a brown
leaf at 0.38) stays unnamed.
"""

from __future__ import annotations

import numpy as np

from .caption import recognises_something
from .evidence import Evidence

Box = tuple[float, float, float, float]


def zoom_boxes(width: int, height: int, ratio: float = 2 / 3) -> list[Box]:
    """Four corner squares and a centre square, as fractions of the frame (x0, y0, x1, y1)."""
    side = ratio * min(width, height)
    fw, fh = side / width, side / height
    cx, cy = (1 - fw) / 2, (1 - fh) / 2
    return [(x, y, x + fw, y + fh) for x, y in ((0, 0), (1 - fw, 0), (0, 1 - fh), (1 - fw, 1 - fh), (cx, cy))]


def needs_zoom(ev: Evidence) -> bool:
    """A photo whose first pass leaves the composer nothing but colours to say."""
    return not recognises_something(ev)


def agreed(full: np.ndarray, views: np.ndarray, agree: float = 0.5) -> np.ndarray:
    """The first-pass probabilities, each class raised to what two views agree on when both exceed ``agree``."""
    stack = np.vstack([full[None, :], views])
    if stack.shape[0] < 2:
        return full
    second = np.sort(stack, axis=0)[-2]
    return np.where(second > agree, np.maximum(full, second), full).astype(np.float32)

"""Normalize: resize once into the model input sizes every later stage needs.

The decoded image is reduced to a ``work`` image (``low_res_side`` px, the first-pass
resolution every cheap stage uses); model inputs are derived from it, never from
the full-resolution original again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .config import ModelsConfig
from .intake import DecodedImage


@dataclass(frozen=True)
class ModelInputs:
    """Everything the model stages read; arrays are uint8 RGB, HWC."""

    work: Image.Image  # long side <= low_res_side
    thumbnail: np.ndarray  # long side <= thumbnail_side
    classifier: np.ndarray  # classifier_side square, centre crop after shorter-side resize
    detector: np.ndarray  # detector_side square, full frame squashed (SSD's training resize)
    upright_size: tuple[int, int]

    @property
    def work_array(self) -> np.ndarray:
        return np.asarray(self.work)

    def fitted(self, side: int) -> Image.Image:
        """The work image with its long side at most ``side`` px (e.g. 336 for a VLM), made on demand."""
        return _fit(self.work, side)

    def square(self, side: int) -> np.ndarray:
        """A ``side`` px square centre crop (CLIP's 224 input), made on demand."""
        return np.asarray(centre_crop_square(self.work, side, crop_ratio=1.0))


def _fit(image: Image.Image, side: int) -> Image.Image:
    w, h = image.size
    scale = side / max(w, h)
    if scale >= 1:
        return image
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # reduce() first makes a big downscale cheap and still anti-aliased.
    factor = int(1 / scale) // 2
    if factor >= 2:
        image = image.reduce(factor)
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=None)


def centre_crop_square(image: Image.Image, side: int, crop_ratio: float = 0.875) -> Image.Image:
    """Resize the shorter side to ``side / crop_ratio`` and take the centre square (ImageNet eval: 0.875)."""
    w, h = image.size
    short = side / crop_ratio
    scale = short / min(w, h)
    resized = image.resize((max(side, round(w * scale)), max(side, round(h * scale))), Image.Resampling.BILINEAR)
    rw, rh = resized.size
    left, top = (rw - side) // 2, (rh - side) // 2
    return resized.crop((left, top, left + side, top + side))


def prepare(decoded: DecodedImage, cfg: ModelsConfig) -> ModelInputs:
    """Build the work image and the model inputs from a decoded image."""
    work = _fit(decoded.image, cfg.low_res_side)
    detector = np.asarray(work.resize((cfg.detector_side, cfg.detector_side), Image.Resampling.BILINEAR))
    classifier = np.asarray(centre_crop_square(work, cfg.classifier_side))
    thumbnail = np.asarray(_fit(work, cfg.thumbnail_side))
    return ModelInputs(
        work=work, thumbnail=thumbnail, classifier=classifier, detector=detector, upright_size=decoded.upright_size
    )

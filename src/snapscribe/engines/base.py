"""The narrow interfaces every engine implements, so CPU and GPU engines swap by config."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from ..normalize import ModelInputs


@dataclass(frozen=True)
class Detection:
    """One detected object; ``box`` is (x0, y0, x1, y1) as fractions of the image."""

    label: str
    class_id: int
    score: float
    box: tuple[float, float, float, float]

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)


@runtime_checkable
class Detector(Protocol):
    name: str

    def detect(self, inputs: ModelInputs) -> list[Detection]:
        """Objects in the image, most confident first."""


@runtime_checkable
class Classifier(Protocol):
    name: str

    @property
    def labels(self) -> Sequence[str]:
        """Class names, in the order of the probability columns."""

    def classify(self, inputs: ModelInputs) -> np.ndarray:
        """Class probabilities (float32, summing to ~1) in ``labels`` order."""

    def classify_with_embedding(self, inputs: ModelInputs) -> tuple[np.ndarray, np.ndarray | None]:
        """The probabilities and the image embedding the concept probe reads (None when there is none)."""

    def classify_regions(self, inputs: ModelInputs, boxes: Sequence[tuple[float, float, float, float]]) -> np.ndarray:
        """One probability row per box (fractions of the upright frame): the zoom pass's closer look."""


@runtime_checkable
class TextEmbedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 embeddings, one row per text."""


@runtime_checkable
class ImageEmbedder(Protocol):
    """An image encoder that shares its space with a text encoder (CLIP-style)."""

    name: str

    def embed_image(self, inputs: ModelInputs) -> np.ndarray:
        """One L2-normalised float32 vector."""

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 embeddings, one row per text."""

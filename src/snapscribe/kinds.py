"""What kind of image is it? Photo, painting, drawing, screenshot, text graphic, chart or abstract art.

A multinomial logistic model over statistics the pipeline already has: the rendered-image
pixel features (flat regions, crisp and straight edges, grain, colour counts), how the
classifier spreads its probability (natural vs texture classes, entropy), how many objects
were detected, and how much text OCR read. ``scripts/train_kinds.py`` fits it on the
training split and writes ``data/kind_model.json``; no threshold here is hand-set. Its probabilities
are averaged with the kinds of the nearest labelled training images (:mod:`neighbours`).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from .concepts import prepare
from .neighbours import Memory, blended
from .synthetic import classifier_features

KINDS = ("photo", "painting", "drawing", "screenshot", "text_graphic", "chart", "abstract")
# Label kinds folded into the model's kinds (a texture close-up is a photo; a digital illustration is a drawing).
LABEL_KIND = {
    "texture": "photo",
    "illustration": "drawing",
    "line_art": "drawing",
    "meme": "text_graphic",
    "poster": "text_graphic",
    "ui": "screenshot",
}


@dataclass(frozen=True)
class KindReading:
    kind: str
    probs: dict[str, float]

    @property
    def photo(self) -> float:
        return self.probs.get("photo", 0.0)


def text_features(ocr_text: str | None) -> dict[str, float]:
    """How much readable text there is (characters and words, log-scaled)."""
    text = (ocr_text or "").strip()
    words = [w for w in text.split() if any(ch.isalpha() for ch in w)]
    return {"ocr_chars": math.log1p(len(text)), "ocr_words": math.log1p(len(words))}


@lru_cache(maxsize=1)
def embedding_basis() -> dict[str, np.ndarray] | None:
    """Principal directions of the training embeddings the kind model reads, and the neighbour memory of
    the training images' coordinates on them (``bank``, ``bank_labels`` in the model's kind order, ``knn``;
    scripts/train_kinds.py)."""
    path = resources.files("snapscribe").joinpath("data/kind_embedding.npz")
    if not path.is_file():
        return None
    with path.open("rb") as fh, np.load(fh) as data:
        basis = {k: data[k] for k in data.files}
    if "bank" in basis:  # stored as float16; read as float32 once, not per image
        basis["bank"] = basis["bank"].astype(np.float32)
    return basis


def embedding_features(embedding: np.ndarray | None, basis: dict[str, np.ndarray] | None = None) -> dict[str, float]:
    """The embedding's coordinates on the fitted principal directions (none without an embedding)."""
    b = basis if basis is not None else embedding_basis()
    if embedding is None or b is None or len(b["basis"]) == 0:
        return {}
    z = b["basis"] @ prepare(embedding, b["mean"])
    return {f"emb{i}": float(v) for i, v in enumerate(z)}


def kind_features(
    pixel: dict[str, float],
    probs: np.ndarray,
    n_detections: int,
    ocr_text: str | None,
    embedding: np.ndarray | None = None,
    basis: dict[str, np.ndarray] | None = None,
) -> dict:
    return {
        **pixel,
        **classifier_features(probs, n_detections),
        **text_features(ocr_text),
        **embedding_features(embedding, basis),
    }


def kind_fingerprint(model: dict) -> str:
    """Identifies one fitted kind model (its weights and biases), so files derived from it can be matched."""
    return hashlib.sha256(json.dumps([model["weights"], model["bias"]]).encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def kind_model() -> dict | None:
    path = resources.files("snapscribe").joinpath("data/kind_model.json")
    return json.loads(path.read_text()) if path.is_file() else None


def kind_bar() -> float:
    """Probability the most likely kind needs before the composer speaks of it (fitted by scripts/train_sight.py)."""
    m = kind_model()
    return float(m.get("bar", 0.5)) if m else 1.01


def classify_kind(
    features: dict[str, float], model: dict | None = None, memory: Memory | None = None
) -> KindReading | None:
    """The kind with its probabilities, or None when no model has been fitted. The shipped model is
    blended with its neighbour memory (``kind_embedding.npz``: the training images' embedding
    coordinates and kinds, :mod:`neighbours`); a ``model`` passed in uses the ``memory`` passed with it."""
    m = model or kind_model()
    if m is None:
        return None
    mem = memory if model is not None else embedding_basis()
    x = np.array(
        [
            (features.get(name, 0.0) - mu) / (sd or 1.0)
            for name, mu, sd in zip(m["features"], m["mean"], m["std"], strict=True)
        ]
    )
    z = np.array(m["weights"]) @ x + np.array(m["bias"])
    p = np.exp(z - z.max())
    p /= p.sum()
    if mem is not None and "bank" in mem and "emb0" in features:
        coords = np.array([features.get(f"emb{i}", 0.0) for i in range(mem["bank"].shape[1])])
        p = blended(p, coords, mem)
    probs = {k: float(v) for k, v in zip(m["kinds"], p, strict=True)}
    return KindReading(max(probs, key=lambda k: probs[k]), probs)

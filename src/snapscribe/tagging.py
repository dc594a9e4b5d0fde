"""Open-vocabulary tags: direct evidence first, ConSE for the words around it.

Direct tags come from accepted subjects, scene cues and style/colour attributes.
ConSE (Norouzi et al., ICLR 2014) places the image in a sentence-embedding space as
the probability-weighted mean of its top ImageNet class names' embeddings, then
scores every vocabulary tag by cosine similarity — so "golden retriever" also tags
"dog" and "pet", and "seashore" tags "beach" and "coast". ConSE alone is weak on rare
words, so its tags are down-weighted and only used when the classifier is confident.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .config import TaggingConfig
from .engines.base import TextEmbedder
from .evidence import UNSURE, Evidence, close_up
from .normalize import ModelInputs
from .reading import threshold
from .records import Tag
from .taxonomy import VocabularyTag, imagenet_classes, load_vocabulary

_CATEGORY_TAGS = {
    "animal": "animals",
    "bird": "bird",
    "pet": "pet",
    "insect": "insect",
    "sea_life": "sea life",
    "flower": "flowers",
    "plant": "plants",
    "food": "food",
    "drink": "drink",
    "vehicle": "vehicle",
    "landscape": "landscape",
    "water": "water",
    "building": "architecture",
    "structure": "architecture",
    "instrument": "music",
    "sport": "sports",
}
_CONSE_KINDS = {"object", "animal", "food", "scene"}


class Tagger(Protocol):
    name: str

    def tag(self, evidence: Evidence, inputs: ModelInputs | None = None) -> list[Tag]:
        """Scored tags, strongest first (image-based taggers such as CLIP also read ``inputs``)."""


@dataclass
class _Scores:
    values: dict[str, float]

    def add(self, label: str, score: float) -> None:
        label = label.strip().lower()
        if not label or score <= 0:
            return
        old = self.values.get(label, 0.0)
        self.values[label] = 1 - (1 - old) * (1 - min(score, 0.99))


def scene_tags(ev: Evidence) -> dict[str, float]:
    """Tags that the scene cues and subjects support together (the facts of :mod:`snapscribe.reading`,
    at their fitted thresholds)."""
    sc = ev.scene
    nouns = {s.noun: s.score for s in ev.subjects}
    out: dict[str, float] = {}
    if ev.rendered:
        return out  # a wallpaper's blue band is not a sky
    indoors = _support(ev, {"household", "furniture", "electronics"}) >= 0.15
    if sc.sky >= threshold("sky") and not indoors:  # a white ceiling is not an overcast sky
        out["sky"] = sc.sky
    if sc.clouds >= threshold("clouds"):
        out["clouds"] = sc.clouds * 0.9
    near = close_up(ev.main)
    if sc.sunset >= threshold("sunset") and not near and ev.abstract < UNSURE:
        out["sunset"] = sc.sunset
    if sc.stars >= threshold("stars"):
        out["stars"] = sc.stars
        out["night"] = max(out.get("night", 0.0), sc.stars * 0.8)
    if sc.night >= threshold("night") and not near and sc.greenery < 0.3:
        out["night"] = sc.night
    if sc.greenery >= threshold("nature") or sc.trees >= threshold("trees"):
        out["nature"] = max(sc.greenery, sc.trees) * 0.8
    if max(sc.grass, sc.blades) >= threshold("grass"):
        out["grass"] = max(sc.grass, sc.blades) * 0.8
    if sc.trees >= threshold("trees"):
        out["trees"] = sc.trees * 0.7
    if sc.snow >= threshold("snow"):
        out["snow"] = sc.snow * 0.8
    beachy = max(nouns.get("beach", 0.0), sc.sand * sc.water)
    if beachy >= threshold("beach"):
        out["beach"] = beachy
    if min(sc.water, sc.sky) >= threshold("sea") and _support(ev, {"water", "landscape"}) >= 0.05:
        out["sea"] = min(sc.water, sc.sky) * 0.8
    if sc.blossom >= threshold("flower") and ev.main is None:
        out["flower"] = sc.blossom * 0.7
    landscape = [nouns[n] for n in ("mountain", "valley", "cliff", "landscape") if n in nouns]
    if landscape:
        out["landscape"] = max(landscape)
    if ev.people == 0 and sc.outdoor >= 0.6 and not ev.objects:
        out["outdoors"] = sc.outdoor * 0.6
    if ev.concepts.probed:
        # Facts the concept probe also reads need its agreement: it was fitted on labelled images,
        # the colour cues were not (a warm wall is not a sunset, a dark aquarium not night).
        held = dict(ev.concepts.scores)
        for name in PROBED_FACTS:
            if name in out and name not in held:
                del out[name]
    return out


PROBED_FACTS = ("sunset", "night", "snow", "sea", "beach")


def _support(ev: Evidence, categories: set[str]) -> float:
    """Classifier probability mass on classes of these categories."""
    return sum(p for c, p in ev.class_top if c.category in categories and not c.risky)


def style_tags(ev: Evidence) -> dict[str, float]:
    st = ev.stats
    out: dict[str, float] = {}
    if ev.rendered:
        out["abstract"] = ev.abstract
        if st.flat_fraction > 0.5:
            out["minimal"] = 0.5
    if st.colourfulness < 6:
        out["black and white"] = 0.9
    elif st.colourfulness > 70:
        out["colourful"] = min(1.0, st.colourfulness / 100)
    for name, share in st.dominant_colours[:2]:
        if share >= 0.25 and st.colourfulness >= 6:
            out[name] = min(0.9, share + 0.3)
    return out


class ConseTagger:
    """The default tagger: direct evidence + ConSE over the packaged MiniLM space."""

    name = "conse"

    def __init__(self, embedder: TextEmbedder, cfg: TaggingConfig):
        self._cfg = cfg
        self._embedder = embedder
        self.vocabulary: tuple[VocabularyTag, ...] = load_vocabulary(cfg.extra_vocabulary)
        self._by_word: dict[str, VocabularyTag] = {}
        for v in self.vocabulary:
            for word in (v.tag, *v.aliases):
                self._by_word.setdefault(word.lower(), v)
        self._vocab_emb: np.ndarray | None = None
        self._class_emb: np.ndarray | None = None

    def canonical(self, word: str) -> str:
        v = self._by_word.get(word.lower())
        return v.tag if v else word.lower()

    def vocabulary_entry(self, tag: str) -> VocabularyTag | None:
        return self._by_word.get(tag.lower())

    def _embeddings(self) -> tuple[np.ndarray, np.ndarray]:
        if self._vocab_emb is None or self._class_emb is None:
            self._vocab_emb = self._embedder.embed([v.tag for v in self.vocabulary])
            self._class_emb = self._embedder.embed([c.specific for c in imagenet_classes()])
        return self._vocab_emb, self._class_emb

    def conse(self, ev: Evidence, top: int = 5) -> list[tuple[VocabularyTag, float]]:
        """Vocabulary tags by cosine similarity to the ConSE image embedding."""
        picks = [(c, p) for c, p in ev.class_top[:top] if not c.risky]
        mass = sum(p for _, p in picks)
        if mass < 0.3 or ev.rendered:
            return []
        vocab_emb, class_emb = self._embeddings()
        vec = sum(p * class_emb[c.index] for c, p in picks) / mass
        vec = vec / (np.linalg.norm(vec) or 1.0)
        sims = vocab_emb @ vec
        order = np.argsort(sims)[::-1][:8]
        return [(self.vocabulary[int(i)], float(sims[int(i)]) * min(mass, 1.0)) for i in order]

    def tag(self, ev: Evidence, inputs: ModelInputs | None = None) -> list[Tag]:
        scores = _Scores({})
        for s in ev.subjects:
            scores.add(self.canonical(s.noun), s.score)
            if s.specific:
                scores.add(s.specific, s.score * 0.8)
            cat = _CATEGORY_TAGS.get(s.category)
            if cat:
                scores.add(self.canonical(cat), s.score * 0.7)
        if ev.people >= 3:
            scores.add("people", 0.8)
        for label, value in scene_tags(ev).items():
            scores.add(self.canonical(label), value)
        for label, value in style_tags(ev).items():
            scores.add(self.canonical(label), value)
        for vtag, value in self.conse(ev):
            if vtag.kind in _CONSE_KINDS and value >= 0.45:
                # ConSE only ever adds weight to words near what we already have.
                scores.add(vtag.tag, (value - 0.3) * 0.8)
        ranked = sorted(scores.values.items(), key=lambda kv: kv[1], reverse=True)
        return [Tag(label=label, score=round(score, 3)) for label, score in ranked if score >= self._cfg.min_score][
            : self._cfg.max_tags
        ]

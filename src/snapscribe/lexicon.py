"""The grounding lexicon: caption nouns, their WordNet senses and the hypernym graph.

Built offline by ``scripts/build_grounding_lexicon.py`` (WordNet 3.0) into
``data/grounding_lexicon.json.gz``. It answers one question for the grounding guard:
is a model class (an ImageNet wnid, a COCO label) a kind of the thing a caption
names? A cocker spaniel is a dog, an animal and a pet; a dog is not a golden retriever.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .taxonomy import imagenet_classes

_IRREGULAR_SINGULAR_SUFFIXES = (
    ("ies", "y"),
    ("ves", "f"),
    ("oes", "o"),
    ("ches", "ch"),
    ("shes", "sh"),
    ("sses", "ss"),
    ("xes", "x"),
    ("zes", "z"),
)


@dataclass(frozen=True)
class Lexicon:
    lemmas: dict[str, tuple[int, ...]]
    plurals: dict[str, str]
    parents: dict[int, tuple[int, ...]]
    words: dict[int, tuple[str, ...]]
    coco: dict[int, int]
    people: frozenset[str]
    _closures: dict[int, frozenset[int]] = field(default_factory=dict, repr=False, compare=False)
    _descendants: dict[int, int] = field(default_factory=dict, repr=False, compare=False)

    def lemma(self, word: str) -> str | None:
        """The lexicon lemma for a (possibly plural) word, or None."""
        word = word.lower()
        if word in self.lemmas:
            return word
        return self.singular(word)

    def singular(self, word: str) -> str | None:
        """The lemma ``word`` is a plural of, or None."""
        if word in self.plurals:
            return self.plurals[word]
        head, _, last = word.rpartition(" ")
        for suffix, repl in _IRREGULAR_SINGULAR_SUFFIXES:
            if last.endswith(suffix):
                cand = (head + " " if head else "") + last[: -len(suffix)] + repl
                if cand in self.lemmas:
                    return cand
        if last.endswith("s") and not last.endswith("ss"):
            cand = word[:-1]
            if cand in self.lemmas:
                return cand
            if last.endswith("es") and word[:-2] in self.lemmas:
                return word[:-2]
        return None

    def all_senses(self, lemma: str) -> tuple[int, ...]:
        """Every sense a lemma can have, as WordNet's morphy reads it: its own and, when it is also the
        plural of another lemma, that one's ("clocks" is a plant and the plural of clock)."""
        own = self.lemmas.get(lemma, ())
        single = self.singular(lemma) if lemma in self.lemmas else None
        return own + self.lemmas.get(single, ()) if single and single != lemma else own

    def person(self, word: str) -> str | None:
        """The singular people word ("hikers" -> "hiker"), or None when not a people word."""
        word = word.lower()
        if word in self.people:
            return word
        single = self.plurals.get(word)
        if single in self.people:
            return single
        if word.endswith("s") and word[:-1] in self.people:
            return word[:-1]
        return None

    def senses(self, word: str) -> tuple[int, ...]:
        lemma = self.lemma(word)
        return self.lemmas.get(lemma, ()) if lemma else ()

    def closure(self, offset: int) -> frozenset[int]:
        """The synset and all its hypernyms."""
        hit = self._closures.get(offset)
        if hit is not None:
            return hit
        seen = {offset}
        frontier = [offset]
        while frontier:
            nxt = []
            for off in frontier:
                for p in self.parents.get(off, ()):
                    if p not in seen:
                        seen.add(p)
                        nxt.append(p)
            frontier = nxt
        out = frozenset(seen)
        self._closures[offset] = out
        return out

    def is_a(self, offset: int, ancestor: int) -> bool:
        return ancestor in self.closure(offset)

    def imagenet_descendants(self, offset: int) -> int:
        """How many of the 1000 ImageNet classes are kinds of ``offset`` (its generality)."""
        if not self._descendants:
            counts: dict[int, int] = {}
            for cls in imagenet_classes():
                for off in self.closure(int(cls.wnid[1:])):
                    counts[off] = counts.get(off, 0) + 1
            self._descendants.update(counts)
        return self._descendants.get(offset, 0)

    def name(self, offset: int) -> str:
        words = self.words.get(offset)
        return words[0] if words else str(offset)


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    blob = resources.files("snapscribe").joinpath("data", "grounding_lexicon.json.gz").read_bytes()
    raw = json.loads(gzip.decompress(blob))
    syn = raw["synsets"]
    return Lexicon(
        lemmas={w: tuple(v) for w, v in raw["lemmas"].items()},
        plurals=dict(raw["plurals"]),
        parents={int(k): tuple(v["h"]) for k, v in syn.items()},
        words={int(k): tuple(v["w"]) for k, v in syn.items()},
        coco={int(k): int(v) for k, v in raw["coco"].items()},
        people=frozenset(raw["people"]),
    )


def imagenet_offset(wnid: str) -> int:
    """'n02084071' -> 2084071."""
    return int(wnid[1:])

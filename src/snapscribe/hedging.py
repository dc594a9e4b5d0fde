"""Hedged naming over the WordNet hierarchy (Deng, Krause, Berg, Fei-Fei, "Hedging Your Bets", CVPR 2012).

The classifier's 1000 ImageNet probabilities are summed up the WordNet hierarchy: a node's
probability is the mass of the leaves below it ("rabbit" holds wood rabbit + Angora; "animal"
holds 398 leaves). Each nameable node's raw mass is turned into a calibrated probability of
being right by a small logistic model fitted on labelled training images
(``scripts/train_sight.py`` writes ``data/hedge_model.json``), and the caption names the most
specific node whose calibrated confidence clears the bar: "a rabbit" when sure, "an animal"
when not. The same hierarchy says whether a detector box agrees with the classifier: a box
names the subject only when the classifier's mass under the box's own WordNet node supports
it (a "dog" box cannot overrule a confident "rabbit", a "cat" box loses to a "big cat").

Nameable nodes are (a) each caption noun of the packaged taxonomy (all leaves sharing a
``basic`` noun, e.g. every breed is "dog") and (b) the WordNet synsets in ``NAMED`` below.
Everything is computed once from the packaged taxonomy and grounding lexicon (numpy only).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from .lexicon import load_lexicon
from .taxonomy import imagenet_classes

# WordNet synset (first lemma, offset) -> (caption noun, plural, category). Internal nodes only;
# leaves are named by the taxonomy's ``basic`` noun. Chosen for what a caption can say plainly.
NAMED: dict[int, tuple[str, str, str]] = {
    15388: ("animal", "animals", "animal"),
    1861778: ("animal", "animals", "animal"),  # mammal: "a mammal" reads oddly in a caption
    1503061: ("bird", "birds", "bird"),
    2159955: ("insect", "insects", "insect"),
    1661091: ("reptile", "reptiles", "animal"),
    1726692: ("snake", "snakes", "animal"),
    1674464: ("lizard", "lizards", "animal"),
    1627424: ("frog", "frogs", "animal"),
    2512053: ("fish", "fish", "sea_life"),
    1974773: ("crustacean", "crustaceans", "sea_life"),
    1769347: ("spider", "spiders", "insect"),
    2084071: ("dog", "dogs", "pet"),
    2121808: ("cat", "cats", "pet"),
    2127808: ("big cat", "big cats", "animal"),
    2469914: ("primate", "primates", "animal"),
    2484322: ("monkey", "monkeys", "animal"),
    2329401: ("rodent", "rodents", "animal"),
    2323902: ("rabbit", "rabbits", "animal"),
    2131653: ("bear", "bears", "animal"),
    7555863: ("food", "food", "food"),
    21265: ("food", "food", "food"),
    7557434: ("food", "food", "food"),  # a dish: name the food, not a guessed plate
    7705931: ("fruit", "fruit", "food"),
    7707451: ("vegetable", "vegetables", "food"),
    7609840: ("dessert", "desserts", "food"),
    7881800: ("drink", "drinks", "drink"),
    12992868: ("mushroom", "mushrooms", "plant"),
    4524313: ("vehicle", "vehicles", "vehicle"),
    3791235: ("vehicle", "vehicles", "vehicle"),
    2958343: ("car", "cars", "vehicle"),
    2858304: ("boat", "boats", "vehicle"),
    4530566: ("boat", "boats", "vehicle"),  # vessel (watercraft)
    2686568: ("aircraft", "aircraft", "vehicle"),
    4490091: ("truck", "trucks", "vehicle"),
    2913152: ("building", "buildings", "building"),
    4202417: ("shop", "shops", "building"),
    3800933: ("musical instrument", "musical instruments", "instrument"),
    3405725: ("furniture", "furniture", "furniture"),
    9287968: ("landscape", "landscapes", "landscape"),
}
# Leaves whose basic noun must not name a subject on its own (texture false positives, people's clothes).
_EXCLUDED_CATEGORIES = {"person_related", "texture_like", "other"}


@dataclass(frozen=True)
class Node:
    """A nameable set of ImageNet leaves."""

    noun: str
    plural: str
    category: str
    synset: int | None  # WordNet offset, when the node is one synset
    leaves: tuple[int, ...]

    @property
    def specificity(self) -> float:
        """Information gain of naming this node instead of the root: log2(1000 / leaves)."""
        return math.log2(1000 / len(self.leaves))


@dataclass(frozen=True)
class Hedge:
    """The hedged reading of one image: the node named, its raw mass and calibrated confidence."""

    node: Node | None
    mass: float
    confidence: float
    leaf: int | None = None  # the single most probable leaf under the node


class Hierarchy:
    """Nodes, the leaf-membership matrix and WordNet relations between nodes and detector labels."""

    def __init__(self) -> None:
        lex = load_lexicon()
        classes = imagenet_classes()
        self.lexicon = lex
        closures = [lex.closure(int(c.wnid[1:])) for c in classes]
        nodes: dict[str, Node] = {}
        by_basic: dict[str, list[int]] = {}
        for c in classes:
            if c.risky or c.person_context or c.category in _EXCLUDED_CATEGORIES:
                continue
            by_basic.setdefault(c.basic, []).append(c.index)
        for basic, leaves in by_basic.items():
            first = classes[leaves[0]]
            cats = Counter(classes[i].category for i in leaves)
            synset = self._common_ancestor(basic, [closures[i] for i in leaves])
            nodes[f"basic:{basic}"] = Node(basic, first.plural, cats.most_common(1)[0][0], synset, tuple(leaves))
        for offset, (noun, plural, category) in NAMED.items():
            leaves = [c.index for c in classes if offset in closures[c.index] and not c.risky]
            if len(leaves) >= 2:
                nodes[f"wn:{offset}"] = Node(noun, plural, category, offset, tuple(leaves))
        unique: dict[tuple[int, ...], Node] = {}
        for node in nodes.values():  # one node per leaf set: the taxonomy noun wins over a synonym synset
            unique.setdefault(node.leaves, node)
        self.nodes: tuple[Node, ...] = tuple(sorted(unique.values(), key=lambda n: (len(n.leaves), n.noun)))
        self.matrix = np.zeros((len(self.nodes), len(classes)), dtype=np.float32)
        for i, node in enumerate(self.nodes):
            self.matrix[i, list(node.leaves)] = 1.0
        self._closures = closures

    def _common_ancestor(self, noun: str, closures: list[frozenset[int]]) -> int | None:
        """The sense of ``noun`` that every leaf of the group is a kind of, if any."""
        for sense in self.lexicon.senses(noun):
            if all(sense in c for c in closures):
                return sense
        return None

    def masses(self, probs: np.ndarray) -> np.ndarray:
        return self.matrix @ np.asarray(probs, dtype=np.float32)

    def subtree_mass(self, offset: int, probs: np.ndarray) -> tuple[float, int]:
        """Classifier mass under a WordNet node and how many ImageNet leaves it covers."""
        idx = [i for i, c in enumerate(self._closures) if offset in c]
        return (float(np.asarray(probs)[idx].sum()) if idx else 0.0), len(idx)

    def below(self, node: Node, offset: int) -> bool:
        """Whether every leaf of the node is a kind of the synset (the node is at least as specific)."""
        return all(offset in self._closures[i] for i in node.leaves)

    def related(self, offset: int, node: Node) -> bool:
        """Whether a WordNet synset is the node, above it or below it (no contradiction)."""
        if node.synset is not None and (
            node.synset == offset or self.lexicon.is_a(node.synset, offset) or self.lexicon.is_a(offset, node.synset)
        ):
            return True
        return any(offset in self._closures[i] for i in node.leaves)


@lru_cache(maxsize=1)
def hierarchy() -> Hierarchy:
    return Hierarchy()


@lru_cache(maxsize=1)
def hedge_model() -> dict:
    """Calibration weights and the bar (fitted by scripts/train_sight.py on the training split)."""
    return json.loads(resources.files("snapscribe").joinpath("data/hedge_model.json").read_text())


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def entropy(probs: np.ndarray) -> float:
    """Entropy of the classifier's distribution in nats (a spread-out guess is less reliable at any mass)."""
    p = np.asarray(probs, dtype=np.float64)
    p = p[p > 0] / max(float(p.sum()), 1e-9)
    return float(-(p * np.log(p)).sum())


def node_features(mass: float, node: Node, rendered: float, spread: float = 0.0) -> list[float]:
    """What the calibration reads: log-odds of the node's mass, its specificity, the rendered probability,
    the entropy of the whole distribution, and whether the node is a WordNet group above the caption nouns."""
    return [
        _logit(mass),
        node.specificity / 10,
        rendered,
        spread / 5,
        float(node.synset is not None and len(node.leaves) > 12),
    ]


def calibrated(mass: float, node: Node, rendered: float, model: dict | None = None, spread: float = 0.0) -> float:
    m = model or hedge_model()
    # strict=False: a model with fewer weights reads the leading features (the raw-mass model: one weight).
    z = m["bias"] + sum(w * x for w, x in zip(m["weights"], node_features(mass, node, rendered, spread), strict=False))
    return 1 / (1 + math.exp(-z))


def hedge(
    probs: np.ndarray,
    rendered: float = 0.0,
    *,
    bar: float | None = None,
    model: dict | None = None,
    floor: float = 0.05,
) -> Hedge:
    """The most specific node whose calibrated confidence clears the bar (ties: the more confident)."""
    m = model or hedge_model()
    bar = m["bar"] if bar is None else bar
    h = hierarchy()
    masses = h.masses(probs)
    spread = entropy(probs)
    best: tuple[float, float, int] | None = None  # (-specificity, -confidence, index)
    for i in np.flatnonzero(masses >= floor):
        node = h.nodes[i]
        conf = calibrated(float(masses[i]), node, rendered, m, spread)
        if conf < bar:
            continue
        key = (-node.specificity, -conf, int(i))
        if best is None or key < best:
            best = key
    if best is None:
        return Hedge(None, 0.0, 0.0)
    node = h.nodes[best[2]]
    leaf = max(node.leaves, key=lambda j: float(probs[j]))
    return Hedge(node, float(masses[best[2]]), -best[1], leaf)


def candidates(
    probs: np.ndarray, rendered: float = 0.0, floor: float = 0.05, model: dict | None = None
) -> list[tuple[Node, float, float]]:
    """Every node with raw mass >= floor: (node, mass, calibrated confidence), most specific first."""
    h = hierarchy()
    masses = h.masses(probs)
    spread = entropy(probs)
    return [
        (h.nodes[i], float(masses[i]), calibrated(float(masses[i]), h.nodes[i], rendered, model, spread))
        for i in np.flatnonzero(masses >= floor)
    ]

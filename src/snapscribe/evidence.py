"""Evidence fusion: what the image is known to contain, with how sure we are.

The detector, the classifier and the pixel statistics each err in their own way (the
classifier is confidently wrong on wallpapers; SSD fires at 0.7-0.85 on textures and
close-ups). A claim is accepted when the sources agree, or when one source is strong
*and* nothing contradicts it. Everything downstream (tags, caption, grounding guard)
reads only this evidence.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from importlib import resources

import numpy as np

from .attributes import PixelStats
from .concepts import ConceptReading, pixel_cues, read_concepts
from .engines.base import Detection
from .hedging import Hedge, hedge, hedge_model, hierarchy
from .kinds import KindReading, classify_kind, kind_bar, kind_features, text_features
from .scene import SceneCues
from .synthetic import judge
from .taxonomy import CATEGORIES, ImageNetClass, coco_classes, imagenet_classes

# Categories whose classifier evidence may name a main subject: all but people-related, texture and other.
_SUBJECT_CATEGORIES = set(CATEGORIES) - {"person_related", "texture_like", "other"}
_LIVING = {"animal", "bird", "pet", "insect", "sea_life"}
# Categories a detector and a classifier can disagree about without contradiction.
_COMPATIBLE = [
    {"animal", "pet", "bird", "insect", "sea_life"},
    {"food", "drink", "household"},
    {"flower", "plant"},
    {"vehicle", "structure", "building"},
]
# COCO classes seen almost only on a person: alone, without classifier support, a texture.
_WORN_ONLY = {"tie"}
CONCEPT_SOURCE = "concept"  # a subject named by the scene-concept probe
RENDERED = 0.6  # synthetic probability above which the image is treated as rendered art
UNSURE = 0.35  # between UNSURE and RENDERED only strongly corroborated objects are named


@dataclass(frozen=True)
class Subject:
    """A thing the caption may name."""

    noun: str
    plural: str
    category: str
    score: float
    count: int = 1
    sources: tuple[str, ...] = ()
    area: float = 0.0  # largest box area fraction, 0 when not detected
    specific: str | None = None


@dataclass(frozen=True)
class Evidence:
    subjects: tuple[Subject, ...]
    objects: tuple[Detection, ...]  # accepted detections
    class_top: tuple[tuple[ImageNetClass, float], ...]
    scene: SceneCues
    stats: PixelStats
    abstract: float  # probability that the image is rendered art, not a photograph
    people: int = 0
    ocr_text: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    candidates: tuple[Detection, ...] = ()  # every raw detection, accepted or not (weak support for the guard)
    kind: KindReading | None = None  # photo, painting, drawing, screenshot, text graphic, chart or abstract
    kind_inputs: dict[str, float] = field(default_factory=dict)  # what the kind model read (text added with OCR)
    concepts: ConceptReading = field(default_factory=ConceptReading)  # scene concepts the embedding probe holds

    @property
    def main(self) -> Subject | None:
        return self.subjects[0] if self.subjects else None

    @property
    def rendered(self) -> bool:
        return self.abstract >= RENDERED

    @property
    def image_kind(self) -> str:
        """The image kind captions speak of (and the guard accepts): the kind model's when it is sure
        enough (its fitted :func:`kinds.kind_bar`), else photo-or-rendered."""
        if self.kind is not None and self.kind.probs.get(self.kind.kind, 0.0) >= kind_bar():
            return self.kind.kind
        return "abstract" if self.rendered else "photo"


def _compatible(a: str, b: str) -> bool:
    return a == b or any(a in group and b in group for group in _COMPATIBLE)


def _aggregate(probs: np.ndarray, k: int = 10):
    classes = imagenet_classes()
    order = np.argsort(probs)[::-1][:k]
    top = [(classes[int(i)], float(probs[int(i)])) for i in order]
    by_basic: dict[str, float] = defaultdict(float)
    by_category: dict[str, float] = defaultdict(float)
    for cls, p in top:
        if cls.risky:
            continue
        by_basic[cls.basic] += p
        by_category[cls.category] += p
    return top, dict(by_basic), dict(by_category)


DETECTION_FEATURES = (
    "score",
    "log_area",
    "agree",
    "rendered",
    "risky_mass",
    "conflict_mass",
    "person",
    "worn_alone",
    "log_support",
    "covered",
)


def detection_features(
    det: Detection,
    name: str,
    agree: float,
    abstract: float,
    risky_mass: float,
    conflict_mass: float,
    wearer: bool,
    probs: np.ndarray,
) -> dict[str, float]:
    """What the fusion model reads to accept a box: its score and size, classifier agreement (by noun and
    category, and the mass under the box's WordNet node), a rendered image, texture classes, a classifier
    lead in an incompatible category, and whether it is a person."""
    offset = hierarchy().lexicon.coco.get(det.class_id)
    support, covered = hierarchy().subtree_mass(offset, probs) if offset is not None else (0.0, 0)
    return {
        "score": det.score,
        "log_area": math.log10(max(det.area, 1e-4)),
        "agree": min(agree, 1.0),
        "rendered": abstract,
        "risky_mass": risky_mass,
        "conflict_mass": conflict_mass,
        "person": float(name == "person"),
        "worn_alone": float(name in _WORN_ONLY and not wearer),
        "log_support": math.log10(support + 1e-3),
        "covered": float(covered > 0),
    }


_FUSION: list[dict | None] = []


def fusion_model() -> dict | None:
    """Which detections are accepted: a logistic model fitted by scripts/train_sight.py (data/fusion_model.json)."""
    if not _FUSION:
        path = resources.files("snapscribe").joinpath("data/fusion_model.json")
        _FUSION.append(json.loads(path.read_text()) if path.is_file() else None)
    return _FUSION[0]


def set_fusion_model(model: dict | None) -> None:
    """Use this fusion model in this process (the training script's grid search)."""
    _FUSION[:] = [model]


def _logistic(model: dict, feats: dict[str, float]) -> float:
    z = model["bias"] + sum(
        w * (feats[n] - mu) / (sd or 1.0)
        for n, w, mu, sd in zip(model["features"], model["weights"], model["mean"], model["std"], strict=True)
    )
    return 1 / (1 + math.exp(-z))


def _hand_rules_accept(
    det: Detection,
    name: str,
    agree: float,
    abstract: float,
    risky_mass: float,
    lead_category: str,
    lead_mass: float,
    category: str,
    wearer: bool,
    min_detection: float,
) -> bool:
    """The hand-set acceptance rules used before the fusion model was fitted (kept as the fallback when
    data/fusion_model.json is absent)."""
    need = min_detection
    if abstract >= RENDERED:
        need = max(need, 0.85 if agree >= 0.1 else 0.95)
    elif abstract >= UNSURE:
        need = max(need, 0.7 if agree >= 0.1 else 0.85)
    if agree < 0.15 and name != "person":
        need = max(need, 0.6)
    if risky_mass >= 0.5 and agree < 0.1:
        need = max(need, 0.8)
    if det.area < 0.02 and agree < 0.1:
        need = max(need, 0.7)
    if det.area > 0.6 and agree < 0.05 and name != "person":
        need = max(need, 0.9)
    if lead_mass >= 0.3 and not _compatible(lead_category, category) and agree < 0.05 and name != "person":
        need = max(need, 0.85)
    if name in _WORN_ONLY and not wearer and agree < 0.1:
        need = max(need, 0.97)
    return det.score >= need or (det.score >= 0.3 and agree >= 0.3 and abstract < UNSURE)


def rendered_probability(
    synthetic_pixels: dict[str, float] | None, probs: np.ndarray, n_strong: int, kind: KindReading | None
) -> float:
    """P(the image is rendered, not a photograph): one minus the kind model's P(photo) where it has read the
    image (embedding, neighbour memory, pixel statistics, the classifier's spread; the better photo-or-not judge
    on validation, docs/sight.md), else the pixel model of :mod:`synthetic`. Fusion, hedging and the composer
    read this."""
    if kind is not None and "photo" in kind.probs:
        return 1.0 - float(kind.probs["photo"])
    return judge(synthetic_pixels, probs, n_strong).probability if synthetic_pixels else 0.0


def fuse(
    detections: list[Detection],
    probs: np.ndarray,
    scene: SceneCues,
    stats: PixelStats,
    synthetic_pixels: dict[str, float] | None = None,
    *,
    min_detection: float = 0.45,
    abstract: float | None = None,
    trace: list | None = None,
    embedding: np.ndarray | None = None,
    concepts: ConceptReading | None = None,
    kind: KindReading | None = None,
    ocr_text: str | None = None,
) -> Evidence:
    """Combine raw model outputs into accepted evidence (``abstract``: a photo-or-rendered judgement already made;
    ``concepts``: a scene-concept reading already made, else the probe reads ``embedding``; ``kind``: an
    image-kind reading already made, else the kind model reads the pixels, the classifier, ``embedding`` and how
    much clean ``ocr_text`` there is (the text itself becomes evidence only through :func:`with_ocr`);
    ``trace``: a list that collects the features of each detection and box-or-node decision, for
    scripts/train_sight.py)."""
    coco = coco_classes()
    top, by_basic, by_category = _aggregate(probs)
    n_strong = sum(1 for d in detections if d.score >= 0.5)
    kind_inputs = kind_features(synthetic_pixels, probs, n_strong, ocr_text, embedding) if synthetic_pixels else {}
    if kind is None and kind_inputs:
        kind = classify_kind(kind_inputs)
    if abstract is None:
        abstract = rendered_probability(synthetic_pixels, probs, n_strong, kind)
    notes: list[str] = []
    lead_category, lead_mass = max(by_category.items(), key=lambda kv: kv[1], default=("", 0.0))
    risky_mass = sum(p for c, p in top if c.risky)

    wearer = any(d.label == "person" and d.score >= 0.5 for d in detections)
    accepted: list[Detection] = []
    for det in detections:
        info = coco.get(det.class_id)
        if info is None or det.area < 0.004:
            continue
        agree = (
            by_basic.get(info.basic, 0.0)
            + 0.5 * by_category.get(info.category, 0.0)
            + 0.25 * sum(m for c, m in by_category.items() if c != info.category and _compatible(c, info.category))
        )
        fitted = fusion_model()
        if fitted is not None or trace is not None:
            feats = detection_features(
                det,
                info.name,
                agree,
                abstract,
                risky_mass,
                lead_mass if not _compatible(lead_category, info.category) else 0.0,
                wearer,
                probs,
            )
            if trace is not None and det.score >= 0.3:
                trace.append(("detection", det.class_id, feats))
        if fitted is not None:
            accept = det.score >= 0.3 and _logistic(fitted, feats) >= fitted["bar"]
        else:
            accept = _hand_rules_accept(
                det,
                info.name,
                agree,
                abstract,
                risky_mass,
                lead_category,
                lead_mass,
                info.category,
                wearer,
                min_detection,
            )
        if accept:
            accepted.append(det)
        elif det.score >= 0.5:
            notes.append(f"dropped {det.label} {det.score:.2f}: unsupported")

    subjects: dict[str, Subject] = {}

    def add(
        noun: str,
        plural: str,
        category: str,
        score: float,
        source: str,
        *,
        count: int = 1,
        area: float = 0.0,
        specific: str | None = None,
    ) -> None:
        old = subjects.get(noun)
        if old is None:
            subjects[noun] = Subject(noun, plural, category, score, count, (source,), area, specific)
            return
        fused = 1 - (1 - old.score) * (1 - score)  # independent sources agreeing
        subjects[noun] = Subject(
            noun,
            old.plural,
            old.category,
            fused,
            max(old.count, count),
            tuple(dict.fromkeys(old.sources + (source,))),
            max(old.area, area),
            old.specific or specific,
        )

    per_label: dict[int, list[Detection]] = defaultdict(list)
    for det in accepted:
        per_label[det.class_id].append(det)
    people = 0
    for cid, dets in per_label.items():
        info = coco[cid]
        count = max(1, sum(1 for d in dets if d.score >= min_detection))
        if info.name == "person":
            people = count
        add(
            info.basic,
            info.plural,
            info.category,
            max(d.score for d in dets),
            "detector",
            count=count,
            area=max(d.area for d in dets),
        )

    reading = hedge(probs, abstract)
    _name_hedged(subjects, reading, probs, notes, trace)
    if concepts is None:
        concepts = read_concepts(embedding, pixel_cues(scene, stats))
    if not subjects and concepts.top is not None:
        # Nothing more specific is named: the scene concept is the subject (a street, a room, mountains).
        concept, p = concepts.top
        add(concept.name, concept.name, concept.category, p, CONCEPT_SOURCE)
    ranked = sorted(subjects.values(), key=_salience, reverse=True)
    return Evidence(
        subjects=tuple(ranked),
        objects=tuple(accepted),
        class_top=tuple(top),
        scene=scene,
        stats=stats,
        abstract=abstract,
        people=people,
        notes=tuple(notes),
        candidates=tuple(detections),
        kind=kind,
        kind_inputs=kind_inputs,
        concepts=concepts,
    )


def with_ocr(ev: Evidence, text: str) -> Evidence:
    """The evidence with clean OCR text attached; the image kind is read again with the text unless the
    fusion already read it (``fuse(ocr_text=...)``)."""
    inputs = {**ev.kind_inputs, **text_features(text)}
    if not ev.kind_inputs or inputs == ev.kind_inputs:
        return replace(ev, ocr_text=text)
    return replace(ev, ocr_text=text, kind=classify_kind(inputs), kind_inputs=inputs)


BOX_FEATURES = ("box_score", "box_area", "log_support", "log_covered", "node_confidence", "related", "box_below")


def box_features(s: Subject, offset: int, reading: Hedge, probs: np.ndarray) -> dict[str, float]:
    """What decides whether a box keeps its name against the classifier's hedged node (one thing, two names)."""
    h = hierarchy()
    node = reading.node
    assert node is not None
    support, covered = h.subtree_mass(offset, probs)
    below = node.synset is not None and (node.synset == offset or h.lexicon.is_a(offset, node.synset))
    return {
        "box_score": s.score,
        "box_area": math.sqrt(s.area),
        "log_support": math.log10(support + 1e-3),
        "log_covered": math.log1p(covered),
        "node_confidence": reading.confidence,
        "related": float(h.related(offset, node)),
        "box_below": float(below),
    }


def box_keeps(features: dict[str, float]) -> bool:
    """The fitted box-or-node model (data/hedge_model.json "box_model"); without one, classifier support alone."""
    m = hedge_model()
    model = m.get("box_model")
    if model is None:
        return features["log_covered"] == 0 or features["log_support"] >= math.log10(m["box_support"] + 1e-3)
    z = model["bias"] + sum(
        w * (features[n] - mu) / (sd or 1.0)
        for n, w, mu, sd in zip(model["features"], model["weights"], model["mean"], model["std"], strict=True)
    )
    return z >= 0


def _name_hedged(
    subjects: dict[str, Subject], reading: Hedge, probs: np.ndarray, notes: list[str], trace: list | None = None
) -> None:
    """Add the classifier's hedged node as a subject, and let it settle disagreements with a box.

    A box and the node that name things of one kind (two animals, two foods) are taken for one
    thing seen twice. Whether the box keeps its name is decided by a logistic model fitted on the
    training split (``box_keeps``) over the box's score and area, the classifier's mass under the
    box's own WordNet node and how many classes that node covers (none: COCO "giraffe"), the
    node's calibrated confidence and whether the two are related in the hierarchy. Otherwise the
    hedged node names it, with the box's area and count: a "dog" box on a rabbit, a "cat" box on
    a tiger, an "apple" box on a plate of food.
    """
    node = reading.node
    if node is None or node.category not in _SUBJECT_CATEGORIES:
        return
    h = hierarchy()
    coco = coco_classes()
    lex = h.lexicon
    merged_area, merged_count, merged_score, absorbed = 0.0, 1, 0.0, False
    for key, s in list(subjects.items()):
        if "detector" not in s.sources or s.noun == "person" or not _compatible(s.category, node.category):
            continue
        offset = next(
            (lex.coco.get(cid) for cid, info in coco.items() if info.basic == s.noun and cid in lex.coco), None
        )
        if offset is None:
            continue
        if s.noun == node.noun:
            return  # both name it alike
        feats = box_features(s, offset, reading, probs)
        if trace is not None:
            trace.append(("box", s.noun, feats))
        if box_keeps(feats):
            if not feats["related"]:
                continue  # something else than the reading: both may be named
            if feats["box_below"] or not h.below(node, offset):
                return  # the box agrees with the reading and is at least as specific: it names the thing
        notes.append(f"box {s.noun} gives way to {node.noun}")
        del subjects[key]
        merged_area, merged_count = max(merged_area, s.area), s.count
        merged_score, absorbed = max(merged_score, s.score), True
    if not absorbed and any(
        s.area >= 0.3 and _compatible(s.category, node.category) and "detector" in s.sources for s in subjects.values()
    ):
        return  # a big box already names this region (a horse, not "a horse with a dog")
    cls = imagenet_classes()[reading.leaf] if reading.leaf is not None else None
    specific = (
        cls.specific
        if cls is not None and cls.basic == node.noun and float(probs[cls.index]) >= 0.7 and cls.specific != node.noun
        else None
    )
    score = reading.confidence
    sources: tuple[str, ...] = ("classifier",)
    if absorbed:
        score, sources = 1 - (1 - score) * (1 - merged_score), ("classifier", "detector")
    old = subjects.get(node.noun)
    if old is not None:
        score, sources = 1 - (1 - old.score) * (1 - score), tuple(dict.fromkeys(old.sources + sources))
        merged_area, merged_count = max(old.area, merged_area), max(old.count, merged_count)
    subjects[node.noun] = Subject(
        node.noun, node.plural, node.category, min(score, 0.99), merged_count, sources, merged_area, specific
    )


def same_creature(a: Subject, b: Subject) -> bool:
    """Two animal names where only one source saw each: likely one animal named twice (a "bird" box on a squirrel)."""
    both_boxed = "detector" in a.sources and "detector" in b.sources
    return a.category in _LIVING and b.category in _LIVING and not both_boxed


_CLOSE_UP = {"flower", "food", "drink", "household", "insect", "plant", "tool", "electronics", "accessory", "toy"}


def close_up(main: Subject | None) -> bool:
    """A subject that fills the frame or is small by nature: its background is not a scene."""
    if main is None:
        return False
    # Indoor and small things are close-ups even when unsure which thing: never "a router on the grass".
    return main.category in _CLOSE_UP or (main.area >= 0.35 and main.score >= 0.5)


def _salience(s: Subject) -> float:
    weight = 1.0
    if s.category in _LIVING or s.noun == "person":
        weight = 1.3
    if s.category in ("landscape", "water"):
        weight = 0.8
    multi = 0.15 if len(s.sources) > 1 else 0.0
    return s.score * weight * (0.6 + min(s.area, 0.5)) + multi

"""Evidence fusion: what the image is known to contain, with how sure we are.

The detector, the classifier and the pixel statistics each err in their own way (the
classifier is confidently wrong on wallpapers; SSD fires at 0.7-0.85 on textures and
close-ups). A claim is accepted when the sources agree, or when one source is strong
*and* nothing contradicts it. Everything downstream (tags, caption, grounding guard)
reads only this evidence.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from .attributes import PixelStats
from .engines.base import Detection
from .scene import SceneCues
from .synthetic import judge
from .taxonomy import ImageNetClass, coco_classes, imagenet_classes

# Categories whose classifier evidence may name a main subject.
_SUBJECT_CATEGORIES = {
    "animal", "bird", "pet", "insect", "sea_life", "plant", "flower", "food", "drink", "vehicle",
    "landscape", "water", "building", "structure", "furniture", "household", "clothing",
    "accessory", "electronics", "instrument", "sport", "tool", "toy",
}
_LIVING = {"animal", "bird", "pet", "insect", "sea_life"}
# When the classifier is sure of a category but not of the species, say the category.
_CATEGORY_NOUNS = {
    "bird": ("bird", "birds"), "insect": ("insect", "insects"), "flower": ("flower", "flowers"),
    "food": ("food", "food"), "sea_life": ("sea creature", "sea creatures"),
    "pet": ("pet", "pets"), "animal": ("animal", "animals"),
}
# Categories a detector and a classifier can disagree about without contradiction.
_COMPATIBLE = [
    {"animal", "pet", "bird", "insect", "sea_life"},
    {"food", "drink", "household"},
    {"flower", "plant"},
    {"vehicle", "structure", "building"},
]
# COCO classes seen almost only on a person: alone, without classifier support, a texture.
_WORN_ONLY = {"tie"}
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

    @property
    def main(self) -> Subject | None:
        return self.subjects[0] if self.subjects else None

    @property
    def rendered(self) -> bool:
        return self.abstract >= RENDERED


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


def fuse(detections: list[Detection], probs: np.ndarray, scene: SceneCues, stats: PixelStats,
         synthetic_pixels: dict[str, float] | None = None, *, min_detection: float = 0.45,
         abstract: float | None = None) -> Evidence:
    """Combine raw model outputs into accepted evidence (``abstract``: a photo-or-rendered judgement already made)."""
    coco = coco_classes()
    top, by_basic, by_category = _aggregate(probs)
    n_strong = sum(1 for d in detections if d.score >= 0.5)
    if abstract is None:
        abstract = judge(synthetic_pixels, probs, n_strong).probability if synthetic_pixels else 0.0
    notes: list[str] = []
    lead_category, lead_mass = max(by_category.items(), key=lambda kv: kv[1], default=("", 0.0))
    risky_mass = sum(p for c, p in top if c.risky)

    wearer = any(d.label == "person" and d.score >= 0.5 for d in detections)
    accepted: list[Detection] = []
    for det in detections:
        info = coco.get(det.class_id)
        if info is None or det.area < 0.004:
            continue
        agree = by_basic.get(info.basic, 0.0) + 0.5 * by_category.get(info.category, 0.0) + 0.25 * sum(
            m for c, m in by_category.items() if c != info.category and _compatible(c, info.category))
        need = min_detection
        if abstract >= RENDERED:
            need = max(need, 0.85 if agree >= 0.1 else 0.95)  # wallpapers: SSD invents umbrellas and kites
        elif abstract >= UNSURE:
            need = max(need, 0.7 if agree >= 0.1 else 0.85)
        if agree < 0.15 and info.name != "person":
            need = max(need, 0.6)  # nothing else sees it (ImageNet has no person class to agree)
        if risky_mass >= 0.5 and agree < 0.1:
            need = max(need, 0.8)  # the classifier sees a texture or pattern, not objects
        if det.area < 0.02 and agree < 0.1:
            need = max(need, 0.7)  # a speck far away is a guess
        if det.area > 0.6 and agree < 0.05 and info.name != "person":
            need = max(need, 0.9)  # a box covering the frame with no classifier support = texture
        if lead_mass >= 0.3 and not _compatible(lead_category, info.category) and agree < 0.05 \
                and info.name != "person":
            need = max(need, 0.85)  # a banana on a flower, a stop sign on fruit
        if info.name in _WORN_ONLY and not wearer and agree < 0.1:
            need = max(need, 0.97)  # a "tie" with nobody to wear it is a stripe or a band
        if det.score >= need or (det.score >= 0.3 and agree >= 0.3 and abstract < UNSURE):
            accepted.append(det)
        elif det.score >= 0.5:
            notes.append(f"dropped {det.label} {det.score:.2f}: unsupported")

    subjects: dict[str, Subject] = {}

    def add(noun: str, plural: str, category: str, score: float, source: str, *, count: int = 1,
            area: float = 0.0, specific: str | None = None) -> None:
        old = subjects.get(noun)
        if old is None:
            subjects[noun] = Subject(noun, plural, category, score, count, (source,), area, specific)
            return
        fused = 1 - (1 - old.score) * (1 - score)  # independent sources agreeing
        subjects[noun] = Subject(noun, old.plural, old.category, fused, max(old.count, count),
                                 tuple(dict.fromkeys(old.sources + (source,))), max(old.area, area),
                                 old.specific or specific)

    per_label: dict[int, list[Detection]] = defaultdict(list)
    for det in accepted:
        per_label[det.class_id].append(det)
    people = 0
    for cid, dets in per_label.items():
        info = coco[cid]
        count = max(1, sum(1 for d in dets if d.score >= min_detection))
        if info.name == "person":
            people = count
        add(info.basic, info.plural, info.category, max(d.score for d in dets), "detector",
            count=count, area=max(d.area for d in dets))

    need_class = 0.35 if abstract < UNSURE else (0.6 if abstract < RENDERED else 0.8)
    detected_big = [s for s in subjects.values() if s.area >= 0.3]
    for cls, p in top[:5]:
        if cls.risky or cls.person_context or cls.category not in _SUBJECT_CATEGORIES:
            continue
        if cls.basic not in subjects and any(_compatible(d.category, cls.category) for d in detected_big):
            continue  # the detector already named this region (a horse, not "a horse with a dog")
        agg = by_basic.get(cls.basic, 0.0)
        if agg < need_class and not (cls.basic in subjects and agg >= 0.1):
            continue
        specific = cls.specific if p >= 0.7 and cls.specific != cls.basic else None
        add(cls.basic, cls.plural, cls.category, min(agg, 0.99), "classifier", specific=specific)

    # Sure of the kind of thing but not which one: name the category ("a bird", "flowers").
    if not any(s.category in _CATEGORY_NOUNS or s.category in _LIVING for s in subjects.values()):
        for category, mass in sorted(by_category.items(), key=lambda kv: -kv[1]):
            if category in _CATEGORY_NOUNS and mass >= need_class + 0.1:
                noun, plural = _CATEGORY_NOUNS[category]
                add(noun, plural, category, min(mass, 0.95) * 0.8, "classifier")
                break

    _name_unknown_animal(subjects, {info.basic for info in coco.values()})
    ranked = sorted(subjects.values(), key=_salience, reverse=True)
    return Evidence(subjects=tuple(ranked), objects=tuple(accepted), class_top=tuple(top), scene=scene,
                    stats=stats, abstract=abstract, people=people, notes=tuple(notes),
                    candidates=tuple(detections))


def _name_unknown_animal(subjects: dict[str, Subject], coco_nouns: set[str]) -> None:
    """COCO knows ten animals; a squirrel gets boxed as a "bird". When the classifier is sure of an
    animal the detector has no class for, and the detector boxed exactly one other animal, they are
    one creature: keep the classifier's name with the detector's box."""
    named = [s for s in subjects.values() if s.category in _LIVING and s.sources == ("classifier",)
             and s.noun not in coco_nouns and s.score >= 0.6]
    boxed = [s for s in subjects.values() if s.category in _LIVING and "detector" in s.sources]
    if len(named) != 1 or len(boxed) != 1 or boxed[0].count != 1 or boxed[0].noun == named[0].noun:
        return
    animal, box = named[0], boxed[0]
    del subjects[box.noun]
    subjects[animal.noun] = Subject(animal.noun, animal.plural, animal.category,
                                    1 - (1 - animal.score) * (1 - box.score), 1,
                                    ("classifier", "detector"), box.area, animal.specific)


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

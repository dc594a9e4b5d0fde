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
from .taxonomy import ImageNetClass, coco_classes, imagenet_classes

# Categories whose classifier evidence may name a main subject.
_SUBJECT_CATEGORIES = {
    "animal", "bird", "pet", "insect", "sea_life", "plant", "flower", "food", "drink", "vehicle",
    "landscape", "water", "building", "structure", "furniture", "household", "clothing",
    "accessory", "electronics", "instrument", "sport", "tool", "toy",
}
_LIVING = {"animal", "bird", "pet", "insect", "sea_life"}


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
    abstract: float
    people: int = 0
    ocr_text: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    candidates: tuple[Detection, ...] = ()  # every raw detection, accepted or not (weak support for the guard)

    @property
    def main(self) -> Subject | None:
        return self.subjects[0] if self.subjects else None

    def nouns(self) -> set[str]:
        """Every noun the evidence supports (for the grounding guard)."""
        out = {s.noun for s in self.subjects} | {s.plural for s in self.subjects}
        out |= {s.specific for s in self.subjects if s.specific}
        return {n for n in out if n}


def _aggregate_classes(probs: np.ndarray, k: int = 10) -> tuple[list[tuple[ImageNetClass, float]], dict[str, float], dict[str, float]]:
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
         *, min_detection: float = 0.45) -> Evidence:
    """Combine raw model outputs into accepted evidence."""
    coco = coco_classes()
    top, by_basic, by_category = _aggregate_classes(probs)
    notes: list[str] = []
    top_p = top[0][1] if top else 0.0
    risky_mass = sum(p for c, p in top if c.risky)
    entropy_like = 1.0 - top_p

    # Abstract/synthetic: pixels look rendered, and the classifier has no confident real object.
    confident_real = max((p for c, p in top[:3] if not c.risky and c.category in _SUBJECT_CATEGORIES), default=0.0)
    abstract = stats.abstract
    abstract = float(np.clip(abstract + 0.25 * min(risky_mass / 0.4, 1) + 0.1 * entropy_like - 0.5 * confident_real, 0, 1))

    accepted: list[Detection] = []
    for det in detections:
        info = coco.get(det.class_id)
        if info is None:
            continue
        agree = by_basic.get(info.basic, 0.0) + 0.5 * by_category.get(info.category, 0.0)
        need = min_detection
        if abstract > 0.5:
            need = max(need, 0.85)  # wallpapers: SSD invents umbrellas and kites
        if det.area > 0.8 and agree < 0.05 and info.name != "person":
            need = max(need, 0.9)  # a box covering the frame with no classifier support = texture
        if det.area < 0.004:
            continue
        if det.score >= need or (det.score >= 0.3 and agree >= 0.3):
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
        subjects[noun] = Subject(noun, plural, category, fused, max(old.count, count),
                                 tuple(dict.fromkeys(old.sources + (source,))), max(old.area, area),
                                 old.specific or specific)

    per_label: dict[int, list[Detection]] = defaultdict(list)
    for det in accepted:
        per_label[det.class_id].append(det)
    people = 0
    for cid, dets in per_label.items():
        info = coco[cid]
        strong = [d for d in dets if d.score >= min_detection]
        count = max(1, len(strong))
        if info.name == "person":
            people = count
        add(info.basic, info.plural, info.category, max(d.score for d in dets), "detector",
            count=count, area=max(d.area for d in dets))

    for cls, p in top[:5]:
        if cls.risky or cls.category not in _SUBJECT_CATEGORIES:
            continue
        agg = by_basic.get(cls.basic, 0.0)
        if agg < 0.3 or (abstract > 0.6 and agg < 0.7):
            continue
        specific = cls.specific if p >= 0.6 and cls.specific != cls.basic else None
        add(cls.basic, cls.plural, cls.category, min(agg, 0.99), "classifier", specific=specific)

    ranked = sorted(subjects.values(), key=_salience, reverse=True)
    return Evidence(subjects=tuple(ranked), objects=tuple(accepted), class_top=tuple(top), scene=scene,
                    stats=stats, abstract=abstract, people=people, notes=tuple(notes),
                    candidates=tuple(detections))


def _salience(s: Subject) -> float:
    weight = 1.0
    if s.category in _LIVING or s.noun == "person":
        weight = 1.3
    if s.category in ("landscape", "water"):
        weight = 0.8
    multi = 0.15 if len(s.sources) > 1 else 0.0
    return s.score * weight * (0.6 + min(s.area, 0.5)) + multi

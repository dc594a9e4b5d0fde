"""The relevance gate: is this image worth the expensive captioner?

A GPU VLM costs far more per image than everything else (docs/gpu-sizing.md), so it sees
the images where it adds most. Each image gets a *kind* from :data:`KINDS` (the first rule
that fires); ``engines.gate_kinds`` lists the kinds that may pass, most valuable first,
and ``engines.gate_budget`` caps the share of uploads passed: a kind at rank ``r`` of ``n``
passes while the pass share of the last :data:`BUDGET_WINDOW` decisions is below
``budget * (1 - r / (2 n))``, so people and animals get the whole budget and the last kinds
at least half of it. The budget binds only after :data:`BUDGET_MIN_SEEN` decisions, so a
small run (a few files from the CLI) sends every eligible image. Rendered art and
close-ups the models find nothing in stay with the composer. The decision is recorded in
every record (``provenance.relevant`` / ``relevance``); ``snapscribe bench`` measures the
pass rate and ``snapscribe plan`` reads it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .evidence import Evidence

DETECTED_MIN = 0.5  # detector score for a subject that counts
SUNSET_MIN = 0.3  # scene cue for a sunset sky
SKY_MIN = 0.2  # share of the frame that is sky in a landscape
LAND_MIN = 0.2  # water, sand, snow, trees, greenery or grass cue beside that sky
LANDSCAPE_MIN = 0.3  # summed probability of ImageNet landscape/water classes (mountain, seashore, lakeside)
LANDSCAPE_CATEGORIES = ("landscape", "water")
TEXT_WORDS = 3  # clean OCR words that make a text post
BUDGET_WINDOW = 200  # the pass share is measured over this many recent decisions
BUDGET_MIN_SEEN = 20  # decisions before the budget binds


@dataclass(frozen=True)
class Relevance:
    worth_captioning: bool
    reason: str
    kind: str | None = None


def _detected(ev: Evidence) -> list:
    return [s for s in ev.subjects if "detector" in s.sources and s.score >= DETECTED_MIN]


def _people(ev: Evidence) -> str | None:
    if ev.people > 0 or any(s.noun == "person" or s.category.startswith("person") for s in _detected(ev)):
        return f"{max(ev.people, 1)} person(s) detected"
    return None


def _animals(ev: Evidence) -> str | None:
    found = [s.noun for s in _detected(ev) if s.category in ("animal", "bird", "pet", "insect")]
    return f"detected {', '.join(found[:3])}" if found else None


def _objects(ev: Evidence) -> str | None:
    found = [s.noun for s in _detected(ev)]
    return f"detected {', '.join(found[:3])}" if found else None


def _scene(ev: Evidence) -> str | None:
    sc = ev.scene
    if sc.sunset >= SUNSET_MIN:
        return f"sunset sky ({sc.sunset:.2f})"
    classes = sum(p for c, p in ev.class_top if c.category in LANDSCAPE_CATEGORIES)
    if classes >= LANDSCAPE_MIN:
        return f"landscape classes {classes:.2f}"
    land = {
        k: v
        for k, v in (
            ("water", sc.water),
            ("sand", sc.sand),
            ("snow", sc.snow),
            ("trees", sc.trees),
            ("greenery", sc.greenery),
            ("grass", sc.grass),
        )
        if v >= LAND_MIN
    }
    if sc.sky_cover >= SKY_MIN and land:
        return f"landscape: sky {sc.sky_cover:.2f} and {', '.join(land)}"
    return None


def _text(ev: Evidence) -> str | None:
    words = (ev.ocr_text or "").split()
    return f"text post ({len(words)} words read)" if len(words) >= TEXT_WORDS else None


KINDS: dict[str, Callable[[Evidence], str | None]] = {
    "people": _people,
    "animals": _animals,
    "objects": _objects,
    "scene": _scene,
    "text": _text,
}


def classify(ev: Evidence, kinds: Sequence[str] = tuple(KINDS)) -> tuple[str | None, str]:
    """(kind, why) for the first of ``kinds`` the image is; (None, why not) otherwise."""
    if ev.rendered:  # art: only a text post is worth the VLM (pixel cues would read it as a scene)
        if not (_text(ev) and "text" in kinds):
            return None, "rendered art: the composer describes it"
        kinds = ("text",)
    for name in kinds:
        why = KINDS[name](ev)
        if why:
            return name, why
    return None, "no detected subject, scene or text the VLM would add to"


def judge(ev: Evidence, min_score: float = DETECTED_MIN) -> Relevance:
    """The gate without a budget: every kind passes."""
    kind, why = classify(ev)
    return Relevance(kind is not None, why, kind)


class GatePolicy:
    """The gate with a budget: tracks the running pass share of this process (thread-safe)."""

    def __init__(self, kinds: Sequence[str] = tuple(KINDS), budget: float = 1.0):
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown gate kinds {unknown}; known: {list(KINDS)}")
        self.kinds = tuple(kinds)
        self.budget = budget
        self.seen = 0
        self.passed = 0
        self._recent: deque[bool] = deque(maxlen=BUDGET_WINDOW)
        self._lock = threading.Lock()

    def limit(self, kind: str) -> float:
        """The pass share below which ``kind`` still passes."""
        return self.budget * (1 - self.kinds.index(kind) / (2 * len(self.kinds)))

    def decide(self, ev: Evidence) -> Relevance:
        kind, why = classify(ev, self.kinds)
        with self._lock:
            self.seen += 1
            if kind is None:
                self._recent.append(False)
                return Relevance(False, why)
            share = sum(self._recent) / len(self._recent) if self._recent else 0.0
            if self.budget < 1.0 and len(self._recent) >= BUDGET_MIN_SEEN and share >= self.limit(kind):
                self._recent.append(False)
                return Relevance(
                    False, f"{kind}: {why}; over budget ({share:.0%} passed, {kind} limit {self.limit(kind):.0%})", kind
                )
            self.passed += 1
            self._recent.append(True)
            return Relevance(True, f"{kind}: {why}", kind)

"""The reading layer: named scene facts, each with its cue, its threshold and its why, in one place.

A fact ("sunset", "sky", "night", ...) holds when its measured cue reaches its threshold. The
thresholds are fitted on the training split by ``scripts/train_sight.py`` (``data/reading_model.json``:
for each fact, the threshold that maximises facts-right minus three times facts-wrong, judged
against the labels' present lists); the defaults below are the hand-set values they replace.
Tagging and the composer read the facts through :func:`threshold`; a fact whose cue never pays
on the training images gets a threshold above 1 and is never asserted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Fact:
    name: str
    default: float
    why: str
    words: tuple[str, ...]  # label words that make the fact true (for fitting)


FACTS: tuple[Fact, ...] = (
    Fact("sky", 0.5, "a smooth bright band across the top of the frame", ("sky", "cloud")),
    Fact("clouds", 0.5, "pale textured patches in the upper half, with blue sky around them", ("cloud",)),
    Fact(
        "sunset",
        0.55,
        "a warm or pink smooth sky above a darker ground, or the sun low in it",
        ("sunset", "sunrise", "dusk"),
    ),
    Fact("stars", 0.5, "a dark frame sprinkled with many small points of light", ("star", "galaxy", "night")),
    Fact("night", 0.5, "a dark frame with several small light sources", ("night", "dusk")),
    Fact("nature", 0.5, "textured green over much of the frame", ("tree", "plant", "grass", "forest", "leaf")),
    Fact("grass", 0.6, "textured green in the lower half, or upright green strokes", ("grass", "lawn", "meadow")),
    Fact("trees", 0.6, "textured green in the upper half", ("tree", "forest")),
    Fact("snow", 0.5, "grainy white ground in the lower half", ("snow",)),
    Fact("beach", 0.4, "sand at the bottom with water above it", ("beach", "sand", "shore")),
    Fact("sea", 0.5, "blue water below a sky, with a horizon or waves", ("sea", "water", "lake")),
    Fact("flower", 0.5, "one vivid warm or pink blob set in green or dark bokeh", ("flower",)),
)
_BY_NAME = {f.name: f for f in FACTS}
_FITTED: list[dict] = []


def reading_model() -> dict:
    """Fitted thresholds by fact name (empty before scripts/train_sight.py has run)."""
    if not _FITTED:
        path = resources.files("snapscribe").joinpath("data/reading_model.json")
        _FITTED.append(json.loads(path.read_text())["thresholds"] if path.is_file() else {})
    return _FITTED[0]


def set_thresholds(thresholds: dict[str, float]) -> None:
    """Use these thresholds in this process (the training script's search)."""
    _FITTED[:] = [dict(thresholds)]


def threshold(name: str) -> float:
    """The cue level at which fact ``name`` holds."""
    return float(reading_model().get(name, _BY_NAME[name].default))


def why(name: str) -> str:
    return _BY_NAME[name].why

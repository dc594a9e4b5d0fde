"""Shared for sight mechanism tests: fitted models pinned to fixed, documented values (so tests do not move when models
are refitted), and plain pixel statistics of a green and brown photo."""

from collections.abc import Iterator
from contextlib import contextmanager

from snapscribe import evidence, reading
from snapscribe.attributes import PixelStats
from snapscribe.hedging import hedge_model

STATS = PixelStats(
    brightness=0.5,
    contrast=0.2,
    colourfulness=40.0,
    sharpness=300.0,
    dominant_colours=[("green", 0.6), ("brown", 0.3)],
    flat_fraction=0.05,
)

# Raw classifier mass as the confidence; the support rule decides box-or-node.
RAW_HEDGE = {"weights": [1.0, 0.0, 0.0], "bias": 0.0, "bar": 0.5, "box_support": 0.1, "box_model": None}


@contextmanager
def pinned() -> Iterator[None]:
    """Hand-set defaults: raw-mass hedging, the hand-set detection rules, the default scene thresholds."""
    model = hedge_model()
    saved_hedge = dict(model)
    saved_fusion = evidence.fusion_model()
    saved_reading = dict(reading.reading_model())
    model.clear()
    model.update(RAW_HEDGE)
    evidence.set_fusion_model(None)
    reading.set_thresholds({})
    try:
        yield
    finally:
        model.clear()
        model.update(saved_hedge)
        evidence.set_fusion_model(saved_fusion)
        reading.set_thresholds(saved_reading)

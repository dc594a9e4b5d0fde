"""Pin sight's fitted models to fixed, documented values, so mechanism tests do not move when models are refitted."""

from collections.abc import Iterator
from contextlib import contextmanager

from snapscribe import evidence, reading
from snapscribe.hedging import hedge_model

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

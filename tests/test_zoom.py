"""The zoom pass: a closer look at five crops when the first pass recognises nothing."""

import re
from pathlib import Path

import numpy as np
import pytest

from snapscribe.config import Settings
from snapscribe.pipeline import Upload, build_pipeline
from snapscribe.store import Database, ResultStore
from snapscribe.zoom import agreed, zoom_boxes

DEVSET = Path(__file__).resolve().parents[1] / "devset" / "cache"
# A cat wearing a lime peel as a helmet (node-canvas's example photo): the whole frame names nothing, the
# crops agree on a cat. (The earlier examples are named on the first pass now, so no zoom runs: half a fig
# in a bowl is "food" and the Washington Monument over its reflecting pool "a lake", by the concept probe.)
LIME_CAT = DEVSET.parent / "cache-extra" / "ld-nodecanvas-lime-cat.jpg"


def test_zoom_boxes_are_five_squares_inside_the_frame():
    boxes = zoom_boxes(600, 400)
    assert len(boxes) == 5
    for x0, y0, x1, y1 in boxes:
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
        assert round((x1 - x0) * 600) == round((y1 - y0) * 400) == round(400 * 2 / 3)
    assert boxes[-1] == pytest.approx(((1 - 400 * 2 / 3 / 600) / 2, 1 / 6, 1 - (1 - 400 * 2 / 3 / 600) / 2, 5 / 6))


def test_a_class_needs_two_views_above_the_bar():
    full = np.array([0.2, 0.1, 0.05], dtype=np.float32)
    one_sure_crop = np.array([[0.95, 0.0, 0.0], [0.1, 0.0, 0.0], [0.1, 0.0, 0.0]], dtype=np.float32)
    assert agreed(full, one_sure_crop) == pytest.approx(full)  # one crop's confident mistake names nothing
    two_agree = np.array([[0.0, 0.7, 0.45], [0.0, 0.6, 0.45]], dtype=np.float32)
    out = agreed(full, two_agree)
    assert out[1] == pytest.approx(0.6) and out[0] == pytest.approx(0.2)
    assert out[2] == pytest.approx(0.05)  # half-believed everywhere (0.45) stays unnamed


def _pipeline(tmp_path, **overrides):
    settings = Settings().with_overrides(
        **{"store.data_dir": str(tmp_path), "ocr.enabled": False, "nsfw.enabled": False, **overrides}
    )
    return build_pipeline(settings, ResultStore(Database(settings.db_url())))


@pytest.mark.skipif(not LIME_CAT.exists(), reason="labelled set not fetched (scripts/fetch_devset.py --labels ...)")
def test_zoom_names_what_the_whole_frame_hides_and_is_cached(tmp_path):
    upload = Upload(source=LIME_CAT.name, path=str(LIME_CAT))
    without = _pipeline(tmp_path / "off", **{"models.zoom": False}).process(upload)
    assert not re.search(r"\bcats?\b", without.caption.lower()) and "zoom" not in without.timings_ms, without.caption
    pipeline = _pipeline(tmp_path / "on")
    first = pipeline.process(upload)
    assert re.search(r"\bcats?\b", first.caption.lower()), first.caption
    assert "zoom" in first.timings_ms
    again = pipeline.process(upload, refresh=True)  # reuses the cached features, crop views included
    assert again.caption == first.caption and "zoom" not in again.timings_ms and "detect" not in again.timings_ms


@pytest.mark.skipif(not DEVSET.exists(), reason="dev set not fetched (scripts/fetch_devset.py)")
def test_results_from_cached_features_match_a_fresh_run(tmp_path):
    names = [
        "lom-analogpattern_by_Peter_Nerlich.jpg",
        "mate-Ubuntu-Mate-Cold-no-logo.png",
        "ski-moon.png",
        "mate-TwoWings.jpg",
        "plasma-Kite.jpg",
        "lom-Picture_0B_by_freespace.jpg",
    ]
    pipeline = _pipeline(tmp_path)
    for name in names:
        upload = Upload(source=name, path=str(DEVSET / name))
        fresh = pipeline.process(upload, force=True)
        cached = pipeline.process(upload, refresh=True)
        assert "classify" in fresh.timings_ms and "classify" not in cached.timings_ms
        assert (cached.caption, cached.attributes.abstract, cached.tags) == (
            fresh.caption,
            fresh.attributes.abstract,
            fresh.tags,
        ), name

"""Exposed skin inside the people a detector found: the NSFW gate's second, pixel-level opinion.

Independent of open_nsfw (no learned weights): a classic explicit skin-colour rule, the
intersection of the YCbCr box of Chai & Ngan (1999; 77 <= Cb <= 127, 133 <= Cr <= 173)
and the RGB rule of Kovac, Peer & Solina (2003; R > 95, G > 40, B > 20, max - min > 15,
|R - G| > 15, R > G, R > B); the intersection rejects some wood and warm-lit walls that
either rule alone accepts, but pale sand still passes, which is why the rule is read only
inside the people the detector found. It is measured at 160 px, inside each person box minus
its head zone (the top of the box, where a face or hair is expected): the share of a
body that is bare skin. A shirt or trousers cut the share (a face filling the box still
reads as skin: the rule only corroborates a high open_nsfw score). Swimwear leaves a lot
of bare skin, so the torso's centre line is also read row by row: a band of skinless rows
across it (a bikini, trunks, underwear) marks that person as covered, whatever the share.

Person boxes also give the one age cue the gate uses: a person whose box is much shorter
than another person's at the same depth (boxes overlapping, or feet on about the same
line) is *child-sized*. It is a size cue, not an age estimate; the gate only sends such
images to a human, never decides on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..engines.base import Detection

SIDE = 160  # px, long side of the image the skin rule reads
HEAD_ZONE = 0.25  # top share of a person box treated as head (face, hair, neck)
MIN_PERSON_SCORE = 0.45
CHILD_HEIGHT_RATIO = 0.6  # a box at most this share of the tallest box's height is child-sized
SAME_DEPTH = 0.12  # feet within this share of the image height count as the same depth
# A clothing band: along the torso's centre line (rows 25-75% of the box, middle 40% of its width),
# consecutive rows with under BAND_ROW_SKIN skin, together at least BAND_HEIGHT of the box height.
TORSO_ROWS, TORSO_COLS = (0.25, 0.75), (0.3, 0.7)
BAND_ROW_SKIN = 0.2
BAND_HEIGHT = 0.04


@dataclass(frozen=True)
class SkinReading:
    """What the pixels say about exposed skin, and which people they were read in."""

    persons: int  # person boxes used
    body_skin: float  # bare-skin share of the body zones of all person boxes (0 when no person)
    bare_body: float  # the largest body-zone skin share of one person with no clothing band across the torso
    banded: int  # people with a clothing band (swimwear, underwear, a belt line) across the torso
    head_skin: float  # bare-skin share of their head zones
    image_skin: float  # bare-skin share of the whole image
    child_sized: int  # person boxes that are child-sized next to another person


def skin_mask(rgb: np.ndarray) -> np.ndarray:
    """Boolean mask of skin-coloured pixels of an (h, w, 3) uint8 RGB array."""
    a = rgb.astype(np.int16)
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    # ITU-R BT.601 chroma, as JPEG stores it.
    cb = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0
    cr = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0
    ycbcr = (cb >= 77) & (cb <= 127) & (cr >= 133) & (cr <= 173)
    spread = a.max(axis=-1) - a.min(axis=-1)
    rgb_rule = (r > 95) & (g > 40) & (b > 20) & (spread > 15) & (np.abs(r - g) > 15) & (r > g) & (r > b)
    return ycbcr & rgb_rule


def persons_of(detections: Sequence[Detection], min_score: float = MIN_PERSON_SCORE) -> list[Detection]:
    return [d for d in detections if d.label == "person" and d.score >= min_score]


def child_sized(persons: Sequence[Detection], ratio: float = CHILD_HEIGHT_RATIO, same_depth: float = SAME_DEPTH) -> int:
    """How many person boxes are at most ``ratio`` of the tallest's height at the same depth."""
    if len(persons) < 2:
        return 0
    tallest = max(persons, key=lambda d: d.box[3] - d.box[1])
    tx0, ty0, tx1, ty1 = tallest.box
    th = ty1 - ty0
    count = 0
    for d in persons:
        if d is tallest:
            continue
        x0, y0, x1, y1 = d.box
        overlaps = min(x1, tx1) > max(x0, tx0) and min(y1, ty1) > max(y0, ty0)
        if (y1 - y0) <= ratio * th and (overlaps or abs(y1 - ty1) <= same_depth):
            count += 1
    return count


def read_skin(image: Image.Image, detections: Sequence[Detection]) -> SkinReading:
    """Measure exposed skin in the person boxes of ``image`` (boxes as fractions of its frame)."""
    small = image.convert("RGB") if image.mode != "RGB" else image
    if max(small.size) > SIDE:
        small = small.copy()
        small.thumbnail((SIDE, SIDE), Image.Resampling.BILINEAR)
    mask = skin_mask(np.asarray(small))
    h, w = mask.shape
    persons = persons_of(detections)
    body = np.zeros_like(mask)
    head = np.zeros_like(mask)
    boxes = []
    for d in persons:
        x0, y0, x1, y1 = (round(v * s) for v, s in zip(d.box, (w, h, w, h)))
        x0, x1 = max(0, x0), min(w, max(x1, x0 + 1))
        y0, y1 = max(0, y0), min(h, max(y1, y0 + 1))
        split = y0 + round((y1 - y0) * HEAD_ZONE)
        head[y0:split, x0:x1] = True
        body[split:y1, x0:x1] = True
        boxes.append((x0, y0, x1, y1, split))
    body &= ~head  # another person's head inside this body box stays a head
    bare_body, banded = 0.0, 0
    for x0, y0, x1, y1, split in boxes:
        if _clothing_band(mask[y0:y1, x0:x1]):
            banded += 1
        else:
            bare_body = max(bare_body, float(mask[split:y1, x0:x1].mean()))
    return SkinReading(
        persons=len(persons),
        body_skin=_share(mask, body),
        bare_body=bare_body,
        banded=banded,
        head_skin=_share(mask, head),
        image_skin=float(mask.mean()) if mask.size else 0.0,
        child_sized=child_sized(persons),
    )


def _clothing_band(box_mask: np.ndarray) -> bool:
    """Is there a run of (nearly) skinless rows across the torso's centre line of one person box?

    A bikini, trunks or underwear leave one; a bare torso does not. A torso that is mostly
    covered has one too (and little bare skin anyway)."""
    bh, bw = box_mask.shape
    r0, r1 = round(bh * TORSO_ROWS[0]), round(bh * TORSO_ROWS[1])
    c0, c1 = round(bw * TORSO_COLS[0]), max(round(bw * TORSO_COLS[1]), round(bw * TORSO_COLS[0]) + 1)
    rows = box_mask[r0:r1, c0:c1].mean(axis=1) < BAND_ROW_SKIN
    need = max(2, round(bh * BAND_HEIGHT))
    run = 0
    for covered in rows:
        run = run + 1 if covered else 0
        if run >= need:
            return True
    return False


def _share(mask: np.ndarray, zone: np.ndarray) -> float:
    n = int(zone.sum())
    return float((mask & zone).sum() / n) if n else 0.0

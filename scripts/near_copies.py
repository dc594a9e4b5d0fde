#!/usr/bin/env python3
"""PDQ near-copies of newly labelled images among the labelled images (and among themselves).

Stock photos travel between packages re-encoded, resized or recropped (UI kits of one vendor ship
the same photos); the same photo on both sides of the package split would leak. Run this before
``scripts/merge_labels.py`` and drop what it lists (the image already labelled wins).

    python scripts/near_copies.py NEW_LABELS.json [...] [--known DIR ...] [--radius 31]

Images of a manifest are read from the folder holding it; known images from ``--known`` folders
(default devset/cache and devset/cache-extra). Prints ``new<TAB>known<TAB>distance``, exits 1 when
any near-copy is found.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

from PIL import Image

from snapscribe.safety.hash_index import DEFAULT_THRESHOLD, HashIndex
from snapscribe.safety.pdq import PdqHash, compute_pdq

ROOT = Path(__file__).resolve().parent.parent
KNOWN = (ROOT / "devset" / "cache", ROOT / "devset" / "cache-extra")
RADIUS = DEFAULT_THRESHOLD  # the hash-list match distance: "the same photo" after re-encoding or resizing


def pdq_of(path: Path) -> PdqHash | None:
    """The PDQ hash of an image file, or None when it cannot be read."""
    try:
        with Image.open(path) as im:
            return compute_pdq(im.convert("RGB"))
    except Exception as exc:  # a label file may list formats this Pillow cannot read
        print(f"skipped {path.name}: {exc}", file=sys.stderr)
        return None


def near_copies(
    new: Iterable[tuple[str, PdqHash]], known: Iterable[tuple[str, PdqHash]], radius: int = RADIUS
) -> list[tuple[str, str, int]]:
    """(new name, nearest earlier name, distance) for each new image within ``radius`` of a known image
    or of a new image listed before it."""
    names: list[str] = []
    index = HashIndex()
    for name, h in known:
        index.add(h, len(names))
        names.append(name)
    found = []
    for name, h in new:
        hits = index.query(h, radius)  # nearest first
        if hits:
            key, dist = hits[0]
            found.append((name, names[key], dist))
        index.add(h, len(names))
        names.append(name)
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("labels", type=Path, nargs="+")
    ap.add_argument("--known", type=Path, action="append", help="folders of labelled images")
    ap.add_argument("--radius", type=int, default=RADIUS)
    args = ap.parse_args(argv)
    known = []
    for folder in args.known or KNOWN:
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            h = pdq_of(path)
            if h is not None:
                known.append((path.name, h))
    new = []
    for manifest in args.labels:
        for entry in json.loads(manifest.read_text(encoding="utf-8"))["images"]:
            h = pdq_of(manifest.parent / entry["file"])
            if h is not None:
                new.append((entry["file"], h))
    found = near_copies(new, known, args.radius)
    for name, other, dist in found:
        print(f"{name}\t{other}\t{dist}")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())

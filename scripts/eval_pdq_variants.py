#!/usr/bin/env python
"""Hash-scan recall on edited copies of listed photos, and false matches on other photos.

Lists photos the way ``snapscribe hashlist add`` does (PDQ of the work image) at their own
size and shrunk to 256 px, makes six edits of each (half size, JPEG q30, mirror, 90° rotation,
2% crop on every side, a text overlay), and hashes every edit the way the safety gate does
(:func:`snapscribe.safety.gates.query_variants` on the work image), matching at the configured
threshold. Photos that are not listed, and their edits, must match nothing.

Usage::

    PYTHONPATH=src python scripts/eval_pdq_variants.py [--photos DIR ...] [--others DIR ...] [--json]

Defaults: listed = ``samples/*.jpg`` plus the ``photo`` images of ``devset/kinds.json`` with an
even index; others = the odd-index ``photo`` images and every other image of ``devset/cache-kinds``.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from snapscribe.config import Settings  # noqa: E402
from snapscribe.normalize import _fit  # noqa: E402
from snapscribe.safety.gates import query_variants  # noqa: E402
from snapscribe.safety.hash_index import HashIndex  # noqa: E402
from snapscribe.safety.pdq import compute_pdq  # noqa: E402

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
SMALL_SIDE = 256


def jpeg(img: Image.Image, quality: int = 90) -> Image.Image:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def edits(img: Image.Image) -> dict[str, Image.Image]:
    """The six edits of the issue, each saved as a JPEG (q90 unless the edit is the quality)."""
    w, h = img.size
    overlay = img.copy()
    draw = ImageDraw.Draw(overlay)
    font = ImageFont.truetype(FONT, max(12, h // 14)) if Path(FONT).exists() else None
    draw.text(
        (w // 20, h - h // 7),
        "Best day ever! #blessed",
        fill=(255, 255, 255),
        font=font,
        stroke_width=2,
        stroke_fill=(0, 0, 0),
    )
    dx, dy = max(1, int(w * 0.02)), max(1, int(h * 0.02))
    return {
        "half": jpeg(img.resize((max(1, w // 2), max(1, h // 2)), Image.Resampling.LANCZOS)),
        "jpeg30": jpeg(img, 30),
        "mirror": jpeg(img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
        "rot90": jpeg(img.transpose(Image.Transpose.ROTATE_90)),
        "crop2": jpeg(img.crop((dx, dy, w - dx, h - dy))),
        "overlay": jpeg(overlay),
    }


def small(img: Image.Image) -> Image.Image:
    scale = SMALL_SIDE / max(img.size)
    return img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.Resampling.LANCZOS)


def default_sets() -> tuple[list[Path], list[Path]]:
    listed = sorted((ROOT / "samples").glob("*.jpg"))
    others: list[Path] = []
    kinds = ROOT / "devset" / "kinds.json"
    cache = ROOT / "devset" / "cache-kinds"
    if kinds.exists() and cache.exists():
        items = [i for i in json.loads(kinds.read_text())["images"] if (cache / i["file"]).exists()]
        photos = [cache / i["file"] for i in items if i["kind"] == "photo"]
        listed += photos[::2]
        others += photos[1::2] + [cache / i["file"] for i in items if i["kind"] != "photo"]
    return listed, others


def evaluate(listed: list[Path], others: list[Path], threshold: int, work_side: int) -> dict:
    index = HashIndex()
    originals = []
    for p in listed:
        img = Image.open(p).convert("RGB")
        originals += [(p.name, img), (f"{p.name}@{SMALL_SIDE}", small(img))]
    for key, (_, img) in enumerate(originals):
        index.add(compute_pdq(_fit(img, work_side)), key)
    index.build()
    misses, total, per_edit = [], 0, {}
    t_scan = 0.0
    for key, (name, img) in enumerate(originals):
        for edit, variant in edits(img).items():
            t0 = time.perf_counter()
            hits = index.query_many([h.hex for _, h in query_variants(_fit(variant, work_side))], threshold)
            t_scan += time.perf_counter() - t0
            keys = {k for hs in hits for k, _ in hs}
            ok = key in keys
            total += 1
            stats = per_edit.setdefault(edit, [0, 0])
            stats[0] += ok
            stats[1] += 1
            if not ok:
                best = min((d for hs in hits for k, d in hs if k == key), default=None)
                misses.append(f"{name}:{edit}" + (f" (d={best})" if best is not None else ""))
    false = []
    n_other = 0
    for p in others:
        img = Image.open(p).convert("RGB")
        for label, im in [(p.name, img), (f"{p.name}@{SMALL_SIDE}", small(img))]:
            for edit, variant in {"as-is": im, **edits(im)}.items():
                n_other += 1
                hits = index.query_many([h.hex for _, h in query_variants(_fit(variant, work_side))], threshold)
                found = sorted({(originals[k][0], d) for hs in hits for k, d in hs})
                if found:
                    false.append(f"{label}:{edit} -> {found[:3]}")
    return {
        "listed_images": len(originals),
        "variants": total,
        "caught": total - len(misses),
        "recall": round((total - len(misses)) / max(total, 1), 4),
        "per_edit": {k: f"{a}/{b}" for k, (a, b) in per_edit.items()},
        "misses": misses,
        "other_images_and_edits": n_other,
        "false_matches": false,
        "ms_per_scan": round(1000 * t_scan / max(total, 1), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", nargs="*", type=Path, help="folders of photos to list")
    ap.add_argument("--others", nargs="*", type=Path, help="folders of photos that are not listed")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    listed, others = default_sets()
    if args.photos:
        listed = sorted(p for d in args.photos for p in d.iterdir() if p.suffix.lower() in {".jpg", ".png", ".webp"})
    if args.others:
        others = sorted(p for d in args.others for p in d.iterdir() if p.suffix.lower() in {".jpg", ".png", ".webp"})
    s = Settings()
    res = evaluate(listed, others, s.hashlist.threshold, s.models.low_res_side)
    if args.json:
        print(json.dumps(res, indent=1))
        return
    print(
        f"listed {res['listed_images']} images ({len(listed)} photos, each also at {SMALL_SIDE} px): "
        f"{res['caught']}/{res['variants']} edits caught ({res['recall']:.1%}); per edit {res['per_edit']}"
    )
    print(f"misses: {res['misses']}")
    print(
        f"others: {res['other_images_and_edits']} images and edits, false matches: {len(res['false_matches'])} "
        f"{res['false_matches'][:5]}"
    )
    print(f"{res['ms_per_scan']} ms per hash scan (hashing all views + lookup)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""End to end on rendered benign text: share of images whose OCR text the injection detector flags.

Benign texts from the held-out sources of the injection model (never trained on; see
``data/injection_corpus/SOURCES.md``) are drawn with Pillow on photos (``make_injection_set.py``'s
renderer: varied fonts, sizes, colours, positions, rotations), then go through the real gate:
the OCR reader as ``SafetyGates`` builds it, and the rules + learned model detector. Texts longer
than ``--max-chars`` are skipped (a sign or a meme, not a page).

Usage::

    PYTHONPATH=src python scripts/eval_injection_images.py data/injection_corpus/build/corpus.jsonl \
        [--n 240] [--seed 5] [--photos DIR ...] [--show]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "src"))
from make_injection_set import BENIGN, draw_text, load_photos, variant  # noqa: E402
from train_injection_model import TEST_SOURCES  # noqa: E402

from snapscribe.config import Settings  # noqa: E402
from snapscribe.safety.injection import default_detector  # noqa: E402
from snapscribe.safety.ocr import INT8_DETECTOR, TextReader  # noqa: E402


def benign_texts(corpus: Path, n: int, max_chars: int, rng: random.Random) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").split("\n") if line.strip()]
    pool = [
        (r["source"], r["text"])
        for r in rows
        if r["label"] == 0 and r["source"] in TEST_SOURCES and 8 <= len(r["text"]) <= max_chars
    ]
    pool += [("make_injection_set-benign", t) for ts in BENIGN.values() for t in ts]
    rng.shuffle(pool)
    # every held-out source gets its share
    by: dict[str, list[tuple[str, str]]] = {}
    for s, t in pool:
        by.setdefault(s, []).append((s, t))
    out: list[tuple[str, str]] = []
    while len(out) < n and any(by.values()):
        for s in sorted(by):
            if by[s] and len(out) < n:
                out.append(by[s].pop())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--n", type=int, default=240)
    ap.add_argument("--max-chars", type=int, default=140)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--photos", nargs="*", default=[str(ROOT / "samples"), str(ROOT / "devset" / "cache-kinds")])
    ap.add_argument("--show", action="store_true", help="print every flagged image's OCR text")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    photos = load_photos(args.photos)
    cfg = Settings().ocr
    reader = TextReader(
        gate=cfg.gate, staged=cfg.staged, det_model=str(INT8_DETECTOR) if cfg.detector == "int8" else None
    )
    detector = default_detector()
    flagged, read, t0 = [], 0, time.time()
    texts = benign_texts(args.corpus, args.n, args.max_chars, rng)
    for source, text in texts:
        img, _ = draw_text(variant(rng.choice(photos), rng), text, rng, hostile=False)
        ocr = reader.read(img).text
        read += bool(ocr)
        res = detector.detect(ocr)
        if res.detected:
            flagged.append(
                {
                    "source": source,
                    "text": text,
                    "ocr": ocr,
                    "fired": res.fired,
                    "model_score": res.model_score,
                    "matches": res.matches,
                }
            )
    n = len(texts)
    print(
        f"{n} rendered benign images ({len({s for s, _ in texts})} held-out sources), OCR read text on {read}; "
        f"flagged {len(flagged)} ({len(flagged) / max(n, 1):.1%}); {time.time() - t0:.0f} s"
    )
    for f in flagged if args.show else flagged[:10]:
        print(" ", json.dumps(f, ensure_ascii=False))


if __name__ == "__main__":
    main()

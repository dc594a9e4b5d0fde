#!/usr/bin/env python
"""End to end on rendered benign text: share of images whose OCR text the injection detector flags.

Benign texts from the held-out sources of the injection model (``TEST_SOURCES``, the fresh split of
2026-12-06, and ``SPENT_SOURCES``, the split before it, which the committed texts come from; see
``data/injection_corpus/SOURCES.md``) are drawn with Pillow on photos or on plain and gradient
backgrounds (``make_injection_set.py``'s renderer: DejaVu sans/serif/mono, regular/bold/italic,
sizes 3.5-8% of the short side, colours, boxes, outlines, positions, rotations), then go through
the real gate: the OCR reader as ``SafetyGates`` builds it, and the rules + learned model detector.

The texts come from ``evals/injection_benign_texts.json`` (committed: 240 texts of the held-out
sources whose licences allow it, drawn by ``--write-texts``), or from the whole corpus with
``--corpus`` (every held-out benign source, GPL ones included). Texts longer than
``--max-chars`` are skipped (a sign or a meme, not a page).

Usage::

    PYTHONPATH=src python scripts/eval_injection_images.py [--n 240] [--seed 5] [--show]
    PYTHONPATH=src python scripts/eval_injection_images.py --corpus data/injection_corpus/build/corpus.jsonl
    PYTHONPATH=src python scripts/eval_injection_images.py --corpus CORPUS --held-out sudo-ui-strings seahorse-ui-strings
    python scripts/eval_injection_images.py --corpus CORPUS --write-texts evals/injection_benign_texts.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "src"))
from make_injection_set import BENIGN, draw_text, load_photos, variant  # noqa: E402
from PIL import Image  # noqa: E402
from train_injection_model import SPENT_SOURCES, TEST_SOURCES  # noqa: E402

TEXTS = ROOT / "evals" / "injection_benign_texts.json"
# benign sources of the old held-out split (SPENT_SOURCES) whose licences let their texts be committed (BSD-3,
# public domain, this project)
COMMITTABLE = ("fortunes-min", "fortunes-bofh-excuses", "fortunes-debian-hints", "make_injection_set-benign")


@dataclass
class Result:
    n: int
    read: int  # images on which OCR read any text
    flagged: list[dict] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.flagged) / max(self.n, 1)


def corpus_texts(
    corpus: Path, max_chars: int, sources: tuple[str, ...] | None = None, held_out: frozenset[str] | None = None
) -> list[tuple[str, str]]:
    """Benign texts of ``held_out`` (default: the first fresh split's and the spent split's sources, with
    make_injection_set.py's benign strings), only those of ``sources`` if given."""
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").split("\n") if line.strip()]
    names = held_out if held_out is not None else TEST_SOURCES | SPENT_SOURCES
    pool = [
        (r["source"], r["text"])
        for r in rows
        if r["label"] == 0 and r["source"] in names and 8 <= len(r["text"]) <= max_chars
    ]
    if held_out is None:
        pool += [("make_injection_set-benign", t) for ts in BENIGN.values() for t in ts]
    return [p for p in pool if sources is None or p[0] in sources]


def draw_round_robin(pool: list[tuple[str, str]], n: int, rng: random.Random) -> list[tuple[str, str]]:
    """``n`` texts, every source in turn (a small source runs out, the others go on)."""
    pool = sorted(pool)
    rng.shuffle(pool)
    by: dict[str, list[tuple[str, str]]] = {}
    for s, t in pool:
        by.setdefault(s, []).append((s, t))
    out: list[tuple[str, str]] = []
    while len(out) < n and any(by.values()):
        for s in sorted(by):
            if by[s] and len(out) < n:
                out.append(by[s].pop())
    return out


def background(photos: list[Image.Image], rng: random.Random) -> Image.Image:
    """A photo variant, or (one time in four) a plain or gradient poster background."""
    if rng.random() >= 0.25:
        return variant(rng.choice(photos), rng)
    w, h = rng.choice([(640, 480), (800, 800), (480, 640), (1024, 576)])
    a = tuple(rng.randint(0, 255) for _ in range(3))
    if rng.random() < 0.5:
        return Image.new("RGB", (w, h), a)
    b = tuple(rng.randint(0, 255) for _ in range(3))
    mask = Image.linear_gradient("L").resize((w, h))
    return Image.composite(Image.new("RGB", (w, h), a), Image.new("RGB", (w, h), b), mask)


def evaluate(texts: list[tuple[str, str]], photo_dirs: list[str], seed: int) -> Result:
    """Render each text, read it with the gate's OCR reader, run the shipped detector."""
    from snapscribe.config import Settings
    from snapscribe.safety.injection import default_detector
    from snapscribe.safety.ocr import TextReader, detector_path

    rng = random.Random(seed)
    photos = load_photos(photo_dirs)
    cfg = Settings().ocr
    reader = TextReader(gate=cfg.gate, staged=cfg.staged, det_model=detector_path(cfg.detector))
    detector = default_detector()
    res = Result(n=len(texts), read=0)
    for source, text in texts:
        img, style = draw_text(background(photos, rng), text, rng, hostile=False)
        ocr = reader.read(img).text
        res.read += bool(ocr)
        found = detector.detect(ocr)
        if found.detected:
            res.flagged.append(
                {
                    "source": source,
                    "text": text,
                    "ocr": ocr,
                    "style": style,
                    "fired": found.fired,
                    "model_score": found.model_score,
                    "matches": found.matches,
                }
            )
    return res


def committed_texts() -> list[tuple[str, str]]:
    return [(d["source"], d["text"]) for d in json.loads(TEXTS.read_text(encoding="utf-8"))["texts"]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, help="draw from every held-out benign source of this corpus")
    ap.add_argument("--write-texts", type=Path, help="with --corpus: write the committable text set here and stop")
    ap.add_argument("--n", type=int, default=240)
    ap.add_argument("--max-chars", type=int, default=140)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--photos", nargs="*", default=[str(ROOT / "samples"), str(ROOT / "devset" / "cache-kinds")])
    ap.add_argument("--show", action="store_true", help="print every flagged image's OCR text")
    ap.add_argument(
        "--held-out",
        nargs="+",
        help="with --corpus: draw from these benign sources instead (the sources the shipped model never saw, e.g. "
        "the fourth fresh split's: sudo-ui-strings seahorse-ui-strings)",
    )
    args = ap.parse_args()
    rng = random.Random(args.seed)
    if args.write_texts:
        if not args.corpus:
            ap.error("--write-texts needs --corpus")
        texts = draw_round_robin(corpus_texts(args.corpus, args.max_chars, COMMITTABLE), args.n, rng)
        about = (
            f"{len(texts)} benign texts of the injection model's held-out sources (never trained on), at most "
            f"{args.max_chars} characters, drawn in turn from each source by scripts/eval_injection_images.py "
            f"--write-texts (seed {args.seed}). fortunes-min: Debian fortunes-min 1:1.99.1-7.3, BSD-3-clause, "
            "Copyright (c) 1991 The Regents of the University of California; fortunes-bofh-excuses: Debian "
            "fortunes-bofh-excuses 1.2-3, public domain; fortunes-debian-hints: Debian fortunes-debian-hints "
            "2.01.4, BSD-3-clause; make_injection_set-benign: scripts/make_injection_set.py (this project)."
        )
        rows = [{"source": s, "text": t} for s, t in texts]
        args.write_texts.write_text(
            json.dumps({"about": about, "texts": rows}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        print(f"wrote {len(rows)} texts to {args.write_texts}")
        return
    if args.corpus:
        held_out = frozenset(args.held_out) if args.held_out else None
        texts = draw_round_robin(corpus_texts(args.corpus, args.max_chars, held_out=held_out), args.n, rng)
    else:
        texts = committed_texts()[: args.n]
    t0 = time.time()
    res = evaluate(texts, args.photos, args.seed)
    print(
        f"{res.n} rendered benign images ({len({s for s, _ in texts})} held-out sources), OCR read text on "
        f"{res.read}; flagged {len(res.flagged)} ({res.rate:.1%}); {time.time() - t0:.0f} s"
    )
    for f in res.flagged if args.show else res.flagged[:10]:
        print(" ", json.dumps(f, ensure_ascii=False))


if __name__ == "__main__":
    main()

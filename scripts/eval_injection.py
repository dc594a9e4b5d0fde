#!/usr/bin/env python
"""Evaluate OCR + the prompt-injection detector.

1. Strings: the held-out phrasings of ``make_injection_set.py`` (not the unit-test strings),
   clean and with synthetic OCR damage (confusables, lost spaces, split words, a dropped or
   swapped letter, lost accents): injection recall and benign false-positive rate.
2. Images (a folder written by ``make_injection_set.py``): with the gate and without it
   (``force``): injection recall, false-positive rate on ordinary text and on photos without
   text, gate recall (text images let through) and pass rate on no-text photos, ms per image.

Usage::

    PYTHONPATH=src python scripts/eval_injection.py [SET_DIR] [--limit N] [--no-force]
        [--photos NO_TEXT_DIR [--baseline OLD_OCR_PY]]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_injection_set import BENIGN, INJECTION

from snapscribe.safety.injection import detect_injection

LEET = {"o": "0", "i": "1", "l": "1", "e": "3", "a": "4", "s": "5", "t": "7"}


def garble(text: str, rng: random.Random) -> str:
    """Synthetic OCR damage; one or two kinds per string."""
    out = text
    for kind in rng.sample(["leet", "nospace", "split", "drop", "swap", "accents", "case"], k=rng.choice([1, 2])):
        if kind == "leet":
            out = "".join(LEET.get(c.lower(), c) if rng.random() < 0.3 else c for c in out)
        elif kind == "nospace":
            out = out.replace(" ", "")
        elif kind == "split":
            words = out.split()
            out = " ".join(
                w[: len(w) // 2] + " " + w[len(w) // 2 :] if len(w) > 6 and rng.random() < 0.5 else w for w in words
            )
        elif kind == "drop":
            words = out.split()
            long_ix = [i for i, w in enumerate(words) if len(w) >= 7]
            if long_ix:
                i = rng.choice(long_ix)
                j = rng.randrange(1, len(words[i]) - 1)
                words[i] = words[i][:j] + words[i][j + 1 :]
            out = " ".join(words)
        elif kind == "swap":
            words = out.split()
            long_ix = [i for i, w in enumerate(words) if len(w) >= 7]
            if long_ix:
                i = rng.choice(long_ix)
                j = rng.randrange(1, len(words[i]) - 2)
                w = words[i]
                words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
            out = " ".join(words)
        elif kind == "accents":
            out = "".join(c for c in unicodedata.normalize("NFKD", out) if not unicodedata.combining(c))
        elif kind == "case":
            out = out.upper()
    return out


def eval_strings(seed: int = 1) -> None:
    rng = random.Random(seed)
    inj = [(lang, t) for lang, ts in INJECTION.items() for t in ts]
    ben = [(lang, t) for lang, ts in BENIGN.items() for t in ts]
    inj_g = [(lang, garble(t, rng)) for lang, t in inj for _ in range(3)]
    ben_g = [(lang, garble(t, rng)) for lang, t in ben for _ in range(2)]
    print("== strings (held-out phrasings) ==")
    for name, rows, want in (
        ("injection clean", inj, True),
        ("injection garbled", inj_g, True),
        ("benign clean", ben, False),
        ("benign garbled", ben_g, False),
    ):
        wrong = [(lang, t, r) for lang, t in rows for r in [detect_injection(t)] if r.detected != want]
        rate = 1 - len(wrong) / len(rows) if want else len(wrong) / len(rows)
        label = "recall" if want else "FPR"
        by_lang = {}
        for lang, t in rows:
            by_lang.setdefault(lang, [0, 0])
            by_lang[lang][1] += 1
            if detect_injection(t).detected == want:
                by_lang[lang][0] += 1
        print(
            f"{name:18s} n={len(rows):3d} {label}={rate:.3f}  per-language correct: "
            + " ".join(f"{k}={a}/{b}" for k, (a, b) in by_lang.items())
        )
        for lang, t, r in wrong[:8]:
            print(f"    miss[{lang}] {t!r} score={r.score} {r.matches[:2]}")
    t0 = time.perf_counter()
    for _ in range(5):
        for _, t in inj + ben:
            detect_injection(t)
    n = 5 * (len(inj) + len(ben))
    print(f"detector: {(time.perf_counter() - t0) / n * 1000:.3f} ms per string")


def eval_images(set_dir: Path, limit: int | None, force_too: bool, threads: int, reader_kw: dict) -> None:
    from PIL import Image

    from snapscribe.safety.ocr import TextReader

    rows = [json.loads(line) for line in open(set_dir / "labels.jsonl")]
    if limit:
        rng = random.Random(0)
        rng.shuffle(rows)
        rows = rows[:limit]
    reader = TextReader(threads=threads, **reader_kw)
    reader.read(Image.new("RGB", (64, 64)), force=True)  # load the models outside the timings
    modes = [("gated", False)] + ([("no gate", True)] if force_too else [])
    for mode, force in modes:
        per_kind: dict[str, list] = {"injection": [], "benign": [], "none": []}
        ms = []
        for row in rows:
            img = Image.open(set_dir / row["file"]).convert("RGB")
            t0 = time.perf_counter()
            res = reader.read(img, force=force)
            inj = detect_injection(res.text)
            ms.append((time.perf_counter() - t0) * 1000)
            per_kind[row["kind"]].append((row, res, inj))
        print(f"\n== images, {mode} (n={len(rows)}, threads={threads}) ==")
        ir = per_kind["injection"]
        br = per_kind["benign"]
        nr = per_kind["none"]
        if ir:
            print(f"injection recall     {sum(i.detected for _, _, i in ir) / len(ir):.3f}  ({len(ir)} images)")
        if br:
            print(f"FPR ordinary text    {sum(i.detected for _, _, i in br) / len(br):.3f}  ({len(br)} images)")
        if nr:
            print(f"FPR no text          {sum(i.detected for _, _, i in nr) / len(nr):.3f}  ({len(nr)} images)")
        if not force:
            text_rows = ir + br
            print(f"gate recall (text)   {sum(r.ran_full for _, r, _ in text_rows) / max(1, len(text_rows)):.3f}")
            print(f"gate pass (no text)  {sum(r.ran_full for _, r, _ in nr) / max(1, len(nr)):.3f}")
            print(f"gate ms              median {statistics.median(r.gate_ms for _, r, _ in ir + br + nr):.1f}")
        full = [r.ocr_ms for k in per_kind.values() for _, r, _ in k if r.ran_full]
        if full:
            print(f"full OCR ms          median {statistics.median(full):.0f}  (on {len(full)} images)")
        print(
            f"ms per image         mean {statistics.mean(ms):.0f}  median {statistics.median(ms):.0f}"
            f"  | no-text photos mean {statistics.mean(ms[i] for i, r in enumerate(rows) if r['kind'] == 'none') if nr else 0:.0f}"
        )
        misses = [(row, r, i) for row, r, i in ir if not i.detected]
        for row, r, i in misses[:10]:
            print(
                f"    miss {row['file']} [{row['style']}] gate={r.gate_score:.2f} ran={r.ran_full} ocr={r.text[:90]!r}"
            )
        fps = [(row, r, i) for row, r, i in br + nr if i.detected]
        for row, r, i in fps[:10]:
            print(f"    FP {row['file']} ocr={r.text[:90]!r} {i.matches[:2]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("set_dir", nargs="?", type=Path)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--no-force", action="store_true", help="skip the no-gate pass")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument(
        "--photos",
        type=Path,
        default=None,
        help="folder of photos without text: read() cost and how many reach recognition",
    )
    ap.add_argument(
        "--reader",
        type=json.loads,
        default={},
        help="TextReader keyword arguments as JSON, e.g. '{\"confirm_side\": [256, 384]}'",
    )
    ap.add_argument("--baseline", type=Path, default=None, help="with --photos: another ocr.py to compare")
    args = ap.parse_args()
    eval_strings()
    if args.set_dir:
        eval_images(args.set_dir, args.limit, not args.no_force, args.threads, args.reader)
    if args.photos:
        from eval_ocr_gate import cost_report, load_reader_class, photo_files

        from snapscribe.safety.ocr import TextReader

        readers = {"staged": TextReader(threads=1, **args.reader)}
        if args.baseline:
            readers["baseline"] = load_reader_class(args.baseline)(threads=1)
        cost_report(readers, photo_files(args.photos, args.limit))


if __name__ == "__main__":
    main()

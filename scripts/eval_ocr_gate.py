#!/usr/bin/env python
"""Cost of :meth:`TextReader.read` on photos without text, and how far each image gets.

For every image, each reader configuration runs back to back (interleaved, single-threaded),
so a shared, noisy machine slows all of them alike. Reported per configuration: the share of
images stopped by the gate, by the detector confirm pass, and sent to recognition; mean and
median ms; and the images that reached recognition with what was read.

Configurations: ``staged`` (the default reader), ``full`` (gate then one full detector pass,
``staged=False``) and, with ``--baseline FILE``, a ``TextReader`` loaded from another copy of
``ocr.py`` (e.g. ``git show main:src/snapscribe/safety/ocr.py > /tmp/ocr_main.py``).

Usage::

    PYTHONPATH=src python scripts/eval_ocr_gate.py DIR [--limit N] [--baseline FILE] [--no-full]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

from PIL import Image


def load_reader_class(path: Path):
    spec = importlib.util.spec_from_file_location("ocr_baseline", path)
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules["ocr_baseline"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod.TextReader


def photo_files(d: Path, limit: int | None) -> list[Path]:
    files = sorted(f for f in d.iterdir() if f.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"})
    return files[:limit] if limit else files


def cost_report(readers: dict, files: list[Path], show: int = 20) -> dict[str, dict]:
    for r in readers.values():  # load the models outside the timings
        r.read(Image.new("RGB", (64, 64)), force=True)
    res: dict[str, list] = {k: [] for k in readers}
    cpu: dict[str, list] = {k: [] for k in readers}
    for f in files:
        img = Image.open(f).convert("RGB")
        for name, r in readers.items():
            t0, c0 = time.perf_counter(), time.process_time()
            out = r.read(img)
            cpu[name].append((time.process_time() - c0) * 1000.0)
            res[name].append((f.name, out, (time.perf_counter() - t0) * 1000.0))
    summary = {}
    print(f"\n== no-text photos: read() cost (n={len(files)}, single-threaded, interleaved) ==")
    for name, rows in res.items():
        ms = [m for _, _, m in rows]
        n = len(rows)
        stages = {}
        for _, out, _ in rows:
            st = getattr(out, "stage", "") or ("recognise" if out.ran_full else "gate")
            stages[st] = stages.get(st, 0) + 1
        rec = sum(o.ran_full for _, o, _ in rows) / n
        withtext = sum(bool(o.text) for _, o, _ in rows) / n
        summary[name] = {
            "recognise": rec,
            "mean_ms": statistics.mean(ms),
            "median_ms": statistics.median(ms),
            "cpu_mean_ms": statistics.mean(cpu[name]),
        }
        print(
            f"{name:9s} recognition ran {rec:.2f} | text found {withtext:.2f} | stopped: "
            + " ".join(f"{k}={v / n:.2f}" for k, v in sorted(stages.items()))
            + f" | CPU ms mean {statistics.mean(cpu[name]):.1f} | wall ms mean {statistics.mean(ms):.1f} median {statistics.median(ms):.1f}"
            f" p90 {sorted(ms)[int(0.9 * (n - 1))]:.1f} | gate ms median "
            f"{statistics.median(o.gate_ms for _, o, _ in rows):.1f}"
        )
    for name, rows in res.items():
        hits = [(fn, o) for fn, o, _ in rows if o.ran_full]
        for fn, o in hits[:show]:
            print(
                f"    [{name}] {fn}: gate={o.gate_score:.2f} det_side={getattr(o, 'det_side', '-')} "
                f"text={o.text[:70]!r}"
            )
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("photos", type=Path)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--baseline", type=Path, default=None, help="another ocr.py to compare against")
    ap.add_argument("--no-full", action="store_true", help="skip the staged=False configuration")
    args = ap.parse_args()
    from snapscribe.safety.ocr import TextReader

    readers = {"staged": TextReader(threads=1)}
    if not args.no_full:
        readers["full"] = TextReader(threads=1, staged=False)
    if args.baseline:
        readers["baseline"] = load_reader_class(args.baseline)(threads=1)
    cost_report(readers, photo_files(args.photos, args.limit))


if __name__ == "__main__":
    main()

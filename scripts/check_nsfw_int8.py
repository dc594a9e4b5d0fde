#!/usr/bin/env python3
"""int8 vs fp32 open_nsfw: score drift, likelihoods and gate decisions, and the stage's speed.

    PYTHONPATH=src python scripts/check_nsfw_int8.py devset/nsfw_benign.json:devset/cache-nsfw \\
        devset/cache devset/cache-extra [--int8 MODEL] [--json out.json] [--bench 12 --rounds 10]

Each argument is MANIFEST:CACHE_DIR (as written for scripts/fetch_devset.py) or an image folder.
Every image goes through intake + normalize as in the pipeline; both models score the same input,
and each score goes through the real gate (``NSFWGate.decide``: the categories, the second opinion
with the detector + skin reading where the score calls for it, the decision) under the default
policy of ``safety/moderation.py``.

``--bench N`` times the NSFW stage (preprocess + model) on N images per model, one thread, the
two models taking turns image by image for ``--rounds`` rounds so that load from other processes
hits both alike; it prints the medians (the stage, and the model call alone) and their ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from snapscribe.config import Settings
from snapscribe.errors import SnapscribeError
from snapscribe.intake import decode
from snapscribe.normalize import ModelInputs, prepare
from snapscribe.pipeline import build_detector
from snapscribe.safety.nsfw import INT8_MODEL, NSFWScorer, preprocess
from snapscribe.safety.nsfw_gate import NSFWGate

IMAGE_EXT = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff", ".pcx", ".ppm", ".pgm", ".tga"}


def image_paths(spec: str) -> tuple[str, list[Path]]:
    """MANIFEST:CACHE_DIR (the manifest's files, in its order) or a folder (sorted)."""
    manifest, sep, cache = spec.partition(":")
    if sep:
        entries = json.loads(Path(manifest).read_text())["images"]
        paths = [Path(cache) / e["file"] for e in entries]
        missing = [p for p in paths if not p.is_file()]
        for p in missing:
            print(f"missing {p} (run scripts/fetch_devset.py --labels {manifest})", file=sys.stderr)
        return Path(manifest).name, [p for p in paths if p.is_file()]
    folder = Path(spec)
    return folder.name if folder.name != "cache" else str(folder), sorted(
        p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXT
    )


def load(path: Path, settings: Settings) -> ModelInputs:
    decoded = decode(path.read_bytes(), settings.intake, draft_side=max(settings.models.low_res_side, 1024))
    return prepare(decoded, settings.models)


def bench(scorers: dict[str, NSFWScorer], images: list[ModelInputs], rounds: int) -> dict[str, dict[str, float]]:
    """Median ms per image of the stage (preprocess + model) and of the model call alone."""
    stage: dict[str, list[float]] = {k: [] for k in scorers}
    model: dict[str, list[float]] = {k: [] for k in scorers}
    xs = [preprocess(i.work)[None] for i in images]
    for s in scorers.values():
        s.score(images[0].work)
    for _ in range(rounds):
        for inputs, x in zip(images, xs, strict=True):
            for name, s in scorers.items():
                t0 = time.perf_counter()
                s.score(inputs.work)
                t1 = time.perf_counter()
                s._run(x)
                t2 = time.perf_counter()
                stage[name].append((t1 - t0) * 1e3)
                model[name].append((t2 - t1) * 1e3)
    return {k: {"stage": statistics.median(stage[k]), "model": statistics.median(model[k])} for k in scorers}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sets", nargs="+", help="MANIFEST:CACHE_DIR or an image folder")
    ap.add_argument("--int8", type=Path, default=INT8_MODEL, help="the int8 model (default: the shipped one)")
    ap.add_argument("--json", help="write per-image results here")
    ap.add_argument("--bench", type=int, default=0, help="time the stage on this many images per set")
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args(argv)

    settings = Settings()
    cfg = settings.nsfw
    scorers = {"fp32": NSFWScorer(), "int8": NSFWScorer(str(args.int8))}
    detector = build_detector(settings.detector)  # only runs for a second opinion
    gates = {k: NSFWGate(s, detector, cfg) for k, s in scorers.items()}
    rows: list[dict] = []
    bench_inputs: list[ModelInputs] = []
    for spec in args.sets:
        set_name, paths = image_paths(spec)
        sub = []
        for path in paths:
            try:
                inputs = load(path, settings)
            except (SnapscribeError, OSError) as exc:
                print(f"skipped {path}: {exc}", file=sys.stderr)
                continue
            x = preprocess(inputs.work)[None]
            row: dict = {"set": set_name, "file": path.name}
            for name, s in scorers.items():
                score = float(s._run(x)[0])
                j = gates[name].decide(score, inputs).judgement
                row[name] = {
                    "score": score,
                    "decision": j.decision,
                    "reasons": list(j.reasons),
                    "likelihoods": {c.name: c.likelihood.name for c in j.categories},
                }
            row["drift"] = abs(row["int8"]["score"] - row["fp32"]["score"])
            sub.append(row)
            if len(bench_inputs) < args.bench * len(args.sets) and len(sub) <= args.bench:
                bench_inputs.append(inputs)
        rows += sub
        if not sub:
            continue
        drift = np.array([r["drift"] for r in sub])
        same_dec = sum(r["fp32"]["decision"] == r["int8"]["decision"] for r in sub)
        same_lik = sum(r["fp32"]["likelihoods"] == r["int8"]["likelihoods"] for r in sub)
        decisions = {d: sum(r["fp32"]["decision"] == d for r in sub) for d in ("allow", "review", "block")}
        print(f"\n{set_name}: {len(sub)} images; fp32 decisions {decisions}")
        print(
            f"  |score drift| mean {drift.mean():.4f}  median {np.median(drift):.4f}  max {drift.max():.4f}"
            f"  (fp32 scores {min(r['fp32']['score'] for r in sub):.3f}..{max(r['fp32']['score'] for r in sub):.3f})"
        )
        print(f"  same decision {same_dec}/{len(sub)}   same likelihoods (explicit, suggestive) {same_lik}/{len(sub)}")
        for r in sorted(sub, key=lambda r: -r["drift"])[:3]:
            print(f"    largest drift {r['file']:40s} fp32 {r['fp32']['score']:.4f} int8 {r['int8']['score']:.4f}")
        for r in sub:
            if r["fp32"]["decision"] != r["int8"]["decision"] or r["fp32"]["likelihoods"] != r["int8"]["likelihoods"]:
                print(f"    DIFFERS {r['file']}: fp32 {r['fp32']} int8 {r['int8']}")
    if rows:
        drift = np.array([r["drift"] for r in rows])
        same = sum(r["fp32"]["decision"] == r["int8"]["decision"] for r in rows)
        print(
            f"\nall: {len(rows)} images  |score drift| mean {drift.mean():.4f} max {drift.max():.4f}  "
            f"same decision {same}/{len(rows)}"
        )
    if args.bench and bench_inputs:
        for s in scorers.values():
            assert s._session.get_session_options().intra_op_num_threads == 1
        med = bench(scorers, bench_inputs, args.rounds)
        print(f"\nms/image, one thread, median over {len(bench_inputs)} images x {args.rounds} rounds, interleaved:")
        for part in ("stage", "model"):
            what = "NSFW stage (preprocess + model)" if part == "stage" else "model call alone"
            print(
                f"  {what:32s} "
                + "  ".join(f"{k} {v[part]:.1f}" for k, v in med.items())
                + f"  ratio fp32/int8 {med['fp32'][part] / med['int8'][part]:.2f}"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

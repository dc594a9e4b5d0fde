#!/usr/bin/env python3
"""NSFW gate on labelled benign sets: blocked / review rates per policy, and its cost.

    PYTHONPATH=src python scripts/eval_nsfw.py devset/nsfw_benign.json:devset/cache-nsfw \\
        devset/labels.json:devset/cache [--json out.json]

Each argument is MANIFEST:CACHE_DIR (manifests as written for scripts/fetch_devset.py).
Every image goes through intake + normalize, then the real gate (open_nsfw, and the
detector + skin reading when the score calls for a second opinion). Policies compared:

* ``one score (before)``: the gate as it was, open_nsfw alone: review >= 0.6, block >= 0.85;
* ``default``: the categories and the two-signal table of ``safety/moderation.py``;
* ``default + suggestive review LIKELY``: what reviewing racy images as well would cost.

Cost: ms/image of the NSFW stage, open_nsfw alone (the stage before) vs the whole gate
(score + second opinion where needed), single thread, after a warm-up, median of 3 runs.
Per set it prints the rates per policy, then blocked/review counts per labelled category.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from snapscribe.config import NSFWConfig, Settings
from snapscribe.intake import decode
from snapscribe.normalize import prepare
from snapscribe.pipeline import build_detector
from snapscribe.safety.moderation import judge
from snapscribe.safety.nsfw import NSFWScorer, model_path
from snapscribe.safety.nsfw_gate import NSFWGate
from snapscribe.safety.skin import read_skin


def _before(score: float) -> str:
    return "block" if score >= 0.85 else "review" if score >= 0.6 else "allow"


def _by_category(rows: list[dict]) -> None:
    """Blocked/review counts per labelled category; column [N] is the N-th policy above."""
    policies = list(rows[0]["decisions"])
    cats = sorted({r["category"] or "?" for r in rows}, key=lambda c: (-sum(r["category"] == c for r in rows), c))
    header = "".join(f"{'[' + str(i) + ']':>9s}" for i in range(1, len(policies) + 1))
    print(f"  by category, blocked/review:  {header}")
    for cat in cats:
        sub = [r for r in rows if (r["category"] or "?") == cat]
        cells = ""
        for pol in policies:
            blocked = sum(r["decisions"][pol] == "block" for r in sub)
            review = sum(r["decisions"][pol] == "review" for r in sub)
            cells += f"{str(blocked) + '/' + str(review):>9s}"
        print(f"    {cat:14s} {len(sub):4d} images  {cells}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sets", nargs="+", help="MANIFEST:CACHE_DIR")
    ap.add_argument("--json", help="write per-image results here")
    ap.add_argument("--repeat", type=int, default=3, help="timing runs per image (median)")
    args = ap.parse_args(argv)

    settings = Settings()
    detector = build_detector(settings.detector)
    cfg = settings.nsfw
    scorer = NSFWScorer(model_path(cfg.model))  # as the pipeline loads it
    scorer.warmup()
    gate = NSFWGate(scorer, detector, cfg)
    policies: dict[str, NSFWConfig] = {
        "default": cfg,
        "default + suggestive review LIKELY": cfg.model_copy(
            update={"suggestive": cfg.suggestive.model_copy(update={"review_at": "LIKELY"})}
        ),
    }
    rows = []
    for spec in args.sets:
        manifest, _, cache = spec.partition(":")
        entries = json.loads(Path(manifest).read_text())["images"]
        for e in entries:
            path = Path(cache) / e["file"]
            if not path.is_file():
                print(f"missing {path} (run scripts/fetch_devset.py --labels {manifest})", file=sys.stderr)
                continue
            decoded = decode(path.read_bytes(), settings.intake, draft_side=max(settings.models.low_res_side, 1024))
            inputs = prepare(decoded, settings.models)
            model_ms, gate_ms = [], []
            for _ in range(max(1, args.repeat)):
                t0 = time.perf_counter()
                score = scorer.score(inputs.work)
                t1 = time.perf_counter()
                outcome = gate.decide(score, inputs)
                t2 = time.perf_counter()
                model_ms.append((t1 - t0) * 1e3)
                gate_ms.append((t2 - t0) * 1e3)
            skin = outcome.skin or read_skin(inputs.work, tuple(detector.detect(inputs)))
            decisions = {"one score (before)": _before(score)}
            decisions.update({name: judge(score, skin, pol).decision for name, pol in policies.items()})
            rows.append(
                {
                    "set": Path(manifest).name,
                    "file": e["file"],
                    "category": e.get("category"),
                    "score": round(score, 4),
                    "body_skin": round(skin.body_skin, 3),
                    "bare_body": round(skin.bare_body, 3),
                    "banded": skin.banded,
                    "persons": skin.persons,
                    "child_sized": skin.child_sized,
                    "second_opinion": outcome.skin is not None,
                    "model_ms": statistics.median(model_ms),
                    "gate_ms": statistics.median(gate_ms),
                    "decisions": decisions,
                    "reasons": list(outcome.judgement.reasons),
                    "categories": {c.name: c.likelihood.name for c in outcome.judgement.categories},
                }
            )

    for set_name in dict.fromkeys(r["set"] for r in rows):
        sub = [r for r in rows if r["set"] == set_name]
        print(f"\n{set_name}: {len(sub)} images")
        print(f"  {'policy':38s} {'blocked':>12s} {'review':>12s}")
        for i, pol in enumerate(sub[0]["decisions"], 1):
            b = sum(r["decisions"][pol] == "block" for r in sub)
            v = sum(r["decisions"][pol] == "review" for r in sub)
            print(f"  [{i}] {pol:34s} {b:4d} ({b / len(sub):5.1%}) {v:4d} ({v / len(sub):5.1%})")
        _by_category(sub)
        for r in sub:
            if any(d != "allow" for d in r["decisions"].values()):
                print(
                    f"    {r['file']:44s} score {r['score']:.3f} skin {r['body_skin']:.2f} "
                    f"bare {r['bare_body']:.2f} persons {r['persons']} banded {r['banded']} "
                    f"{r['decisions']} {r['reasons']}"
                )
        model = statistics.mean(r["model_ms"] for r in sub)
        full = statistics.mean(r["gate_ms"] for r in sub)
        n2 = sum(r["second_opinion"] for r in sub)
        print(
            f"  NSFW stage ms/image (mean of per-image medians): open_nsfw alone {model:.1f}, "
            f"gate {full:.1f} ({full / model - 1:+.1%}); second opinion on {n2}/{len(sub)}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

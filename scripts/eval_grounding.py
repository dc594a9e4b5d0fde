#!/usr/bin/env python3
"""Measure the grounding guard on the labelled check set: real photos x candidate captions.

Each pair has a faithful caption and one with an invented object or person. The guard
should flag (``supported: false``) at least 80% of the invented ones and at most 20% of
the faithful ones. Images come from the dev set (``devset/cache``, fetched by
``scripts/fetch_devset.py``) and nine images of Meta ThreatExchange's PDQ test data (BSD),
committed in ``tests/data/pdq`` (or the folder ``--pdq`` names).

    python scripts/eval_grounding.py [tests/data/grounding_checkset.json ...] [--pdq DIR] [--show]
        [--keep-plausible]   # the VLM's policy: unsupported-but-plausible details are kept
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

DEFAULT_SETS = [
    ROOT / "tests" / "data" / name
    for name in ("grounding_checkset.json", "grounding_checkset_b.json", "grounding_samples.json")
]


def resolve(image: str, devset: Path, pdq: Path) -> Path:
    """``devset:NAME``, ``pdq:PATH`` or ``samples:NAME`` -> a file."""
    kind, _, rel = image.partition(":")
    return {"devset": devset, "pdq": pdq, "samples": ROOT / "samples"}[kind] / rel


def evaluate(sets: list[Path], devset: Path, pdq: Path, show: bool = False, keep_plausible: bool = False) -> dict:
    from snapscribe.config import Settings
    from snapscribe.pipeline import build_pipeline

    pipeline = build_pipeline(Settings(), None)
    understood: dict[Path, object] = {}
    rows = []
    missing = set()
    for path in sets:
        for pair in json.loads(path.read_text())["pairs"]:
            img = resolve(pair["image"], devset, pdq)
            if not img.exists():
                missing.add(str(img))
                continue
            if img not in understood:
                understood[img] = pipeline.understand(img.read_bytes())
            u = understood[img]
            for kind in ("faithful", "invented"):
                result = pipeline.guard.check(pair[kind], u.evidence, u.tags, keep_plausible=keep_plausible)
                flagged = not result.grounding.supported
                rows.append(
                    {
                        "set": path.name,
                        "image": pair["image"],
                        "kind": kind,
                        "caption": pair[kind],
                        "flagged": flagged,
                        "action": result.grounding.action,
                        "guarded": result.caption,
                        "reasons": result.grounding.reasons,
                    }
                )
                wrong = flagged if kind == "faithful" else not flagged
                if show and wrong:
                    print(
                        f"MISS {kind:8} {pair['image']}: {pair[kind]!r} -> {result.caption!r} "
                        f"{result.grounding.reasons}",
                        file=sys.stderr,
                    )
    report = {"missing_images": sorted(missing)}
    for name in ["all"] + [p.name for p in sets]:
        sel = [r for r in rows if name == "all" or r["set"] == name]
        faithful = [r for r in sel if r["kind"] == "faithful"]
        invented = [r for r in sel if r["kind"] == "invented"]
        report[name] = {
            "pairs": len(faithful),
            "invented_flagged": round(sum(r["flagged"] for r in invented) / max(1, len(invented)), 3),
            "faithful_flagged": round(sum(r["flagged"] for r in faithful) / max(1, len(faithful)), 3),
        }
    report["rows"] = rows
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sets", nargs="*", type=Path, default=DEFAULT_SETS)
    ap.add_argument("--devset", type=Path, default=ROOT / "devset" / "cache")
    ap.add_argument("--pdq", type=Path, default=ROOT / "tests" / "data" / "pdq", help="the pdq: images (PDQ test data)")
    ap.add_argument("--show", action="store_true", help="print every miss on stderr")
    ap.add_argument("--json", action="store_true", help="print the full report with every row")
    ap.add_argument(
        "--keep-plausible",
        action="store_true",
        help="keep unsupported-but-plausible details (grounding.plausible_from, the VLM's policy)",
    )
    args = ap.parse_args()
    report = evaluate(args.sets, args.devset, args.pdq, args.show, args.keep_plausible)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        for key, value in report.items():
            if key not in ("rows",):
                print(f"{key}: {value}")
    ok = report["all"]["invented_flagged"] >= 0.8 and report["all"]["faithful_flagged"] <= 0.2
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

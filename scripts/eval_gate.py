"""The relevance gate on the dev sets: what share of uploads it would send to the VLM, by kind.

    PYTHONPATH=src python scripts/eval_gate.py [DIR ...] [--budget 0.5] [--json]

Each image is understood once (the models run, no caption), then classified
(:func:`snapscribe.relevance.classify`) and decided by a :class:`GatePolicy` with the
configured kinds and budget, in file order (the budget is a running share).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIRS = [ROOT / "devset" / "cache", ROOT / "devset" / "cache-kinds"]
EXTS = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}


def main() -> int:
    from snapscribe.config import Settings
    from snapscribe.pipeline import build_pipeline
    from snapscribe.relevance import GatePolicy, classify

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="*", type=Path, default=DEFAULT_DIRS)
    ap.add_argument("--budget", type=float, default=None, help="default: engines.gate_budget")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    settings = Settings()
    budget = settings.engines.gate_budget if args.budget is None else args.budget
    pipeline = build_pipeline(settings, None)
    report: dict = {"budget": budget, "kinds_order": settings.engines.gate_kinds, "sets": {}}
    for folder in args.dirs:
        files = sorted(p for p in folder.glob("*") if p.suffix.lower() in EXTS)  # not the resized copies below
        policy = GatePolicy(settings.engines.gate_kinds, budget)
        kinds: Counter = Counter()
        passed = 0
        for f in files:
            u = pipeline.understand(f.read_bytes())
            if u.evidence is None:
                kinds["blocked"] += 1
                continue
            kinds[classify(u.evidence, settings.engines.gate_kinds)[0] or "none"] += 1
            passed += policy.decide(u.evidence).worth_captioning
        n = len(files)
        eligible = n - kinds["none"] - kinds["blocked"]
        report["sets"][folder.name] = {
            "images": n,
            "kinds": dict(kinds),
            "eligible_share": round(eligible / max(1, n), 3),
            "gate_pass_rate": round(passed / max(1, n), 3),
        }
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        for name, r in report["sets"].items():
            print(
                f"{name}: {r['images']} images, eligible {r['eligible_share']:.0%} (no budget), "
                f"passed {r['gate_pass_rate']:.0%} with budget {budget:.0%}; kinds {r['kinds']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

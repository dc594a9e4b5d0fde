#!/usr/bin/env python3
"""Caption quality on the train and validation splits (by source package), per kind and family.

Two sources of captions:

* ``--jsonl FILE``: records of the real CLI (``snapscribe caption DIR --format jsonl``);
* ``--features FILE`` (default var/sight/features.jsonl): captions recomputed from cached
  model features by the current fusion and composer code, with no model run (seconds).

Scoring is scripts/eval_devset.py's (subject named; a caption naming an absent object).

    python scripts/eval_split.py [--features var/sight/features.jsonl | --jsonl results.jsonl] [--show validation]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_devset import load_jsonl, match_records, score_image
from sight_data import (
    DEFAULT_FEATURES,
    DEVSET,
    caption_of,
    load_items,
    load_labels,
    load_split,
)


def rates(rows: list) -> dict:
    n = len(rows)
    hits = sum(r.subject_hit for r in rows)
    hall = sum(bool(r.hallucinated) for r in rows)
    return {
        "images": n,
        "subject_hits": hits,
        "subject_rate": round(hits / n, 4) if n else None,
        "absent": hall,
        "absent_rate": round(hall / n, 4) if n else None,
    }


def summarise(scored: list[tuple[dict, str, object]]) -> dict:
    """scored: (label, split, ImageResult) -> figures per split, and per kind and family within it;
    "dev" is the original 100-image dev set (devset/labels.json, all of it in train)."""
    dev = {i["file"] for i in load_labels([DEVSET / "labels.json"])}
    out: dict = {}
    for split in ("train", "validation", "all", "dev"):
        rows = [
            (lab, r) for lab, s, r in scored if split == "all" or s == split or (split == "dev" and lab["file"] in dev)
        ]
        block = rates([r for _, r in rows])
        for key in ("kind", "family"):
            groups = defaultdict(list)
            for lab, r in rows:
                groups[lab.get(key) or lab.get("kind", "?")].append(r)
            block[f"by_{key}"] = {k: rates(v) for k, v in sorted(groups.items())}
        out[split] = block
    return out


def _pct(x) -> str:
    return "  n/a" if x is None else f"{100 * x:5.1f}%"


def print_summary(summary: dict, out=sys.stdout) -> None:
    d = summary["dev"]
    print(
        f"dev set    subject named {_pct(d['subject_rate'])} ({d['subject_hits']}/{d['images']})  "
        f"absent named {_pct(d['absent_rate'])} ({d['absent']}/{d['images']})   (devset/labels.json, tuned on)",
        file=out,
    )
    for split in ("train", "validation"):
        s = summary[split]
        print(
            f"{split:10} subject named {_pct(s['subject_rate'])} ({s['subject_hits']}/{s['images']})  "
            f"absent named {_pct(s['absent_rate'])} ({s['absent']}/{s['images']})",
            file=out,
        )
        for key in ("by_kind", "by_family"):
            for k, v in s[key].items():
                print(
                    f"    {key[3:]:6} {k:14} subject {_pct(v['subject_rate'])} ({v['subject_hits']}/{v['images']})"
                    f"  absent {_pct(v['absent_rate'])} ({v['absent']})",
                    file=out,
                )


def score_features(path: Path, guard: bool = True) -> list[tuple[dict, str, object]]:
    from snapscribe.grounding import GroundingGuard

    g = GroundingGuard() if guard else None
    out = []
    for item in load_items(path):
        rec = {"source": item.file, "caption": caption_of(item, g), "status": "captioned"}
        out.append((item.label, item.split, score_image(item.label, rec)))
    return out


def score_jsonl(path: Path) -> list[tuple[dict, str, object]]:
    labels = load_labels()
    split = load_split()
    matches, _, _ = match_records(load_jsonl(path), labels)
    return [
        (lab, split.get(str(lab.get("origin", {}).get("package")), "train"), score_image(lab, matches[lab["file"]]))
        for lab in labels
        if lab["file"] in matches
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jsonl", type=Path, help="records from the real CLI")
    ap.add_argument("--features", type=Path, default=DEFAULT_FEATURES, help="cached features (no model run)")
    ap.add_argument("--show", choices=["train", "validation", "all"], help="list each image of this split")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    scored = score_jsonl(args.jsonl) if args.jsonl else score_features(args.features)
    summary = summarise(scored)
    if args.show:
        for lab, split, r in scored:
            if args.show in (split, "all"):
                absent = " ABSENT:" + ",".join(r.hallucinated) if r.hallucinated else ""
                mark = ("yes" if r.subject_hit else "NO ") + absent
                print(f"{split[:5]} {lab.get('kind', '?'):12} {r.file[:40]:40} {mark:22} {r.caption}")
    if args.json:
        json.dump(summary, sys.stdout, indent=1)
        print()
    else:
        print_summary(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Hashtag quality over a JSONL of results: how many per image, and the share that are colour
or filler words (#beige, #colorful, #photography) — the words nobody searches. What counts as
filler is ``snapscribe.hashtags.is_filler``.

    snapscribe caption DIR --format jsonl --out results.jsonl
    .venv/bin/python scripts/eval_hashtags.py results.jsonl [--json]
    .venv/bin/python scripts/eval_hashtags.py extra.jsonl --split validation   # one split of the
        # labelled sets (devset/split.json, by source package), records matched by file name
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from snapscribe.hashtags import is_filler
from snapscribe.taxonomy import load_vocabulary

ROOT = Path(__file__).resolve().parent.parent


def summarise(records: list[dict]) -> dict:
    vocabulary = load_vocabulary(())
    captioned = [r for r in records if r.get("status") in ("captioned", "review")]
    tags = [h for r in captioned for h in r.get("hashtags", [])]
    filler = [h for h in tags if is_filler(h, vocabulary)]
    counts = Counter(len(r.get("hashtags", [])) for r in captioned)
    return {
        "images": len(captioned),
        "hashtags": len(tags),
        "per_image": round(len(tags) / max(len(captioned), 1), 2),
        "filler_share": round(len(filler) / max(len(tags), 1), 4),
        "fewer_than_3": sum(n for k, n in counts.items() if k < 3),
        "most_common": Counter(tags).most_common(15),
        "filler_seen": Counter(filler).most_common(10),
    }


def in_split(records: list[dict], split: str) -> list[dict]:
    """The records whose file is a labelled image of ``split`` (by its source package)."""
    packages = json.loads((ROOT / "devset" / "split.json").read_text())["packages"]
    files = {
        img["file"]
        for name in ("labels.json", "labels-extra.json")
        for img in json.loads((ROOT / "devset" / name).read_text())["images"]
        if packages.get(img["origin"]["package"], "train") == split
    }
    return [r for r in records if Path(r.get("source", "")).name in files]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("jsonl", type=Path)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--split", choices=("train", "validation"), help="only the labelled images of this split")
    args = ap.parse_args()
    records = [json.loads(line) for line in args.jsonl.read_text().splitlines() if line.strip()]
    if args.split:
        records = in_split(records, args.split)
    out = summarise(records)
    if args.json:
        print(json.dumps(out, indent=1))
        return
    print(
        f"{out['images']} images, {out['hashtags']} hashtags ({out['per_image']}/image), "
        f"colour/filler {out['filler_share']:.1%}, {out['fewer_than_3']} images with fewer than 3"
    )
    print("most common:", " ".join(f"#{h}:{n}" for h, n in out["most_common"]))
    if out["filler_seen"]:
        print("filler:", " ".join(f"#{h}:{n}" for h, n in out["filler_seen"]))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Split the labelled images into train and validation by SOURCE PACKAGE, deterministically.

Images from one package (one wallpaper set, one library's sample images) look alike, so a
split by image would leak; a split by package measures what carries over to unseen sources.

* The original 100-image dev set (devset/labels.json) is always train: its rules were tuned
  on it, so it cannot validate anything.
* A package of the other manifests (devset/labels-extra.json) goes to validation when the
  SHA-1 of its name, read as a number in [0, 1), is below ``--share``; otherwise to train.
  Same package, same side, whatever else is added later.

Writes devset/split.json: {"packages": {package: "train" | "validation"}, ...}.

    python scripts/make_split.py [--share 0.4]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "devset"


def images(path: Path) -> list[dict]:
    if not path.exists():
        return []
    raw = json.loads(path.read_text(encoding="utf-8"))
    return raw["images"] if isinstance(raw, dict) else raw


def package_of(image: dict) -> str:
    return str(image.get("origin", {}).get("package") or "?")


def make_split(tuned: list[dict], fresh: list[dict], share: float) -> dict[str, str]:
    """Each new package goes to validation when its name hashes below ``share``: adding packages later
    never moves an existing one between train and validation."""
    split = {package_of(i): "train" for i in tuned}
    for pkg in sorted({package_of(i) for i in fresh} - set(split)):
        position = int(hashlib.sha1(pkg.encode()).hexdigest()[:8], 16) / 0x100000000
        split[pkg] = "validation" if position < share else "train"
    return dict(sorted(split.items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--share", type=float, default=0.4, help="share of the new packages that goes to validation")
    ap.add_argument("--out", type=Path, default=DEVSET / "split.json")
    args = ap.parse_args(argv)
    tuned = images(DEVSET / "labels.json")
    fresh = images(DEVSET / "labels-extra.json")
    split = make_split(tuned, fresh, args.share)
    per = Counter(split[package_of(i)] for i in tuned + fresh)
    out = {
        "about": "Train/validation split by source package; written by scripts/make_split.py. "
        "Tune on train only; report validation.",
        "share": args.share,
        "images": dict(per),
        "packages": split,
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"{args.out}: {dict(per)} images; {Counter(split.values())} packages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

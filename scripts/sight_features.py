#!/usr/bin/env python3
"""Run the real pipeline once over labelled images and cache their model features.

For every image of the manifests (devset/labels.json, devset/labels-extra.json) found in
the image folders, it stores one JSON line: file, sha256, the pipeline's cached features
(detector boxes, all 1000 classifier probabilities, pixel statistics, scene cues, rendered
features) WITH the zoom pass's crop probabilities (computed for every image, so fusion
changes can decide freely when to zoom), and the OCR text when it is clean. Images already
in the output are skipped, so it can be re-run as labels arrive.

    SNAPSCRIBE_HOME=var/sight/home python scripts/sight_features.py --images devset/cache [--images DIR ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sight_data import DEFAULT_FEATURES, KIND_MANIFESTS, load_labels

from snapscribe.config import load_settings
from snapscribe.pipeline import Timings, build_pipeline
from snapscribe.store import Database, ResultStore


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=Path, action="append", required=True, help="folder holding labelled images")
    ap.add_argument("--labels", type=Path, action="append", help="manifests (default: labels, labels-extra, kinds)")
    ap.add_argument("--out", type=Path, default=DEFAULT_FEATURES)
    args = ap.parse_args(argv)
    labels = load_labels(args.labels or KIND_MANIFESTS)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    done: set[str] = set()
    if args.out.exists():
        done = {json.loads(line)["file"] for line in args.out.read_text().splitlines() if line.strip()}
    settings = load_settings(None)
    store = ResultStore(Database(settings.db_url()))
    pipeline = build_pipeline(settings, store)
    todo = []
    for lab in labels:
        if lab["file"] in done:
            continue
        path = next((d / lab["file"] for d in args.images if (d / lab["file"]).exists()), None)
        if path is not None:
            todo.append((lab["file"], path))
    print(f"{len(todo)} images to read ({len(done)} cached)", file=sys.stderr)
    start = time.perf_counter()
    with open(args.out, "a", encoding="utf-8") as out:
        for n, (name, path) in enumerate(todo, 1):
            data = path.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            try:
                u = pipeline.understand(data, sha=sha)
            except Exception as exc:
                print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            if u.features is None:
                print(f"{name}: blocked ({u.safety.reasons})", file=sys.stderr)
                continue
            features = pipeline._zoomed(sha, u.inputs, u.features, Timings())
            injected = bool(u.safety.injection and u.safety.injection.detected)
            row = {
                "file": name,
                "sha256": sha,
                "features": features.to_bytes().decode(),
                "ocr_text": None if injected else u.safety.ocr_text,
                "injection": injected,
                "status": u.status.value,
            }
            out.write(json.dumps(row) + "\n")
            out.flush()
            if n % 20 == 0:
                print(f"{n}/{len(todo)} {time.perf_counter() - start:.0f}s", file=sys.stderr)
    pipeline.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

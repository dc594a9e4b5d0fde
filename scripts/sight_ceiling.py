#!/usr/bin/env python3
"""How often could *any* choice among the packaged models' own readings name the subject?

For every labelled image with cached features (``scripts/sight_features.py``) this lists what the
installed models can say at all: every WordNet node of the hedging hierarchy with some classifier
mass (first pass and zoom pass), every detector box, every scene concept of the probe, and the
image kind. An image counts for a source when one of that source's candidates names a subject
term of its label (``eval_devset.names_subject``). The share over a split is a ceiling: no fusion,
calibration or composer rule over these readings can name more subjects, whatever it selects.

    python scripts/sight_ceiling.py [--features var/sight/features.jsonl] [--floor 0.05] [--top 5]

``--floor`` is the least raw mass (or probability, or box score) a candidate needs; ``--top`` keeps
only each source's k most confident candidates (the "top-k" ceiling), 0 for all of them; WordNet
hypernyms are a diagnostic and always all listed. Training figures read the shipped probe and kind
model, which were fitted on most training images: only validation figures bound unseen images.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_devset import names_subject
from sight_data import DEFAULT_FEATURES, evidence_of, load_items

from snapscribe import hedging
from snapscribe.concepts import BY_NAME, concept_probabilities, pixel_cues, probe
from snapscribe.taxonomy import imagenet_classes
from snapscribe.zoom import agreed

SOURCES = ("classifier", "zoom", "detector", "concept", "kind", "wordnet")
OBJECTS = "objects (classifier, zoom, detector)"
ANY_WORDNET = "any, or a WordNet hypernym"


@lru_cache(maxsize=1)
def wordnet_matrix() -> tuple[list[int], np.ndarray]:
    """Every WordNet synset above an ImageNet leaf, and its leaf-membership matrix."""
    lex = hedging.hierarchy().lexicon
    classes = imagenet_classes()
    members: dict[int, list[int]] = defaultdict(list)
    for c in classes:
        for off in lex.closure(int(c.wnid[1:])):
            members[off].append(c.index)
    offsets = sorted(members)
    m = np.zeros((len(offsets), len(classes)), dtype=np.float32)
    for i, off in enumerate(offsets):
        m[i, members[off]] = 1.0
    return offsets, m


def candidates(item, floor: float, top: int) -> dict[str, list[tuple[str, float]]]:
    """Source -> [(phrase, score)], most confident first."""
    f = item.features
    out: dict[str, list[tuple[str, float]]] = defaultdict(list)
    hierarchy = hedging.hierarchy()
    for source, probs in (("classifier", f.probs), ("zoom", agreed(f.probs, f.views) if f.views is not None else None)):
        if probs is None:
            continue
        masses = hierarchy.masses(probs)
        for i in masses.argsort()[::-1]:
            if masses[i] < floor:
                break
            node = hierarchy.nodes[i]
            out[source].append((f"{node.noun} {node.plural}", float(masses[i])))
    offsets, matrix = wordnet_matrix()
    lex = hierarchy.lexicon
    masses = matrix @ np.asarray(f.probs, dtype=np.float32)
    for i in masses.argsort()[::-1]:
        if masses[i] < floor:
            break
        out["wordnet"].append(
            (" / ".join(w.replace("_", " ") for w in lex.words.get(offsets[i], ())), float(masses[i]))
        )
    for d in sorted(f.detections, key=lambda d: -d.score):
        if d.score >= floor:
            out["detector"].append((d.label, float(d.score)))
    model = probe()
    if model is not None and f.embedding is not None:
        probs = concept_probabilities(f.embedding, model, pixel_cues(f.scene, f.stats))
        for name, p in sorted(probs.items(), key=lambda kv: -kv[1]):
            if p >= floor:
                c = BY_NAME[name]
                out["concept"].append((f"{c.phrase} {c.name}", p))
    reading = evidence_of(item).kind  # cross-fitted for training images where the trainers' files match
    if reading is not None:
        for kind, p in sorted(reading.probs.items(), key=lambda kv: -kv[1]):
            if p >= floor:
                out["kind"].append((kind.replace("_", " "), p))
    return {s: (v[:top] if top and s != "wordnet" else v) for s, v in out.items()}


def hits(item, floor: float, top: int) -> dict[str, bool]:
    """Source -> whether one of its candidates names a subject term of the item's label."""
    subject = item.label.get("subject") or []
    cands = candidates(item, floor, top)
    out = {s: any(names_subject(text, subject) for text, _ in cands.get(s, ())) for s in SOURCES}
    out[OBJECTS] = out["classifier"] or out["zoom"] or out["detector"]
    out["any"] = any(out[s] for s in SOURCES if s != "wordnet")  # what the pipeline's sources can say
    out[ANY_WORDNET] = out["any"] or out["wordnet"]
    return out


def ceiling(items, floor: float = 0.05, top: int = 5) -> dict[str, dict[str, int]]:
    """Split (and "split/family") -> images, and per source (plus objects and any) how many images it
    could name."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for item in items:
        found = hits(item, floor, top)
        for key in (item.split, f"{item.split}/{item.label.get('family') or '?'}"):
            counts[key]["images"] += 1
            for source, hit in found.items():
                counts[key][source] += hit
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=Path, default=DEFAULT_FEATURES)
    ap.add_argument("--floor", type=float, default=0.05)
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    counts = ceiling(load_items(args.features), args.floor, args.top)
    if args.json:
        print(json.dumps(counts, indent=2))
        return 0
    for split in ("train", "validation"):
        c = counts[split]
        n = c["images"] or 1
        print(f"{split} ({c['images']} images; floor {args.floor}, top {args.top or 'all'} per source)")
        for key in (*SOURCES, OBJECTS, "any", ANY_WORDNET):
            print(f"  {key:38s} {100 * c[key] / n:5.1f}%  ({c[key]})")
        families = sorted(k for k in counts if k.startswith(f"{split}/"))
        print(
            "  by family (any): "
            + ", ".join(f"{k.split('/')[1]} {counts[k]['any']}/{counts[k]['images']}" for k in families)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

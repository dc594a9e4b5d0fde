#!/usr/bin/env python3
"""Fit the image-kind model (photo, painting, drawing, screenshot, text graphic, chart, abstract) on the
TRAINING split from cached features; report validation accuracy and leave-one-package-out.

Multinomial logistic regression (numpy, L2, standardised features; class priors kept: balancing
weights made photos come out as paintings on validation).
Training images: the train split of devset/labels.json + devset/labels-extra.json, plus
devset/kinds.json (photo-or-rendered labels only: "abstract"/"illustration"/"photo").

    python scripts/train_kinds.py [--features var/sight/features.jsonl] [--dry-run]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sight_data import DEFAULT_FEATURES, KIND_MANIFESTS, ROOT, load_items, load_labels

from snapscribe.concepts import prepare
from snapscribe.kinds import KINDS, LABEL_KIND, classify_kind, kind_features, kind_fingerprint
from snapscribe.neighbours import Memory, memory

MODEL_PATH = ROOT / "src" / "snapscribe" / "data" / "kind_model.json"
OOF_PATH = ROOT / "var" / "sight" / "kinds_oof.json"
BASIS_PATH = ROOT / "src" / "snapscribe" / "data" / "kind_embedding.npz"
COMPONENT_GRID = (0, 8, 16, 32)  # principal directions of the classifier embedding read beside the pixel features
L2_GRID = (1.0, 10.0, 30.0)
FOLDS = 5


def target(label: dict) -> str | None:
    kind = label.get("kind")
    kind = LABEL_KIND.get(kind, kind)
    return kind if kind in KINDS else None


def rows(items, basis: dict | None = None) -> tuple[list[dict], list[str], list[str]]:
    feats, ys, pkgs = [], [], []
    for it in items:
        y = target(it.label)
        if y is None:
            continue
        f = it.features
        n = sum(1 for d in f.detections if d.score >= 0.5)
        feats.append(kind_features(f.synthetic, f.probs, n, it.ocr_text, f.embedding, basis or {"basis": []}))
        ys.append(y)
        pkgs.append(it.package)
    return feats, ys, pkgs


def fit(
    feats: list[dict], ys: list[str], l2: float = 1.0, iters: int = 2000, lr: float = 0.5, balanced: bool = False
) -> dict:
    names = sorted(feats[0])
    x = np.array([[f[n] for n in names] for f in feats], dtype=np.float64)
    mu, sd = x.mean(0), x.std(0) + 1e-9
    xs = (x - mu) / sd
    kinds = [k for k in KINDS if k in set(ys)]
    y = np.array([kinds.index(v) for v in ys])
    counts = np.bincount(y, minlength=len(kinds))
    sample_w = np.ones(len(y)) if not balanced else (len(y) / (len(kinds) * counts))[y]
    onehot = np.eye(len(kinds))[y]
    w = np.zeros((len(kinds), x.shape[1]))
    b = np.zeros(len(kinds))
    for _ in range(iters):  # full-batch gradient descent on the convex softmax loss
        z = xs @ w.T + b
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        g = (p - onehot) * sample_w[:, None] / len(y)
        w -= lr * (g.T @ xs + l2 * w / len(y))
        b -= lr * g.sum(0)
    return {
        "kinds": kinds,
        "features": names,
        "mean": [round(float(v), 6) for v in mu],
        "std": [round(float(v), 6) for v in sd],
        "weights": [[round(float(v), 5) for v in row] for row in w],
        "bias": [round(float(v), 5) for v in b],
    }


def principal_basis(items, k: int) -> dict:
    """The training embeddings' mean and first k principal directions (of the unit-length centred vectors)."""
    mean = np.mean([it.features.embedding for it in items], axis=0).astype(np.float32)
    x = np.vstack([prepare(it.features.embedding, mean) for it in items])
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    return {"mean": mean, "basis": vt[:k].astype(np.float32)}


def memory_of(feats: list[dict], ys: list[str], kinds: list[str]) -> Memory | None:
    """The neighbour memory of these images: their embedding coordinates and one-hot kinds in ``kinds`` order."""
    if not feats or "emb0" not in feats[0]:
        return None
    d = sum(1 for name in feats[0] if name.startswith("emb"))
    coords = np.array([[f[f"emb{i}"] for i in range(d)] for f in feats])
    return memory(coords, np.array([[float(y == k) for k in kinds] for y in ys]))


def grouped_probabilities(feats, ys, pkgs, l2: float, with_memory: bool) -> list[dict[str, float]]:
    """Out-of-fold kind probabilities (packages dealt round-robin into FOLDS folds, so no package informs
    its own prediction), of the model blended with its neighbour memory as it ships, or of the model alone."""
    order = sorted(set(pkgs))
    fold = {p: i % FOLDS for i, p in enumerate(order)}
    out: list[dict[str, float]] = [{} for _ in ys]
    for f in range(FOLDS):
        tr = [i for i, p in enumerate(pkgs) if fold[p] != f]
        te = [i for i, p in enumerate(pkgs) if fold[p] == f]
        if not te:
            continue
        m = fit([feats[i] for i in tr], [ys[i] for i in tr], l2=l2, iters=600)
        mem = memory_of([feats[i] for i in tr], [ys[i] for i in tr], m["kinds"]) if with_memory else None
        for i in te:
            reading = classify_kind(feats[i], m, mem)
            out[i] = reading.probs if reading else {}
    return out


def top_accuracy(probs: list[dict[str, float]], ys: list[str]) -> float:
    """How often the most probable kind is the labelled one."""
    return sum(bool(p) and max(p, key=lambda k: p[k]) == y for p, y in zip(probs, ys, strict=True)) / len(ys)


def accuracy(model: dict, feats, ys, mem: Memory | None = None) -> tuple[float, Counter]:
    wrong: Counter = Counter()
    right = 0
    for f, y in zip(feats, ys, strict=True):
        got = classify_kind(f, model, mem).kind
        right += got == y
        if got != y:
            wrong[f"{y}->{got}"] += 1
    return (right / len(ys) if ys else float("nan")), wrong


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=Path, default=DEFAULT_FEATURES)
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args(argv)
    items = load_items(args.features, labels=load_labels(KIND_MANIFESTS))
    items = [it for it in items if it.features.embedding is not None]
    train = [it for it in items if it.split == "train"]
    val = [it for it in items if it.split == "validation"]
    full = principal_basis(train, max(COMPONENT_GRID))
    # Components and L2 by grouped cross-validation over training packages (validation never read), of the
    # model with its neighbour memory (over the same components) as it ships.
    scores, grid_oof = {}, {}
    for k in COMPONENT_GRID:
        basis = {"mean": full["mean"], "basis": full["basis"][:k]}
        ft, yt, pt = rows(train, basis)
        for l2 in L2_GRID:
            grid_oof[(k, l2)] = grouped_probabilities(ft, yt, pt, l2, with_memory=True)
            scores[(k, l2)] = top_accuracy(grid_oof[(k, l2)], yt)
    (k, l2), cv = max(scores.items(), key=lambda kv: (kv[1], -kv[0][0], kv[0][1]))
    print("grouped CV accuracy " + ", ".join(f"k={a} l2={b:g}: {v:.3f}" for (a, b), v in scores.items()))
    print(f"chosen: {k} components, l2 {l2:g} (CV {cv:.3f})")
    basis = {"mean": full["mean"], "basis": full["basis"][:k]}
    ft, yt, pt = rows(train, basis)
    fv, yv, _ = rows(val, basis)
    print(f"train {Counter(yt)}\nvalidation {Counter(yv)}")
    oof = grid_oof[(k, l2)]
    alone = top_accuracy(grouped_probabilities(ft, yt, pt, l2, with_memory=False), yt)
    print(f"grouped CV accuracy at this setting, the model alone: {alone:.3f}")
    model = fit(ft, yt, l2=l2)
    mem = memory_of(ft, yt, model["kinds"])
    acc_t, _ = accuracy(model, ft, yt, mem)
    acc_v, wrong_v = accuracy(model, fv, yv, mem)
    print(
        f"train accuracy {acc_t:.3f}; validation accuracy {acc_v:.3f} ({len(yv)} images); "
        f"validation confusions {dict(wrong_v)}"
    )
    photo_v = [(classify_kind(f, model, mem).kind == "photo", y == "photo") for f, y in zip(fv, yv, strict=True)]
    if photo_v:
        agree = sum(a == b for a, b in photo_v) / len(photo_v)
        print(f"validation photo-vs-not accuracy {agree:.3f}")
    lopo_right = lopo_n = 0
    for pkg in sorted(set(pt)):
        keep = [i for i, p in enumerate(pt) if p != pkg]
        if len({yt[i] for i in keep}) < 2:
            continue
        m = fit([ft[i] for i in keep], [yt[i] for i in keep], iters=200)
        m_mem = memory_of([ft[i] for i in keep], [yt[i] for i in keep], m["kinds"])
        held = [i for i, p in enumerate(pt) if p == pkg]
        for i in held:
            lopo_right += classify_kind(ft[i], m, m_mem).kind == yt[i]
            lopo_n += 1
    if lopo_n:
        print(f"leave-one-package-out accuracy over train packages: {lopo_right / lopo_n:.3f} ({lopo_n} images)")
    model.update(
        {
            "about": "Image kind: multinomial logistic regression fitted by scripts/train_kinds.py on the "
            "training split of devset/split.json, blended with the neighbour memory in kind_embedding.npz.",
            "trained_on": len(yt),
            "validation_accuracy": round(acc_v, 4),
        }
    )
    if args.dry_run:
        print(json.dumps(model)[:400])
    else:
        extra = {**mem, "bank": mem["bank"].astype(np.float16), "bank_kinds": np.array(model["kinds"])} if mem else {}
        np.savez_compressed(BASIS_PATH, mean=basis["mean"], basis=basis["basis"].astype(np.float32), **extra)
        MODEL_PATH.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
        # Cross-fitting: train_sight.py reads these out-of-fold kinds for training images, as a new image is read.
        files = [it.file for it in train if target(it.label) is not None]
        OOF_PATH.parent.mkdir(parents=True, exist_ok=True)
        OOF_PATH.write_text(
            json.dumps(
                {
                    "model": kind_fingerprint(model),
                    "images": {f: {k: round(v, 5) for k, v in p.items()} for f, p in zip(files, oof, strict=True)},
                }
            )
        )
        print(f"wrote {MODEL_PATH}, {BASIS_PATH} and {OOF_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

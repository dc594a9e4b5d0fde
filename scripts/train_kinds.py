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
from snapscribe.kinds import KINDS, LABEL_KIND, classify_kind, kind_features

MODEL_PATH = ROOT / "src" / "snapscribe" / "data" / "kind_model.json"
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


def grouped_accuracy(feats, ys, pkgs, l2: float) -> float:
    """Accuracy with packages dealt into folds: no package informs its own prediction."""
    order = sorted(set(pkgs))
    fold = {p: i % FOLDS for i, p in enumerate(order)}
    right = 0
    for f in range(FOLDS):
        tr = [i for i, p in enumerate(pkgs) if fold[p] != f]
        te = [i for i, p in enumerate(pkgs) if fold[p] == f]
        if not te or len({ys[i] for i in tr}) < 2:
            continue
        m = fit([feats[i] for i in tr], [ys[i] for i in tr], l2=l2, iters=600)
        right += sum(classify_kind(feats[i], m).kind == ys[i] for i in te)
    return right / len(ys)


def accuracy(model: dict, feats, ys) -> tuple[float, Counter]:
    wrong: Counter = Counter()
    right = 0
    for f, y in zip(feats, ys, strict=True):
        got = classify_kind(f, model).kind
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
    # Components and L2 by grouped cross-validation over training packages (validation never read).
    scores = {}
    for k in COMPONENT_GRID:
        basis = {"mean": full["mean"], "basis": full["basis"][:k]}
        ft, yt, pt = rows(train, basis)
        for l2 in L2_GRID:
            scores[(k, l2)] = grouped_accuracy(ft, yt, pt, l2)
    (k, l2), cv = max(scores.items(), key=lambda kv: (kv[1], -kv[0][0], kv[0][1]))
    print("grouped CV accuracy " + ", ".join(f"k={a} l2={b:g}: {v:.3f}" for (a, b), v in scores.items()))
    print(f"chosen: {k} components, l2 {l2:g} (CV {cv:.3f})")
    basis = {"mean": full["mean"], "basis": full["basis"][:k]}
    ft, yt, pt = rows(train, basis)
    fv, yv, _ = rows(val, basis)
    print(f"train {Counter(yt)}\nvalidation {Counter(yv)}")
    model = fit(ft, yt, l2=l2)
    acc_t, _ = accuracy(model, ft, yt)
    acc_v, wrong_v = accuracy(model, fv, yv)
    print(
        f"train accuracy {acc_t:.3f}; validation accuracy {acc_v:.3f} ({len(yv)} images); "
        f"validation confusions {dict(wrong_v)}"
    )
    photo_v = [(classify_kind(f, model).kind == "photo", y == "photo") for f, y in zip(fv, yv, strict=True)]
    if photo_v:
        agree = sum(a == b for a, b in photo_v) / len(photo_v)
        print(f"validation photo-vs-not accuracy {agree:.3f}")
    lopo_right = lopo_n = 0
    for pkg in sorted(set(pt)):
        keep = [i for i, p in enumerate(pt) if p != pkg]
        if len({yt[i] for i in keep}) < 2:
            continue
        m = fit([ft[i] for i in keep], [yt[i] for i in keep], iters=200)
        held = [i for i, p in enumerate(pt) if p == pkg]
        for i in held:
            lopo_right += classify_kind(ft[i], m).kind == yt[i]
            lopo_n += 1
    if lopo_n:
        print(f"leave-one-package-out accuracy over train packages: {lopo_right / lopo_n:.3f} ({lopo_n} images)")
    model.update(
        {
            "about": "Image kind: multinomial logistic regression fitted by scripts/train_kinds.py on the "
            "training split of devset/split.json.",
            "trained_on": len(yt),
            "validation_accuracy": round(acc_v, 4),
        }
    )
    if args.dry_run:
        print(json.dumps(model)[:400])
    else:
        np.savez_compressed(BASIS_PATH, mean=basis["mean"], basis=basis["basis"].astype(np.float32))
        MODEL_PATH.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Fit the scene-concept probe (``src/snapscribe/data/concept_probe.npz``) on the training split.

For each concept of ``snapscribe.concepts.CONCEPTS`` an image is a positive when one of the
concept's words is a whole word of a term in the label's ``subject`` or ``present`` lists.
The input is the classifier's pooled embedding (cached by ``scripts/sight_features.py``),
centred on the training mean and scaled to unit length. Per concept:

0. the unit-length embeddings are projected on their first ``COMPONENTS`` principal directions
   (fitted on the training images): with a few hundred images, 1280 free weights per concept
   would fit noise; the fitted weights are mapped back to the 1280 inputs, so the runtime probe
   is one matrix product;
1. the L2 strength is chosen by grouped cross-validation over source packages (log loss on
   the held-out packages' images), so no package informs its own prediction;
2. the bar is chosen on those out-of-fold probabilities to maximise
   right − WRONG_COST × wrong (one invented scene costs six named ones); a concept where no bar
   pays gets a bar above 1 and is never named;
3. the final weights are fitted on all training images;
4. which concept subsumes which (``subsumption``: label co-occurrence on the training images);
   a reading names the most specific held concept (``concepts.held_concepts``);
5. the out-of-fold probabilities of every training image are written to ``OOF_PATH``
   (cross-fitting): ``scripts/train_sight.py`` fits its bars on training captions whose
   concepts come from a probe that did not see the image's package, as validation images are
   read, instead of the in-sample probe, whose concepts on its own training images are
   optimistic.

Validation images are never read for fitting; the script prints their figures at the end.

    python scripts/train_concepts.py [--features var/sight/features.jsonl] [--dry-run]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_devset import hallucinated_nouns
from sight_data import DEFAULT_FEATURES, ROOT, Item, folds_by_package, load_items
from train_sight import fit_logistic

from snapscribe.concepts import (
    CONCEPTS,
    SETTINGS,
    concept_probabilities,
    fingerprint,
    pixel_cues,
    prepare,
)
from snapscribe.neighbours import BLEND, memory, vote

OUT = ROOT / "src" / "snapscribe" / "data" / "concept_probe.npz"
OOF_PATH = ROOT / "var" / "sight" / "concepts_oof.json"
L2_GRID = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
BARS = tuple(round(b, 2) for b in np.arange(0.3, 0.96, 0.05))
WRONG_COST = 6.0  # chosen on cross-fitted training captions: 3 -> 6.0% absent, 6 -> 4.5%, 10 -> 4.3% (docs/sight.md)
FOLDS = 5
COMPONENTS = 96
SETTING_NAMES = {name for name, _ in SETTINGS}
SUBSUMES = 0.8  # a concept subsumes another when the labels of >= 80% of the other's images show it too
MIN_CHILD = 10  # ... over at least this many training images of the other
CUE_SCALE = 0.1  # standardised pixel cues against unit-length embeddings: comparable magnitudes


def label_terms(label: dict) -> list[str]:
    return [str(t).lower() for t in list(label.get("subject", [])) + list(label.get("present", []))]


def has_word(terms: list[str], word: str) -> bool:
    pat = re.compile(rf"\b{re.escape(word)}\b")
    return any(pat.search(t) for t in terms)


def targets(items: list[Item]) -> np.ndarray:
    """Image x concept matrix of 0/1: is the concept in the picture, by the labels, AND is the caption's
    phrase for it true there. The probe learns the claim the caption makes: "a forest" is wrong for a
    few trees and "mountains" for hills, though both label words once made the concept a positive
    (the evaluator's support relation decides: the word, a synonym or something more specific present)."""
    y = np.zeros((len(items), len(CONCEPTS)))
    for i, it in enumerate(items):
        terms = label_terms(it.label)
        present = it.label.get("present", [])
        for k, c in enumerate(CONCEPTS):
            y[i, k] = float(any(has_word(terms, w) for w in c.words) and not hallucinated_nouns(c.phrase, present))
    return y


def subsumption(y: np.ndarray) -> np.ndarray:
    """Parent index per concept (-1: none), from label co-occurrence on the training images: j subsumes
    k when P(j | k) >= SUBSUMES over >= MIN_CHILD images of k and P(k | j) < P(j | k) (Sanderson and
    Croft, SIGIR 1999). The most probable such parent wins. A setting (``concepts.SETTINGS``: snow on
    mountains) co-occurs with its subject without being a kind of it, so it has no parent."""
    n = y.sum(0)
    both = y.T @ y
    parents = np.full(y.shape[1], -1, dtype=np.int16)
    for k in range(y.shape[1]):
        if n[k] < MIN_CHILD or CONCEPTS[k].name in SETTING_NAMES:
            continue
        given_k = both[:, k] / n[k]  # P(j | k)
        given_j = both[k, :] / np.maximum(n, 1)  # P(k | j)
        ok = [j for j in range(y.shape[1]) if j != k and given_k[j] >= SUBSUMES and given_j[j] < given_k[j]]
        if ok:
            parents[k] = max(ok, key=lambda j: given_k[j])
    return parents


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def out_of_fold(x: np.ndarray, y: np.ndarray, folds: np.ndarray, l2: float) -> np.ndarray:
    p = np.zeros(len(y))
    for f in np.unique(folds):
        tr, te = folds != f, folds == f
        if y[tr].sum() == 0:
            p[te] = 0.0
            continue
        w, b = fit_logistic(x[tr], y[tr], l2=l2)
        p[te] = _sigmoid(x[te] @ w + b)
    return p


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())


def best_bar(p: np.ndarray, y: np.ndarray, wrong_cost: float = WRONG_COST) -> tuple[float, float]:
    """The bar with the most right − wrong_cost × wrong assertions; 1.01 when none pays. Bars that tie
    give the same out-of-fold assertions, so the middle of the tied run is taken: the highest of them
    sits just under the fewest positives and moves with every refit."""
    gains = []
    for bar in BARS:
        said = p >= bar
        gains.append(float((said & (y == 1)).sum() - wrong_cost * (said & (y == 0)).sum()))
    top = max(gains)
    if top <= 0:
        return 1.01, 0.0
    tied = [b for b, g in zip(BARS, gains, strict=True) if g == top]
    return tied[(len(tied) - 1) // 2], top


def neighbour_out_of_fold(z: np.ndarray, y: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Every image's neighbour vote (``neighbours.vote``) from the other folds' images only."""
    out = np.zeros(y.shape)
    for f in np.unique(folds):
        tr, te = folds != f, folds == f
        mem = memory(z[tr], y[tr])
        out[te] = np.vstack([vote(row, mem) for row in z[te]])
    return out


def design(items: list[Item], mean: np.ndarray) -> np.ndarray:
    return np.vstack([prepare(it.features.embedding, mean) for it in items])


def cue_matrix(items: list[Item]) -> np.ndarray:
    return np.vstack([pixel_cues(it.features.scene, it.features.stats) for it in items])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=Path, default=DEFAULT_FEATURES)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--dry-run", action="store_true", help="print figures, write nothing")
    ap.add_argument("--wrong-cost", type=float, default=WRONG_COST, help="how many right concepts one wrong one costs")
    args = ap.parse_args(argv)
    items = [it for it in load_items(args.features) if it.features.embedding is not None]
    train = [it for it in items if it.split == "train"]
    val = [it for it in items if it.split == "validation"]
    print(f"{len(train)} training and {len(val)} validation images with embeddings", file=sys.stderr)
    mean = np.mean([it.features.embedding for it in train], axis=0).astype(np.float32)
    x_full, y_tr = design(train, mean), targets(train)
    _, _, vt = np.linalg.svd(x_full, full_matrices=False)
    basis = vt[: min(COMPONENTS, len(train) - 1)]  # principal directions of the training embeddings
    cues = cue_matrix(train)
    cue_mean, cue_std = cues.mean(0), cues.std(0) + 1e-6
    projected = x_full @ basis.T
    x_tr = np.hstack([projected, (cues - cue_mean) / cue_std * CUE_SCALE])
    folds = folds_by_package(train, FOLDS)
    votes = neighbour_out_of_fold(projected, y_tr, folds)
    d = x_full.shape[1]
    weights = np.zeros((len(CONCEPTS), d), dtype=np.float32)
    cue_weights = np.zeros((len(CONCEPTS), cues.shape[1]), dtype=np.float32)
    bias = np.zeros(len(CONCEPTS), dtype=np.float32)
    bars = np.full(len(CONCEPTS), 1.01, dtype=np.float32)
    l2s = np.zeros(len(CONCEPTS), dtype=np.float32)
    oof_all = np.zeros((len(train), len(CONCEPTS)))
    for k, c in enumerate(CONCEPTS):
        y = y_tr[:, k]
        if y.sum() < 3:
            print(f"{c.name:10} {int(y.sum())} positives: not fitted", file=sys.stderr)
            continue
        scored = [(log_loss(out_of_fold(x_tr, y, folds, l2), y), l2) for l2 in L2_GRID]
        loss, l2 = min(scored)
        oof = (1 - BLEND) * out_of_fold(x_tr, y, folds, l2) + BLEND * votes[:, k]
        oof_all[:, k] = oof
        bar, gain = best_bar(oof, y, args.wrong_cost)
        w, b = fit_logistic(x_tr, y, l2=l2)
        nb = len(basis)
        weights[k], cue_weights[k], bias[k], bars[k], l2s[k] = w[:nb] @ basis, w[nb:] * CUE_SCALE, b, bar, l2
        said = oof >= bar
        print(
            f"{c.name:10} pos {int(y.sum()):3}  l2 {l2:5}  oof loss {loss:.3f}  bar {bar:.2f}  "
            f"oof right {int((said & (y == 1)).sum()):3} wrong {int((said & (y == 0)).sum()):3} gain {gain:+.0f}",
            file=sys.stderr,
        )
    parents = subsumption(y_tr)
    for k, j in enumerate(parents):
        if j >= 0:
            print(f"{CONCEPTS[j].name} subsumes {CONCEPTS[k].name}", file=sys.stderr)
    model = {
        "names": np.array([c.name for c in CONCEPTS]),
        "weights": weights,
        "bias": bias,
        "bars": bars,
        "mean": mean,
        "cue_weights": cue_weights,
        "cue_mean": cue_mean.astype(np.float32),
        "cue_std": cue_std.astype(np.float32),
        "l2": l2s,
        "parents": parents,
        "basis": basis.astype(np.float16),
        **memory(projected, y_tr, dtype=np.float16),
    }
    if val:
        y_va = targets(val)
        p_va = np.array(
            [
                list(
                    concept_probabilities(
                        it.features.embedding, model, pixel_cues(it.features.scene, it.features.stats)
                    ).values()
                )
                for it in val
            ]
        )
        said = p_va >= bars
        right = int((said & (y_va == 1)).sum())
        wrong = int((said & (y_va == 0)).sum())
        print(
            f"validation: {right} concepts right, {wrong} wrong over {len(val)} images "
            f"({int(y_va.sum())} concept labels)",
            file=sys.stderr,
        )
        for k, c in enumerate(CONCEPTS):
            s, y = said[:, k], y_va[:, k]
            if s.any() or y.any():
                print(
                    f"  {c.name:10} labels {int(y.sum()):3}  said {int(s.sum()):3}  right {int((s & (y == 1)).sum()):3}",
                    file=sys.stderr,
                )
    if not args.dry_run:
        np.savez_compressed(args.out, **model)
        OOF_PATH.parent.mkdir(parents=True, exist_ok=True)
        OOF_PATH.write_text(
            json.dumps(
                {
                    "probe": fingerprint({"bias": bias, "bars": bars}),
                    "images": {
                        it.file: {c.name: round(float(p), 5) for c, p in zip(CONCEPTS, row, strict=True)}
                        for it, row in zip(train, oof_all, strict=True)
                    },
                }
            )
        )
        print(f"wrote {args.out} and {OOF_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

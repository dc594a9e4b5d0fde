#!/usr/bin/env python3
"""Fit the hedged-naming calibration and its bars on the TRAINING split only; report validation.

Reads cached features (scripts/sight_features.py) and the labels; never runs a model.

1. Calibration (Platt-style logistic regression, numpy): for every training image and every
   taxonomy node holding >= 5% of the classifier's mass, the target is whether the node's noun
   is right for the image (the noun, a synonym or a more general word for something the label
   lists as present; WordNet decides "more general"). Features: log-odds of the node's mass,
   its specificity (log2 of 1000 / leaves) and the rendered probability.
2. The bar (calibrated confidence a node needs to be named), ``box_support`` (classifier
   mass a detector box needs under its own WordNet node, the rule used until a box model is
   fitted) and the kind model's bar (how sure it must be before the composer says "a painting")
   are chosen by grid search on the training split's captions, maximising
   subject-named - 3 x absent-named. Then the box-or-node logistic model is fitted on the
   training images' box/node disagreements and kept only if it raises the training objective.
3. Leave-one-package-out: the calibration is refitted without each package in turn and that
   package's captions are scored with it (bars fixed); the pooled figure is printed.

Writes src/snapscribe/data/hedge_model.json (``--dry-run``: print only).

    python scripts/train_sight.py [--features var/sight/features.jsonl] [--dry-run] [--no-lopo]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_devset import score_image, supported, term_key  # noqa: E402
from eval_split import print_summary, summarise  # noqa: E402
from sight_data import DEFAULT_FEATURES, ROOT, Item, caption_of, evidence_of, load_items  # noqa: E402

from snapscribe import hedging  # noqa: E402
from snapscribe.evidence import BOX_FEATURES  # noqa: E402
from snapscribe.grounding import GroundingGuard  # noqa: E402
from snapscribe.kinds import kind_model  # noqa: E402
from snapscribe.synthetic import judge  # noqa: E402

MODEL_PATH = ROOT / "src" / "snapscribe" / "data" / "hedge_model.json"
PENALTY = 3.0  # one absent object named costs three subjects named
BARS = (0.5, 0.6, 0.7, 0.8, 0.9)
SUPPORTS = (0.02, 0.1)
KIND_BARS = (0.4, 0.55, 0.7, 0.85)
KIND_MODEL_PATH = ROOT / "src" / "snapscribe" / "data" / "kind_model.json"


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method (the bias is not penalised)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    reg = np.eye(xb.shape[1]) * l2
    reg[-1, -1] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-xb @ w))
        grad = xb.T @ (p - y) + reg @ w
        hess = xb.T @ (xb * (p * (1 - p))[:, None]) + reg + np.eye(len(w)) * 1e-6
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-7:
            break
    return w[:-1], float(w[-1])


def noun_correct(noun: str, synset: int | None, label: dict) -> bool:
    """A noun is right for the image: listed, a synonym, or more general than something listed (WordNet)."""
    present = list(label.get("present", [])) + list(label.get("subject", []))
    keys = {term_key(t) for t in present if term_key(t)}
    if supported(term_key(noun), keys):
        return True
    if synset is None:
        return False
    lex = hedging.hierarchy().lexicon
    for word in present:
        senses = lex.senses(word)
        if senses and lex.is_a(senses[0], synset):
            return True
    return False


def node_correct(node: hedging.Node, label: dict) -> bool:
    return noun_correct(node.noun, node.synset, label)


def fit_box_model(items: list[Item]) -> dict | None:
    """Box-or-node: does the detector's noun hold where the classifier's hedged node names the thing otherwise?"""
    lex = hedging.hierarchy().lexicon
    xs, ys = [], []
    for item in items:
        trace: list = []
        evidence_of(item, trace=trace)
        for box_noun, _node_noun, feats in trace:
            senses = lex.senses(box_noun)
            xs.append([feats[n] for n in BOX_FEATURES])
            ys.append(float(noun_correct(box_noun, senses[0] if senses else None, item.label)))
    if len(ys) < 10 or len(set(ys)) < 2:
        print(f"box model: {len(ys)} decisions, not enough to fit", file=sys.stderr)
        return None
    x = np.array(xs)
    mu, sd = x.mean(0), x.std(0) + 1e-9
    w, b = fit_logistic((x - mu) / sd, np.array(ys), l2=2.0)
    print(f"box model on {len(ys)} box-or-node decisions ({int(sum(ys))} boxes right): "
          f"{dict(zip(BOX_FEATURES, np.round(w, 3)))} bias {b:.3f}", file=sys.stderr)
    return {"features": list(BOX_FEATURES), "mean": [round(float(v), 5) for v in mu],
            "std": [round(float(v), 5) for v in sd], "weights": [round(float(v), 5) for v in w], "bias": round(b, 5),
            "decisions": len(ys)}


def rendered_of(item: Item) -> float:
    f = item.features
    n_strong = sum(1 for d in f.detections if d.score >= 0.5)
    return judge(f.synthetic, f.probs, n_strong).probability


def calibration_rows(items: list[Item]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    xs, ys, owners = [], [], []
    for item in items:
        rendered = rendered_of(item)
        for node, mass, _ in hedging.candidates(item.features.probs, rendered):
            xs.append(hedging.node_features(mass, node, rendered))
            ys.append(float(node_correct(node, item.label)))
            owners.append(item.package)
    return np.array(xs), np.array(ys), owners


def caption_score(items: list[Item], guard: GroundingGuard) -> tuple[float, list]:
    scored = [(it.label, it.split, score_image(it.label, {"source": it.file, "caption": caption_of(it, guard)}))
              for it in items]
    n = len(scored) or 1
    subject = sum(r.subject_hit for _, _, r in scored) / n
    absent = sum(bool(r.hallucinated) for _, _, r in scored) / n
    return subject - PENALTY * absent, scored


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=Path, default=DEFAULT_FEATURES)
    ap.add_argument("--dry-run", action="store_true", help="print, do not write the model")
    ap.add_argument("--no-lopo", action="store_true", help="skip leave-one-package-out")
    args = ap.parse_args(argv)
    items = load_items(args.features)
    train = [it for it in items if it.split == "train"]
    val = [it for it in items if it.split == "validation"]
    print(f"{len(train)} train images, {len(val)} validation images", file=sys.stderr)

    x, y, owners = calibration_rows(train)
    w, b = fit_logistic(x, y)
    model = hedging.hedge_model()  # the cached dict the runtime reads: updated in place while searching
    model.update({"weights": [round(float(v), 5) for v in w], "bias": round(b, 5)})
    print(f"calibration on {len(y)} (image, node) pairs, {int(y.sum())} right: weights {model['weights']} "
          f"bias {model['bias']}", file=sys.stderr)

    model.pop("box_model", None)  # searched with the support rule; the box model is fitted after
    guard = GroundingGuard()
    best = None
    kinds = kind_model()
    for kind_bar in KIND_BARS if kinds else (1.01,):
        if kinds:
            kinds["bar"] = kind_bar
        for bar in BARS:
            for support in SUPPORTS:
                model.update({"bar": bar, "box_support": support})
                score, _ = caption_score(train, guard)
                print(f"  kind bar {kind_bar:.2f} bar {bar:.2f} box_support {support:.2f}: train objective "
                      f"{score:.3f}", file=sys.stderr)
                if best is None or score > best[0] + 1e-9:
                    best = (score, bar, support, kind_bar)
    assert best is not None
    model.update({"bar": best[1], "box_support": best[2]})
    if kinds:
        kinds["bar"] = best[3]
    print(f"chosen on train: bar {best[1]}, box_support {best[2]}, kind bar {best[3]}", file=sys.stderr)
    box_model = fit_box_model(train)
    if box_model is not None:
        model["box_model"] = box_model
        with_box, _ = caption_score(train, guard)
        print(f"train objective with the fitted box model {with_box:.3f} (support rule {best[0]:.3f})",
              file=sys.stderr)
        if with_box < best[0]:
            del model["box_model"]  # the fitted model must earn its place on train

    _, scored_train = caption_score(train, guard)
    _, scored_val = caption_score(val, guard)
    print_summary(summarise(scored_train + scored_val))

    if not args.no_lopo:
        fitted = dict(model)
        pooled = []
        for pkg in sorted({it.package for it in items}):
            keep = [i for i, o in enumerate(owners) if o != pkg]
            wp, bp = fit_logistic(x[keep], y[keep])
            model.update({"weights": [float(v) for v in wp], "bias": bp})
            _, scored = caption_score([it for it in items if it.package == pkg], guard)
            pooled += scored
        model.clear()
        model.update(fitted)
        n = len(pooled) or 1
        print(f"leave-one-package-out (calibration refitted per package, bars fixed), all {len(pooled)} images: "
              f"subject named {100 * sum(r.subject_hit for _, _, r in pooled) / n:.1f}%, "
              f"absent named {100 * sum(bool(r.hallucinated) for _, _, r in pooled) / n:.1f}%")

    out = {"about": "Hedged naming: calibration of node mass -> P(noun right), the bar, and the classifier mass "
                    "a detector box needs under its own node. Fitted by scripts/train_sight.py on the training "
                    "split of devset/split.json.",
           "features": ["logit_mass", "specificity", "rendered"], "weights": model["weights"], "bias": model["bias"],
           "bar": model["bar"], "box_support": model["box_support"], "box_model": model.get("box_model"),
           "trained_on": len(train)}
    if args.dry_run:
        print(json.dumps(out, indent=1))
    else:
        MODEL_PATH.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
        if kinds:
            KIND_MODEL_PATH.write_text(json.dumps(kinds, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

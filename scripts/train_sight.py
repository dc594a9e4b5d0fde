#!/usr/bin/env python3
"""Fit the hedged-naming calibration and its bars on the TRAINING split only; report validation.

Reads cached features (scripts/sight_features.py) and the labels; never runs a model.

1. Calibration (Platt-style logistic regression, numpy): for every training image and every
   taxonomy node holding >= 5% of the classifier's mass, the target is whether the node's noun
   is right for the image (the noun, a synonym or a more general word for something the label
   lists as present; WordNet decides "more general"). Features: log-odds of the node's mass,
   its specificity (log2 of 1000 / leaves), the rendered probability, the entropy of the whole
   distribution and whether the node is a broad WordNet group ("animal", "vehicle").
2. The bar (calibrated confidence a node needs to be named), ``box_support`` (classifier
   mass a detector box needs under its own WordNet node, the rule used until a box model is
   fitted) and the kind model's bar (how sure it must be before the composer says "a painting")
   are chosen by coordinate search on the training split's captions, maximising subjects
   named within an error budget: subject-named - penalty x max(0, absent-named - 5%) (the
   accuracy-constrained form of Deng et al.; 5% is the product target for absent objects). The
   penalty is chosen by grouped 5-fold cross-validation over training packages
   (``choose_penalty``, folds from ``sight_data.folds_by_package`` as the concept probe's;
   ``--penalty`` fixes it). The shipped models used 3: on 532 training images (scene concepts
   priced at 3) every price from 3 to 24 left the out-of-fold absent rate at 6.2%. On 566
   images with concepts priced at 6, prices 3-24 give 5.1%-4.8% absent and 54.9%-55.0% named,
   and the search picks 12.
   Then the box-or-node logistic model is fitted on the
   training images' box/node disagreements and kept only if it raises the training objective.
3. Scene facts (snapscribe.reading): per fact, the threshold on its cue that maximises
   right - 3 x wrong assertions against the labels (before the grid, which then uses them).
4. Fusion (which detector boxes are accepted): logistic regression over box score and size,
   classifier agreement, rendered probability, texture mass, an incompatible classifier lead;
   its acceptance bar joins the grid.
5. Leave-one-package-out: the calibration is refitted without each package in turn and that
   package's captions are scored with it (bars fixed); the pooled figure is printed.

Writes src/snapscribe/data/hedge_model.json (``--dry-run``: print only).

    python scripts/train_sight.py [--features var/sight/features.jsonl] [--dry-run] [--no-lopo] [--penalty P]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_devset import score_image, supported, term_key
from eval_split import print_summary, summarise
from sight_data import DEFAULT_FEATURES, ROOT, Item, caption_of, evidence_of, folds_by_package, load_items

from snapscribe import hedging, reading
from snapscribe.evidence import BOX_FEATURES, DETECTION_FEATURES, set_fusion_model
from snapscribe.grounding import GroundingGuard
from snapscribe.kinds import kind_model
from snapscribe.taxonomy import coco_classes

MODEL_PATH = ROOT / "src" / "snapscribe" / "data" / "hedge_model.json"
PENALTY = 3.0  # the default price: beyond the budget, one absent object named costs three subjects named
EPSILON = 0.05  # the default error budget: at most 5% of training captions may name an absent object
TARGET_ABSENT = 0.05  # the product target for captions naming an absent object, on new photos
PENALTIES = (3.0, 6.0, 12.0, 24.0)  # prices of an absent object the grouped cross-validation chooses from
CV_FOLDS = 5
BARS = (0.5, 0.6, 0.7, 0.8, 0.9)
SUPPORTS = (0.02,)
KIND_BARS = (0.4, 0.55, 0.7, 0.85)
FUSION_BARS = (0.3, 0.45, 0.6, 0.75)
FUSION_MODEL_PATH = ROOT / "src" / "snapscribe" / "data" / "fusion_model.json"
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
        for what, box_noun, feats in trace:
            if what != "box":
                continue
            senses = lex.senses(box_noun)
            xs.append([feats[n] for n in BOX_FEATURES])
            ys.append(float(noun_correct(box_noun, senses[0] if senses else None, item.label)))
    if len(ys) < 10 or len(set(ys)) < 2:
        print(f"box model: {len(ys)} decisions, not enough to fit", file=sys.stderr)
        return None
    x = np.array(xs)
    mu, sd = x.mean(0), x.std(0) + 1e-9
    w, b = fit_logistic((x - mu) / sd, np.array(ys), l2=2.0)
    print(
        f"box model on {len(ys)} box-or-node decisions ({int(sum(ys))} boxes right): "
        f"{dict(zip(BOX_FEATURES, np.round(w, 3), strict=True))} bias {b:.3f}",
        file=sys.stderr,
    )
    return {
        "features": list(BOX_FEATURES),
        "mean": [round(float(v), 5) for v in mu],
        "std": [round(float(v), 5) for v in sd],
        "weights": [round(float(v), 5) for v in w],
        "bias": round(b, 5),
        "decisions": len(ys),
    }


def rendered_of(item: Item) -> float:
    """The photo-or-rendered judgement fusion makes for this image (from its cross-fitted kind on training images)."""
    return evidence_of(item).abstract


def calibration_rows(items: list[Item]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    xs, ys, owners = [], [], []
    for item in items:
        rendered = rendered_of(item)
        spread = hedging.entropy(item.features.probs)
        for node, mass, _ in hedging.candidates(item.features.probs, rendered):
            xs.append(hedging.node_features(mass, node, rendered, spread))
            ys.append(float(node_correct(node, item.label)))
            owners.append(item.package)
    return np.array(xs), np.array(ys), owners


def caption_score(
    items: list[Item], guard: GroundingGuard | None, epsilon: float = EPSILON, penalty: float = PENALTY
) -> tuple[float, list]:
    scored = [
        (it.label, it.split, score_image(it.label, {"source": it.file, "caption": caption_of(it, guard)}))
        for it in items
    ]
    n = len(scored) or 1
    subject = sum(r.subject_hit for _, _, r in scored) / n
    absent = sum(bool(r.hallucinated) for _, _, r in scored) / n
    # As in Deng et al.: the most informative captions subject to an error budget. Subjects named count
    # fully while absent objects stay within EPSILON; each point beyond it costs PENALTY points.
    return subject - penalty * max(0.0, absent - epsilon), scored


def fit_fusion_model(items: list[Item]) -> dict | None:
    """Which detections to accept: is the box's noun right for the image (listed, synonym, more general)?"""
    coco = coco_classes()
    lex = hedging.hierarchy().lexicon
    xs, ys = [], []
    for item in items:
        trace: list = []
        evidence_of(item, trace=trace)
        for what, class_id, feats in trace:
            if what != "detection" or class_id not in coco:
                continue
            noun = coco[class_id].basic
            xs.append([feats[n] for n in DETECTION_FEATURES])
            ys.append(float(noun_correct(noun, lex.coco.get(class_id), item.label)))
    if len(ys) < 20 or len(set(ys)) < 2:
        return None
    x = np.array(xs)
    mu, sd = x.mean(0), x.std(0) + 1e-9
    w, b = fit_logistic((x - mu) / sd, np.array(ys), l2=2.0)
    print(
        f"fusion model on {len(ys)} detections ({int(sum(ys))} right): "
        f"{dict(zip(DETECTION_FEATURES, np.round(w, 3), strict=True))} bias {b:.3f}",
        file=sys.stderr,
    )
    return {
        "about": "Which detector boxes are accepted as evidence: logistic regression fitted by "
        "scripts/train_sight.py on the training split (target: the box's noun is right for the image).",
        "features": list(DETECTION_FEATURES),
        "mean": [round(float(v), 5) for v in mu],
        "std": [round(float(v), 5) for v in sd],
        "weights": [round(float(v), 5) for v in w],
        "bias": round(b, 5),
        "bar": 0.5,
        "detections": len(ys),
    }


READING_MODEL_PATH = ROOT / "src" / "snapscribe" / "data" / "reading_model.json"
FACT_GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)


def fact_cue(name: str, scene) -> float:
    """The measured cue each fact of snapscribe.reading is asserted from (as tagging reads it)."""
    cues = {
        "nature": scene.greenery,
        "grass": max(scene.grass, scene.blades),
        "beach": scene.sand * scene.water,
        "sea": min(scene.water, scene.sky),
        "flower": scene.blossom,
    }
    return float(cues.get(name, getattr(scene, name, 0.0)))


def fit_reading(items: list[Item]) -> dict[str, dict]:
    """Per fact, the threshold on its cue maximising right - 3 x wrong assertions on the training images."""
    out = {}
    for fact in reading.FACTS:
        rows = []
        for item in items:
            present = list(item.label.get("present", [])) + list(item.label.get("subject", []))
            keys = {term_key(t) for t in present if term_key(t)}
            truth = any(supported(term_key(w), keys) for w in fact.words)
            rows.append((fact_cue(fact.name, item.features.scene), truth))
        best = max(
            FACT_GRID,
            key=lambda t: (sum(c >= t and y for c, y in rows) - PENALTY * sum(c >= t and not y for c, y in rows), -t),
        )
        right = sum(c >= best and y for c, y in rows)
        wrong = sum(c >= best and not y for c, y in rows)
        out[fact.name] = {"threshold": best, "right": right, "wrong": wrong, "true_in_labels": sum(y for _, y in rows)}
    return out


def fit(train: list[Item], penalty: float = PENALTY, log=sys.stderr) -> dict:
    """Fit calibration, scene facts, fusion, the bars and the box model on ``train``, each absent object
    beyond the budget costing ``penalty`` subjects named; the runtime state (hedge model, fusion model, kind bar, fact thresholds) is set in
    place, so captions made afterwards use this fit. Returns what main() writes."""
    x, y, owners = calibration_rows(train)
    w, b = fit_logistic(x, y)
    model = hedging.hedge_model()  # the cached dict the runtime reads: updated in place while searching
    model.update({"weights": [round(float(v), 5) for v in w], "bias": round(b, 5)})
    print(
        f"calibration on {len(y)} (image, node) pairs, {int(y.sum())} right: weights {model['weights']} "
        f"bias {model['bias']}",
        file=log,
    )

    model.pop("box_model", None)  # searched with the support rule; the box model is fitted after
    facts = fit_reading(train)
    reading.set_thresholds({k: v["threshold"] for k, v in facts.items()})
    print(
        "reading thresholds on train: "
        + ", ".join(f"{k} {v['threshold']} ({v['right']} right, {v['wrong']} wrong)" for k, v in facts.items()),
        file=log,
    )
    model.update({"bar": 0.6, "box_support": 0.02})
    set_fusion_model(None)  # collect detections under the hand rules, then fit
    fusion = fit_fusion_model(train)
    set_fusion_model(fusion)
    kinds = kind_model()
    # Coordinate search (each bar in turn, the others held), on captions without the guard (it only removes words).
    current = {"fusion": 0.45 if fusion else None, "kind": 0.85 if kinds else 1.01, "bar": 0.6}

    def objective() -> float:
        if fusion:
            fusion["bar"] = current["fusion"]
        if kinds:
            kinds["bar"] = current["kind"]
        model.update({"bar": current["bar"], "box_support": 0.02})
        return caption_score(train, None, EPSILON, penalty)[0]

    grids = {"fusion": FUSION_BARS if fusion else (None,), "bar": BARS, "kind": KIND_BARS if kinds else (1.01,)}
    score = objective()
    for name in ("fusion", "bar", "kind"):
        for value in grids[name]:
            keep = current[name]
            current[name] = value
            trial = objective()
            print(f"  {current}: train objective {trial:.3f}", file=log)
            if trial > score + 1e-9:
                score = trial
            else:
                current[name] = keep
    objective()
    print(
        f"chosen on train (penalty {penalty:g}): bar {current['bar']}, kind bar {current['kind']}, "
        f"fusion bar {current['fusion']}",
        file=log,
    )
    box_model = fit_box_model(train)
    if box_model is not None:
        model["box_model"] = box_model
        with_box, _ = caption_score(train, None, EPSILON, penalty)
        print(f"train objective with the fitted box model {with_box:.3f} (support rule {score:.3f})", file=log)
        if with_box < score:
            del model["box_model"]  # the fitted model must earn its place on train
    return {"model": model, "facts": facts, "fusion": fusion, "kinds": kinds, "calibration": (x, y, owners)}


def choose_penalty(train: list[Item]) -> float:
    """The price of an absent object whose captions meet the product target out of fold: for each
    penalty of ``PENALTIES``, fit on four fifths of the training packages and caption the fifth
    (grouped 5-fold cross-validation); keep the largest subject-named rate whose pooled absent rate is
    within ``TARGET_ABSENT`` (else the fewest absent objects, then the most subjects). A fit scores its own images better than new ones,
    so a price set on the training captions alone overshoots the target on new photos."""
    folds = folds_by_package(train, CV_FOLDS)
    guard = GroundingGuard()
    results = []
    for penalty in PENALTIES:
        pooled: list = []
        for k in range(CV_FOLDS):
            fit([it for it, f in zip(train, folds, strict=True) if f != k], penalty, log=io.StringIO())
            pooled += caption_score([it for it, f in zip(train, folds, strict=True) if f == k], guard)[1]
        n = len(pooled) or 1
        subject = sum(r.subject_hit for _, _, r in pooled) / n
        absent = sum(bool(r.hallucinated) for _, _, r in pooled) / n
        results.append((penalty, subject, absent))
        print(
            f"penalty {penalty:g}: out-of-fold subject named {subject:.1%}, absent named {absent:.1%}", file=sys.stderr
        )
    within = [r for r in results if r[2] <= TARGET_ABSENT]
    # None within the target: the fewest absent objects, then the most subjects (a stricter price that
    # removes no absent object only costs subjects).
    penalty = (max(within, key=lambda r: (r[1], -r[0])) if within else min(results, key=lambda r: (r[2], -r[1])))[0]
    print(f"penalty chosen by grouped cross-validation on train: {penalty:g}", file=sys.stderr)
    return penalty


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=Path, default=DEFAULT_FEATURES)
    ap.add_argument("--dry-run", action="store_true", help="print, do not write the model")
    ap.add_argument("--no-lopo", action="store_true", help="skip leave-one-package-out")
    ap.add_argument("--penalty", type=float, default=None, help="price of an absent object (default: chosen by CV)")
    args = ap.parse_args(argv)
    items = load_items(args.features)
    train = [it for it in items if it.split == "train"]
    val = [it for it in items if it.split == "validation"]
    print(f"{len(train)} train images, {len(val)} validation images", file=sys.stderr)
    penalty = args.penalty if args.penalty is not None else choose_penalty(train)
    fitted = fit(train, penalty)
    model, facts, fusion, kinds = fitted["model"], fitted["facts"], fitted["fusion"], fitted["kinds"]
    x, y, owners = fitted["calibration"]
    guard = GroundingGuard()

    _, scored_train = caption_score(train, guard)
    _, scored_val = caption_score(val, guard)
    print_summary(summarise(scored_train + scored_val))

    if not args.no_lopo:
        saved = dict(model)
        pooled = []
        for pkg in sorted({it.package for it in items}):
            keep = [i for i, o in enumerate(owners) if o != pkg]
            wp, bp = fit_logistic(x[keep], y[keep])
            model.update({"weights": [float(v) for v in wp], "bias": bp})
            _, scored = caption_score([it for it in items if it.package == pkg], guard)
            pooled += scored
        model.clear()
        model.update(saved)
        n = len(pooled) or 1
        print(
            f"leave-one-package-out (calibration refitted per package, bars fixed), all {len(pooled)} images: "
            f"subject named {100 * sum(r.subject_hit for _, _, r in pooled) / n:.1f}%, "
            f"absent named {100 * sum(bool(r.hallucinated) for _, _, r in pooled) / n:.1f}%"
        )

    out = {
        "about": "Hedged naming: calibration of node mass -> P(noun right), the bar, and the classifier mass "
        "a detector box needs under its own node. Fitted by scripts/train_sight.py on the training "
        "split of devset/split.json.",
        "features": ["logit_mass", "specificity", "rendered", "entropy", "wordnet_group"],
        "weights": model["weights"],
        "bias": model["bias"],
        "bar": model["bar"],
        "box_support": model["box_support"],
        "box_model": model.get("box_model"),
        "trained_on": len(train),
        "penalty": penalty,
    }
    if args.dry_run:
        print(json.dumps(out, indent=1))
    else:
        MODEL_PATH.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
        READING_MODEL_PATH.write_text(
            json.dumps(
                {
                    "about": "Scene-fact thresholds fitted by scripts/train_sight.py on the training split "
                    "(right - 3 x wrong).",
                    "thresholds": {k: v["threshold"] for k, v in facts.items()},
                    "fit": facts,
                },
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
        if fusion:
            FUSION_MODEL_PATH.write_text(json.dumps(fusion, indent=1) + "\n", encoding="utf-8")
        if kinds:
            KIND_MODEL_PATH.write_text(json.dumps(kinds, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

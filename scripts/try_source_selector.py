#!/usr/bin/env python3
"""Try a learned choice among each source's strongest reading (training split only; nothing shipped).

``scripts/sight_ceiling.py`` shows an oracle over each source's strongest reading names more subjects
than the pipeline. This asks whether a model *without* the labels can make that choice: per training
image, the candidates are the hedged node at a low bar (first pass and zoom pass), the strongest detector
box, the strongest scene concept, and the pipeline's own caption. Two logistic models, fitted out of fold
by package, predict whether a candidate names the subject and whether it names something absent; the
caption is replaced by the candidate with the best ``P(named) - price * P(absent)``.

It reads cross-fitted readings, so first refit the kind model and the probe (they write
``var/sight/kinds_oof.json`` and ``var/sight/concepts_oof.json``), then restore the shipped files:

    python scripts/train_kinds.py && python scripts/train_concepts.py
    python scripts/try_source_selector.py
    git checkout src/snapscribe/data/
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_devset import score_image
from sight_data import _oof_concepts, evidence_of, folds_by_package, load_items
from train_sight import fit_logistic

from snapscribe import hedging
from snapscribe.caption import compose_with_rule
from snapscribe.concepts import BY_NAME
from snapscribe.grammar import with_article
from snapscribe.hedging import _logit
from snapscribe.zoom import agreed

SOURCES = ("hedge", "zoom", "detector", "concept", "pipeline")
RULES = ("subject", "colours_only", "concept", "abstract", "screenshot", "drawing", "landscape", "chart", "scene_only")
LOW_BAR = 0.3  # the hedged node a candidate may offer: well under the shipped bar
PRICE = 3.0  # one absent object costs three named subjects, as everywhere in sight


def candidates(item, concepts: dict[str, dict[str, float]]):
    """[(source, caption text, features)] for one image, the pipeline's caption last, and the composer's rule."""
    ev = evidence_of(item)
    text, rule = compose_with_rule(ev)
    f = item.features
    readings: list[tuple[str, str, float, float]] = []
    for source, probs in (("hedge", f.probs), ("zoom", agreed(f.probs, f.views) if f.views is not None else None)):
        if probs is not None:
            h = hedging.hedge(probs, ev.abstract, bar=LOW_BAR)
            if h.node is not None:
                readings.append((source, h.node.noun, h.confidence, h.node.specificity))
    if f.detections:
        d = max(f.detections, key=lambda d: d.score)
        readings.append(("detector", d.label, d.score, 0.0))
    if item.file in concepts:
        name, p = max(concepts[item.file].items(), key=lambda kv: kv[1])
        readings.append(("concept", BY_NAME[name].phrase, p, 0.0))
    nouns = [r[1] for r in readings]
    out = []
    for source, noun, score, specificity in [*readings, ("pipeline", text, 1.0, 0.0)]:
        caption = text if source == "pipeline" else "A photo of " + with_article(noun)
        x = [float(source == s) for s in SOURCES]
        x += [score, _logit(score), specificity / 10, 1 - ev.abstract, nouns.count(noun) - 1.0]
        x += [float(source == "pipeline" and rule == r) for r in RULES]
        out.append((source, caption, np.array(x)))
    return out, rule


def main() -> int:
    items = [it for it in load_items() if it.split == "train"]
    concepts = _oof_concepts()
    if not concepts:
        print("no cross-fitted concepts for the probe in use: refit first (see the docstring)", file=sys.stderr)
        return 1
    rows, base = [], []
    for k, item in enumerate(items):
        cands, rule = candidates(item, concepts)
        for source, caption, x in cands:  # scored as the evaluator scores a caption (the pipeline's comes last)
            r = score_image(item.label, {"caption": caption, "status": "ok"})
            rows.append((k, source, x, bool(r.subject_hit), bool(r.hallucinated)))
        base.append((rule, rows[-1][3], rows[-1][4]))
    x = np.array([r[2] for r in rows])
    named = np.array([r[3] for r in rows], float)
    absent = np.array([r[4] for r in rows], float)
    image = np.array([r[0] for r in rows])
    fold = folds_by_package(items)[image]
    p_named, p_absent = np.zeros(len(rows)), np.zeros(len(rows))
    mu, sd = x.mean(0), x.std(0) + 1e-6
    z = (x - mu) / sd
    for k in range(5):
        test = fold == k
        for y, p in ((named, p_named), (absent, p_absent)):
            w, b = fit_logistic(z[~test], y[~test])
            p[test] = 1 / (1 + np.exp(-(z[test] @ w + b)))
    n = len(items)
    print(
        f"training split, cross-fitted: {n} images, pipeline named {sum(b[1] for b in base)} "
        f"absent {sum(b[2] for b in base)}"
    )
    for source in SOURCES:
        m = np.array([r[1] == source for r in rows])
        print(
            f"  {source:9s} {m.sum():5d} candidates  name the subject {named[m].mean():.2f}  absent {absent[m].mean():.2f}"
        )
    value = p_named - PRICE * p_absent
    for scope in ("colours_only", "any"):
        for margin in (0.0, 0.1, 0.2, 0.3):
            changed = d_named = d_absent = 0
            for k in range(n):
                if scope != "any" and base[k][0] != scope:
                    continue
                m = np.flatnonzero(image == k)
                pipe = m[-1]
                j = m[value[m].argmax()]
                if j != pipe and value[j] > value[pipe] + margin:
                    changed += 1
                    d_named += rows[j][3] - base[k][1]
                    d_absent += rows[j][4] - base[k][2]
            print(
                f"replace ({scope:12s}) margin {margin:.1f}: changed {changed:4d}  named {d_named:+4d}  "
                f"absent {d_absent:+4d}  gain {d_named - PRICE * d_absent:+5.0f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

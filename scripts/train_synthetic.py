"""Fit the photo-vs-rendered logistic model on the labelled dev set.

    .venv/bin/python scripts/fetch_devset.py --labels devset/kinds.json --cache devset/cache-kinds
    .venv/bin/python scripts/train_synthetic.py [--set LABELS CACHE ...]

Trains on the dev set (devset/labels.json) plus devset/kinds.json, photo-or-rendered
labels for 72 more images from the same Debian packages and opencv-doc's sample photos.
Targets: `abstract` and `illustration` images are rendered (1); `photo` and `texture`
are photographs (0). Prints leave-one-out accuracy, precision and recall, then writes
src/snapscribe/data/synthetic_model.json (standardisation + weights).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from snapscribe.config import Settings  # noqa: E402
from snapscribe.engines.effnet_classifier import EfficientNetClassifier  # noqa: E402
from snapscribe.engines.ssd_detector import SSDDetector  # noqa: E402
from snapscribe.intake import decode  # noqa: E402
from snapscribe.normalize import prepare  # noqa: E402
from snapscribe.synthetic import FEATURES, classifier_features, probability  # noqa: E402
from snapscribe.understand import measure  # noqa: E402


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 200) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method on standardised features."""
    n, d = x.shape
    w, b = np.zeros(d), 0.0
    xb = np.hstack([x, np.ones((n, 1))])
    theta = np.zeros(d + 1)
    reg = np.eye(d + 1) * l2
    reg[-1, -1] = 0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-xb @ theta))
        grad = xb.T @ (p - y) + reg @ theta
        hess = xb.T @ (xb * (p * (1 - p))[:, None]) + reg
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    w, b = theta[:-1], float(theta[-1])
    return w, b


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--set",
        nargs=2,
        action="append",
        metavar=("LABELS", "CACHE"),
        help="a labels file and the folder its images are in (repeatable; default: the dev set and devset/kinds.json)",
    )
    ap.add_argument("--l2", type=float, default=2.0)
    ap.add_argument("--out", default=str(ROOT / "src/snapscribe/data/synthetic_model.json"))
    args = ap.parse_args()
    sets = args.set or [
        (ROOT / "devset/labels.json", ROOT / "devset/cache"),
        (ROOT / "devset/kinds.json", ROOT / "devset/cache-kinds"),
    ]
    settings = Settings()
    clf, det = EfficientNetClassifier(), SSDDetector(settings.detector)
    rows, ys, names = [], [], []
    missing = 0
    items = [
        (item, Path(cache) / item["file"])
        for labels, cache in sets
        for item in json.loads(Path(labels).read_text())["images"]
    ]
    for item, path in items:
        if not path.exists():
            missing += 1
            continue
        inputs = prepare(decode(path.read_bytes(), settings.intake, draft_side=1024), settings.models)
        feats = dict(measure(inputs)[2])
        n_det = sum(1 for d in det.detect(inputs) if d.score >= 0.5)
        feats |= classifier_features(clf.classify(inputs), n_det)
        rows.append([feats[f] for f in FEATURES])
        ys.append(1.0 if item["kind"] in ("abstract", "illustration") else 0.0)
        names.append(item["file"])
    if missing:
        print(f"warning: {missing} labelled images are not fetched (scripts/fetch_devset.py)")
    x, y = np.array(rows), np.array(ys)
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = (x - mu) / sd
    loo = np.zeros(len(y))
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        w, b = fit(z[keep], y[keep], args.l2)
        loo[i] = 1 / (1 + np.exp(-(z[i] @ w + b)))
    pred = loo >= 0.5
    tp, fp = int((pred & (y == 1)).sum()), int((pred & (y == 0)).sum())
    fn = int((~pred & (y == 1)).sum())
    print(
        f"{len(y)} images ({int(y.sum())} rendered). leave-one-out: accuracy {(pred == (y == 1)).mean():.1%}, "
        f"precision {tp / max(1, tp + fp):.1%}, recall {tp / max(1, tp + fn):.1%}"
    )
    for name, p, t in zip(names, loo, y):
        if (p >= 0.5) != (t == 1):
            print(f"  miss: {name:45s} rendered={int(t)} p={p:.2f}")
    w, b = fit(z, y, args.l2)
    model = {
        "features": list(FEATURES),
        "mean": mu.round(6).tolist(),
        "std": sd.round(6).tolist(),
        "weights": w.round(6).tolist(),
        "bias": round(b, 6),
        "trained_on": len(y),
        "loo_accuracy": round(float((pred == (y == 1)).mean()), 4),
    }
    for f, wi in sorted(zip(FEATURES, w), key=lambda t: -abs(t[1])):
        print(f"  {f:16s} {wi:+.2f}")
    Path(args.out).write_text(json.dumps(model, indent=1) + "\n")
    assert abs(probability(dict(zip(FEATURES, x[0])), model) - 1 / (1 + np.exp(-(z[0] @ w + b)))) < 1e-4
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

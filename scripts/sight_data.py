"""Shared helpers for the sight scripts: labelled images, the split, cached model features,
and captions recomputed from cached features without running a model.

``scripts/sight_features.py`` runs the real pipeline once per image and stores its model
features (detector boxes, all classifier probabilities, zoom-crop probabilities, pixel
statistics, scene cues, the safe OCR text) in a JSONL file; every later evaluation or fit
reads that file, so changing fusion or composer code never re-runs a model.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from snapscribe.attributes import BLUR_THRESHOLD
from snapscribe.caption import compose
from snapscribe.concepts import ConceptReading, fingerprint, held_concepts, probe
from snapscribe.evidence import Evidence, fuse
from snapscribe.kinds import KindReading, kind_model

try:
    from snapscribe.kinds import kind_fingerprint
except ImportError:  # an older checkout: no neighbour memory, nothing to cross-fit

    def kind_fingerprint(model: dict) -> str:  # type: ignore[misc]
        return ""


try:
    from snapscribe.evidence import with_ocr
except ImportError:  # an older checkout (to score the baseline on the same features)
    from dataclasses import replace

    def with_ocr(ev: Evidence, text: str) -> Evidence:  # type: ignore[misc]
        return replace(ev, ocr_text=text)


from snapscribe.understand import Features
from snapscribe.zoom import agreed, needs_zoom

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "devset"
MANIFESTS = (DEVSET / "labels.json", DEVSET / "labels-extra.json")  # subjects and present objects
KIND_MANIFESTS = (*MANIFESTS, DEVSET / "kinds.json")  # image kind only (photo or rendered) for 72 more
DEFAULT_FEATURES = ROOT / "var" / "sight" / "features.jsonl"


@dataclass
class Item:
    """One labelled image with its cached features."""

    label: dict
    features: Features
    ocr_text: str | None
    split: str

    @property
    def file(self) -> str:
        return self.label["file"]

    @property
    def package(self) -> str:
        return str(self.label.get("origin", {}).get("package") or "?")

    @property
    def kind(self) -> str:
        return self.label.get("kind", "?")

    @property
    def family(self) -> str:
        return self.label.get("family") or self.label.get("kind", "?")


def load_labels(paths=MANIFESTS) -> list[dict]:
    out: list[dict] = []
    for path in paths:
        path = Path(path)
        if path.exists():
            raw = json.loads(path.read_text(encoding="utf-8"))
            out.extend(raw["images"] if isinstance(raw, dict) else raw)
    return out


def load_split(path: Path = DEVSET / "split.json") -> dict[str, str]:
    return json.loads(path.read_text(encoding="utf-8"))["packages"]


def load_items(features_path: Path = DEFAULT_FEATURES, labels=None, split=None) -> list[Item]:
    labels = labels if labels is not None else load_labels()
    split = split if split is not None else load_split()
    cached: dict[str, dict] = {}
    with open(features_path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                cached[row["file"]] = row
    items = []
    for lab in labels:
        row = cached.get(lab["file"])
        if row is None:
            continue
        pkg = str(lab.get("origin", {}).get("package") or "?")
        items.append(
            Item(lab, Features.from_bytes(row["features"].encode()), row.get("ocr_text"), split.get(pkg, "train"))
        )
    return items


_TRACES = "trace" in inspect.signature(fuse).parameters  # False on an older checkout
_EMBEDS = "embedding" in inspect.signature(fuse).parameters
_CROSS_FITS = "concepts" in inspect.signature(fuse).parameters
_KIND_IN_FUSE = "kind" in inspect.signature(fuse).parameters
OOF_CONCEPTS = ROOT / "var" / "sight" / "concepts_oof.json"
OOF_KINDS = ROOT / "var" / "sight" / "kinds_oof.json"


@lru_cache(maxsize=1)
def _oof_concepts() -> dict[str, dict[str, float]]:
    """The out-of-fold concept probabilities, when they come from the probe in use."""
    model = probe()
    if not (OOF_CONCEPTS.is_file() and _CROSS_FITS and model is not None):
        return {}
    data = json.loads(OOF_CONCEPTS.read_text())
    return data["images"] if data.get("probe") == fingerprint(model) else {}


@lru_cache(maxsize=1)
def _oof_kinds() -> dict[str, dict[str, float]]:
    """The out-of-fold kind probabilities (scripts/train_kinds.py), when they come from the kind model in use."""
    model = kind_model()
    if not (OOF_KINDS.is_file() and model is not None):
        return {}
    data = json.loads(OOF_KINDS.read_text())
    return data["images"] if data.get("model") == kind_fingerprint(model) else {}


def cross_fitted_kind(item: Item) -> KindReading | None:
    """A training image's kind from the model and memory fitted without its package; None for other images.
    Without it, the memory would hand every training image its own label."""
    probs = _oof_kinds().get(item.file) if item.split == "train" else None
    return KindReading(max(probs, key=lambda k: probs[k]), probs) if probs else None


def folds_by_package(items: list[Item], k: int = 5) -> np.ndarray:
    """Fold index per image: packages dealt round-robin, largest first, so folds are balanced."""
    sizes: dict[str, int] = {}
    for it in items:
        sizes[it.package] = sizes.get(it.package, 0) + 1
    fold_of = {p: n % k for n, p in enumerate(sorted(sizes, key=lambda p: (-sizes[p], p)))}
    return np.array([fold_of[it.package] for it in items])


def cross_fitted_concepts(item: Item) -> ConceptReading | None:
    """A training image's scene concepts from the probe fitted without its package (the out-of-fold
    probabilities scripts/train_concepts.py writes), under the shipped bars; None for other images."""
    probs = _oof_concepts().get(item.file) if item.split == "train" else None
    model = probe()
    return held_concepts(probs, model) if probs is not None and model is not None else None


def evidence_of(
    item: Item, min_detection: float = 0.45, zoom_agree: float = 0.5, trace: list | None = None
) -> Evidence:
    """The evidence the pipeline builds from these features (fusion, the zoom pass, clean OCR text).
    ``trace`` collects the box-or-node decisions of the fusion that was kept."""
    f = item.features
    common: dict = {"embedding": f.embedding} if _EMBEDS else {}
    concepts = cross_fitted_concepts(item)
    if concepts is not None:
        common["concepts"] = concepts
    clean_text = item.ocr_text if item.ocr_text and f.stats.sharpness >= BLUR_THRESHOLD else None
    kind = cross_fitted_kind(item)
    if _KIND_IN_FUSE:  # the kind also decides photo-or-rendered inside the fusion
        common.update({"kind": kind, "ocr_text": clean_text})
    first: list = []
    extra: dict = {"trace": first, **common} if _TRACES else dict(common)
    ev = fuse(list(f.detections), f.probs, f.scene, f.stats, f.synthetic, min_detection=min_detection, **extra)
    kept = first
    if needs_zoom(ev) and f.views is not None:
        second: list = []
        extra = {"trace": second, **common} if _TRACES else dict(common)
        if _KIND_IN_FUSE:
            extra["kind"] = ev.kind  # the kind is read once, from the whole image, as the pipeline does
        closer = fuse(
            list(f.detections),
            agreed(f.probs, f.views, zoom_agree),
            f.scene,
            f.stats,
            f.synthetic,
            min_detection=min_detection,
            abstract=ev.abstract,
            **extra,
        )
        if closer.main is not None:
            ev, kept = closer, second
    if trace is not None:
        trace.extend(kept)
    if clean_text:
        ev = with_ocr(ev, clean_text)
    if kind is not None and ev.kind is not None:
        ev = replace(ev, kind=kind)  # an older checkout's fuse or with_ocr read the kind itself, in-sample
    return ev


def caption_of(item: Item, guard=None) -> str:
    ev = evidence_of(item)
    text = compose(ev)
    if guard is not None:
        text = guard.check(text, ev, ()).caption or text
    return text

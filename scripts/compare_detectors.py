#!/usr/bin/env python3
"""Compare the SSD-MobileNet-v2 detectors: OpenCV DNN (``SSDDetector``) and onnxruntime
(``OnnxSSDDetector``), on one thread each, over a folder of images.

Prints ms/image for each (the two run interleaved, alternating which goes first), the load
time and extra resident memory of each, and how well their detections agree: detections are
paired by label and best IoU; a pair agrees when the scores are within 0.02 and the boxes
overlap with IoU >= 0.95; a detection without a partner is only excused when its score is
within 0.02 of the point where the other list stops (the 0.3 floor, or the last kept score
when the list is full), where the partner may just have been cut.

    .venv/bin/python scripts/compare_detectors.py [FOLDER ...] [--limit 40] [--repeat 1] [--json]

Default folder: devset/cache/1024 (scripts/fetch_devset.py), else samples/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
SCORE_TOL = 0.02
MIN_IOU = 0.95


def image_files(folder: str | Path, limit: int | None = None) -> list[Path]:
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return files[:limit] if limit else files


def model_inputs(path: str | Path, settings=None):
    """``ModelInputs`` for an image file, built as the pipeline builds them."""
    from snapscribe.config import Settings
    from snapscribe.intake import decode
    from snapscribe.normalize import prepare

    cfg = settings or Settings()
    data = Path(path).read_bytes()
    decoded = decode(data, cfg.intake, draft_side=max(cfg.models.low_res_side, 1024))
    return prepare(decoded, cfg.models)


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass
class Agreement:
    """How one image's two detection lists compare."""

    pairs: list[tuple] = field(default_factory=list)  # (reference, candidate, iou)
    only_ref: list = field(default_factory=list)
    only_new: list = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def max_score_diff(self) -> float:
        return max((abs(r.score - n.score) for r, n, _ in self.pairs), default=0.0)

    @property
    def min_iou(self) -> float:
        return min((i for _, _, i in self.pairs), default=1.0)


def _cut(dets: list, floor: float, cap: int) -> float:
    """The score below which this list may have dropped a detection."""
    return max(floor, dets[-1].score) if len(dets) >= cap else floor


def compare(
    ref: list, new: list, floor: float = 0.3, cap: int = 20, score_tol: float = SCORE_TOL, min_iou: float = MIN_IOU
) -> Agreement:
    """Pair ``new`` detections with ``ref`` ones (same label, best IoU above 0.5, best score first)."""
    out = Agreement()
    free = list(new)
    for r in ref:
        cands = [(iou(r.box, n.box), n) for n in free if n.label == r.label]
        best = max(cands, key=lambda t: t[0], default=None)
        if best is None or best[0] < 0.5:
            out.only_ref.append(r)
            continue
        free.remove(best[1])
        out.pairs.append((r, best[1], best[0]))
    out.only_new = free
    for r, n, i in out.pairs:
        if abs(r.score - n.score) > score_tol:
            out.problems.append(f"{r.label}: score {r.score:.3f} vs {n.score:.3f}")
        if i < min_iou:
            out.problems.append(f"{r.label} ({r.score:.2f}): IoU {i:.3f}")
    for lone, other, side in ((out.only_ref, new, "only OpenCV"), (out.only_new, ref, "only ONNX")):
        for d in lone:
            if d.score >= _cut(other, floor, cap) + score_tol:
                out.problems.append(f"{side}: {d.label} {d.score:.3f} {tuple(round(v, 3) for v in d.box)}")
    return out


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="*")
    ap.add_argument("--limit", type=int, default=40, help="images per folder (0 = all)")
    ap.add_argument("--repeat", type=int, default=1, help="timed runs per image and detector")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = ap.parse_args(argv)

    import cv2

    from snapscribe.config import Settings
    from snapscribe.engines.ssd_detector import SSDDetector, score_floor
    from snapscribe.engines.ssd_onnx import OnnxSSDDetector

    cv2.setNumThreads(1)
    folders = args.folders or [str(ROOT / "devset" / "cache" / "1024")]
    if not args.folders and not Path(folders[0]).is_dir():
        folders = [str(ROOT / "samples")]
    files = [f for folder in folders for f in image_files(folder, args.limit or None)]
    if not files:
        print("no images", file=sys.stderr)
        return 2
    settings = Settings()
    cfg = settings.detector
    floor, cap = score_floor(cfg), cfg.max_objects * 2
    inputs = [(f, model_inputs(f, settings)) for f in files]

    # Load each detector (and run it once) and see what it costs.
    rss0 = rss_mb()
    t0 = time.perf_counter()
    onnx_det = OnnxSSDDetector(cfg)
    onnx_load = time.perf_counter() - t0
    onnx_det.detect(inputs[0][1])
    rss1 = rss_mb()
    t0 = time.perf_counter()
    cv_det = SSDDetector(cfg)
    cv_det.detect(inputs[0][1])  # OpenCV reads its network on first use
    cv_load = time.perf_counter() - t0
    rss2 = rss_mb()

    times: dict[str, list[float]] = {"opencv": [], "onnx": []}
    dets = {"opencv": cv_det, "onnx": onnx_det}
    results = []
    for k, (path, inp) in enumerate(inputs):
        order = ["opencv", "onnx"] if k % 2 == 0 else ["onnx", "opencv"]
        out = {}
        per = {name: [] for name in order}
        for _ in range(args.repeat):
            for name in order:
                t = time.perf_counter()
                out[name] = dets[name].detect(inp)
                per[name].append(time.perf_counter() - t)
        for name in order:
            times[name].append(min(per[name]) * 1000)
        agreement = compare(out["opencv"], out["onnx"], floor, cap)
        results.append((path, out, agreement))

    pairs = [p for _, _, a in results for p in a.pairs]
    summary = {
        "images": len(inputs),
        "ms_per_image": {n: round(statistics.mean(v), 2) for n, v in times.items()},
        "ms_median": {n: round(statistics.median(v), 2) for n, v in times.items()},
        "speedup": round(statistics.mean(times["opencv"]) / statistics.mean(times["onnx"]), 2),
        "load_s": {"opencv": round(cv_load, 2), "onnx": round(onnx_load, 2)},
        "extra_rss_mb": {"onnx": round(rss1 - rss0), "opencv": round(rss2 - rss1)},
        "detections": {n: sum(len(o[n]) for _, o, _ in results) for n in ("opencv", "onnx")},
        "paired": len(pairs),
        "same_label_and_box": sum(1 for r, n, i in pairs if i >= MIN_IOU and abs(r.score - n.score) <= SCORE_TOL),
        "max_score_diff": round(max((abs(r.score - n.score) for r, n, _ in pairs), default=0.0), 5),
        "min_iou": round(min((i for _, _, i in pairs), default=1.0), 4),
        "only_opencv": sum(len(a.only_ref) for _, _, a in results),
        "only_onnx": sum(len(a.only_new) for _, _, a in results),
        "images_with_problems": sum(1 for _, _, a in results if a.problems),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for path, out, a in results:
            lone = [f"only OpenCV: {d.label} {d.score:.3f}" for d in a.only_ref]
            lone += [f"only ONNX: {d.label} {d.score:.3f}" for d in a.only_new]
            if a.problems or lone:
                print(f"{path.name}: {'; '.join(a.problems) or 'ok'}" + (f"  [{'; '.join(lone)}]" if lone else ""))
        for key, value in summary.items():
            print(f"{key:>22}: {value}")
    return 1 if summary["images_with_problems"] else 0


if __name__ == "__main__":
    raise SystemExit(main())

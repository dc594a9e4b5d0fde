#!/usr/bin/env python
"""Experiment: the SSD graph ``engines/ssd_onnx.py`` builds, run by other engines or precisions
and checked against the float onnxruntime session (not shipped: see docs/performance.md).

Candidates (``--candidate``, repeatable):

- ``ov-f32`` / ``ov-bf16``: OpenVINO's CPU plugin on the same ONNX model, inference precision
  f32 or bf16 (bf16 runs on AMX where the CPU has ``amx_bf16``, else on AVX-512 BF16 or emulated);
- ``ov-bf16-direct`` / ``ov-f32-direct``: the same with the box-predictor heads left as plain
  convolutions (no Winograd GEMMs; OpenVINO has its own convolution kernels);
- ``split-bf16:TENSOR``: the network up to ``TENSOR`` (e.g. ``expanded_conv_5/add``, under
  ``FeatureExtractor/MobilenetV2/``) in float through onnxruntime, the rest (later backbone
  blocks and the heads, as plain convolutions) through OpenVINO in bf16;
- ``ort:FILE``: another ONNX file through onnxruntime (e.g. ``try_int8_ssd.py --out``).

Per ``--check`` folder: float detections above the pipeline's 0.3 floor, how many a candidate
matches (same label, IoU >= 0.5, as ``scripts/compare_detectors.py`` pairs them), the largest
score change of a matched pair; and ms per model call, one thread, the candidates and the float
session taking turns image by image (``--rounds`` passes, median).

    PYTHONPATH=src python scripts/try_bf16_ssd.py --check devset/cache --check devset/cache-extra \\
        --candidate ov-bf16 --candidate ov-f32 [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_detectors import compare, model_inputs
from quantize_text_detector import image_files

from snapscribe.config import Settings
from snapscribe.engines import ssd_onnx
from snapscribe.engines.ssd_detector import coco_labels, score_floor, to_detections
from snapscribe.errors import SnapscribeError


def openvino_runner(onnx_file: Path, precision: str, input_name: str = "image_tensor"):
    """A ``run(x) -> (encodings, scores)`` over an OpenVINO CPU compiled model, one thread."""
    import openvino as ov

    core = ov.Core()
    compiled = core.compile_model(
        core.read_model(str(onnx_file)),
        "CPU",
        {
            "INFERENCE_PRECISION_HINT": precision,
            "INFERENCE_NUM_THREADS": 1,
            "NUM_STREAMS": 1,
            "PERFORMANCE_HINT": "LATENCY",
            "ENABLE_CPU_PINNING": False,
        },
    )
    req = compiled.create_infer_request()
    names = [o.get_any_name() for o in compiled.outputs]
    i_enc, i_sc = names.index("box_encodings"), names.index("class_scores")

    def run(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        req.infer({input_name: x})
        return req.get_output_tensor(i_enc).data.copy(), req.get_output_tensor(i_sc).data.copy()

    return run


def ort_runner(onnx_file: Path):
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_file), ssd_onnx.session_options(), providers=["CPUExecutionProvider"])
    return lambda x: tuple(sess.run(None, {"image_tensor": x}))


def split_runner(direct: Path, tensor: str, tmp: Path):
    """Float onnxruntime up to ``tensor``, OpenVINO bf16 from there on."""
    import onnx
    import onnxruntime as ort
    from onnx.utils import Extractor

    cut = "FeatureExtractor/MobilenetV2/" + tensor
    ex = Extractor(onnx.shape_inference.infer_shapes(onnx.load(str(direct))))
    head = ex.extract_model(["image_tensor"], [cut])
    tail = tmp / "tail.onnx"
    onnx.save(ex.extract_model([cut], ["box_encodings", "class_scores"]), str(tail))
    first = ort.InferenceSession(
        head.SerializeToString(), ssd_onnx.session_options(), providers=["CPUExecutionProvider"]
    )
    rest = openvino_runner(tail, "bf16", cut)
    return lambda x: rest(first.run(None, {"image_tensor": x})[0])


def translated(tmp: Path, direct: bool) -> Path:
    """The translated SSD model as a file; ``direct``: heads as plain convolutions (no Winograd)."""
    f = tmp / ("ssd_direct.onnx" if direct else "ssd.onnx")
    if not f.exists():
        f.write_bytes(ssd_onnx.load_model(winograd=not direct).onnx_bytes)
    return f


def build(candidate: str, tmp: Path):
    if candidate.startswith("ort:"):
        return ort_runner(Path(candidate[4:]))
    if candidate.startswith("split-bf16:"):
        return split_runner(translated(tmp, True), candidate.split(":", 1)[1], tmp)
    parts = candidate.split("-")
    if parts[0] != "ov" or parts[1] not in ("f32", "bf16") or parts[2:] not in ([], ["direct"]):
        raise SystemExit(f"unknown candidate {candidate!r}")
    return openvino_runner(translated(tmp, parts[2:] == ["direct"]), parts[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", type=Path, action="append", default=[])
    ap.add_argument("--candidate", action="append", default=[])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=int, default=0, help="images per folder (0 = all)")
    args = ap.parse_args()

    settings = Settings()
    s32, anchors = ssd_onnx._shared_session()
    labels, floor = coco_labels(), score_floor(settings.detector)

    def detections(raw):
        enc, sc = raw
        return to_detections(
            ssd_onnx.detection_output(enc[0], sc[0], anchors, min_score=floor), labels, settings.detector
        )

    runners = {"float": lambda x: tuple(s32.run(None, {"image_tensor": x}))}
    with tempfile.TemporaryDirectory(prefix="ssdbf16.") as tmp:
        for c in args.candidate:
            t0 = time.perf_counter()
            runners[c] = build(c, Path(tmp))
            print(f"{c}: built in {time.perf_counter() - t0:.1f} s", flush=True)
    names = list(runners)
    for folder in args.check:
        xs = []
        for path in image_files([folder])[: args.limit or None]:
            try:
                xs.append(np.ascontiguousarray(model_inputs(path, settings).detector, dtype=np.uint8)[None])
            except (SnapscribeError, OSError):
                continue
        for run in runners.values():
            run(xs[0])  # warm
        times: dict[str, list[float]] = {n: [] for n in names}
        dets: dict[str, list] = {n: [] for n in names}
        for r in range(args.rounds):
            for k, x in enumerate(xs):
                shift = (k + r) % len(names)
                for n in names[shift:] + names[:shift]:
                    t0 = time.perf_counter()
                    raw = runners[n](x)
                    times[n].append(time.perf_counter() - t0)
                    if r == 0:
                        dets[n].append(detections(raw))
        ref_ms = 1e3 * statistics.median(times["float"])
        n_ref = sum(len(d) for d in dets["float"])
        print(f"{folder}: {len(xs)} images, float {n_ref} detections, {ref_ms:.1f} ms/call (median)")
        for n in names[1:]:
            agree = [compare(r, c) for r, c in zip(dets["float"], dets[n])]
            matched = sum(len(a.pairs) for a in agree)
            drift = max((a.max_score_diff for a in agree), default=0.0)
            ms = 1e3 * statistics.median(times[n])
            print(
                f"  {n:>16}: {sum(len(d) for d in dets[n])} detections, matched {matched}/{n_ref} "
                f"= {matched / max(1, n_ref):.1%}, max score change {drift:.3f}; "
                f"{ms:.1f} ms/call, float/candidate {ref_ms / ms:.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Static int8 quantization of rapidocr's packaged DB text detector (PP-OCRv6 det small).

The calibration images are fed exactly as ``TextReader._detect`` feeds the detector: the photo
downscaled to ``max_side`` (1024), then resized (INTER_AREA) so its longer side is the detector
size with both sides multiples of 32, BGR, ``x = bgr * (2/255) - 1``, NCHW float32. Each image
is calibrated at ``--per-image`` sizes drawn from ``--sizes`` (default 320..640).

Steps: conversion to opset 13 (per-channel Q/DQ needs it), ``quant_pre_process`` (ONNX shape
inference + basic graph optimisation: Conv+bias folding, Identity removal), two exact float
rewrites (each erf-form GELU sub-graph into one ``com.microsoft.Gelu``, which stays float and
keeps onnxruntime's fused kernel; the ConvTranspose bias Adds into the ConvTranspose), calibration
one input at a time (bounded memory; the histogram methods need equal shapes per step) with the
ranges saved to a JSON cache (``--cache``; reused when it exists), then ``quantize_static``.

Defaults are the settings that won on this CPU (AMD EPYC Zen 4, AVX-512 VNNI): QDQ format, uint8
activations with int8 per-channel weights (int8 activations are ~2x *slower* than float here),
Percentile 99.999 calibration, every layer quantized (keeping the head or the neck in float
did not bring the maps closer). MinMax is close; Entropy loses boxes. QOperator runs at the same
speed as QDQ.

``--keep-fp32 N`` leaves the last N convolutions (counted back from the output; the DB head is
Conv -> ConvTranspose -> ConvTranspose -> Sigmoid) and everything after them in float;
``--exclude`` / ``--float-ops`` leave named nodes / op types in float.

``--check DIR`` afterwards compares the int8 model with the float one on images of DIR:
probability-map difference, and whether rapidocr's DB post-processing finds the same boxes.
``--bench`` times both, one thread.

Usage::

    PYTHONPATH=src python scripts/quantize_text_detector.py /tmp/det_int8.onnx \\
        --calib /tmp/photos --calib /tmp/calib [--method minmax|entropy|percentile] [--format qdq|qop] \\
        [--keep-fp32 N] [--check /tmp/injset --check-n 20] [--bench --bench-image IMG]

Use the result with ``TextReader(det_model="/tmp/det_int8.onnx")``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from PIL import Image

from snapscribe.safety.ocr import _resize_max, _round32

IMAGE_EXT = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff"}


def packaged_det_model() -> Path:
    import rapidocr

    return Path(rapidocr.__file__).parent / "models" / "PP-OCRv6_det_small.onnx"


def image_files(dirs: list[Path]) -> list[Path]:
    out = []
    for d in dirs:
        out += sorted(p for p in d.iterdir() if p.suffix.lower() in IMAGE_EXT)
    return out


def load_bgr(path: Path, max_side: int = 1024) -> np.ndarray:
    """As ``TextReader.read``: RGB, downscaled to ``max_side``, BGR."""
    rgb = np.asarray(Image.open(path).convert("RGB"))
    work, _ = _resize_max(rgb, max_side)
    return np.ascontiguousarray(work[:, :, ::-1])


def det_input(bgr: np.ndarray, side: int) -> np.ndarray:
    """The detector input, exactly as ``TextReader._detect`` builds it."""
    h, w = bgr.shape[:2]
    r = side / float(max(h, w))
    nh, nw = max(32, _round32(h * r)), max(32, _round32(w * r))
    small = cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_AREA if r < 1 else cv2.INTER_LINEAR)
    x = (small.astype(np.float32) * (2.0 / 255.0) - 1.0).transpose(2, 0, 1)[None]
    return np.ascontiguousarray(x)


class DetCalibrationReader:
    """``CalibrationDataReader`` over (image, size) pairs, with ``set_range`` for chunked use."""

    def __init__(self, samples: list[tuple[Path, int]], input_name: str = "x") -> None:
        self.samples = samples
        self.input_name = input_name
        self._cache: dict[Path, np.ndarray] = {}
        self.set_range(0, len(samples))

    def __len__(self) -> int:
        return len(self.samples)

    def set_range(self, start_index: int, end_index: int) -> None:
        self._iter = iter(self.samples[start_index:end_index])

    def get_next(self) -> dict | None:
        item = next(self._iter, None)
        if item is None:
            return None
        path, side = item
        if path not in self._cache:
            self._cache.clear()  # samples of one image are consecutive
            self._cache[path] = load_bgr(path)
        return {self.input_name: det_input(self._cache[path], side)}

    def __iter__(self):
        while (d := self.get_next()) is not None:
            yield d


def calibration_samples(files: list[Path], sizes: list[int], per_image: int, seed: int) -> list[tuple[Path, int]]:
    rng = random.Random(seed)
    out = []
    for i, f in enumerate(files):
        # spread the sizes evenly over the images, plus a random one
        picks = [sizes[(i + k * (len(sizes) // max(1, per_image))) % len(sizes)] for k in range(per_image)]
        if per_image > 1:
            picks[-1] = rng.choice(sizes)
        out += [(f, s) for s in sorted(set(picks))]
    return out


def tail_nodes(model, keep_convs: int) -> list[str]:
    """Names of the nodes from the ``keep_convs``-th last Conv/ConvTranspose to the end of the
    (topologically sorted) node list; for N <= 3 that is exactly the DB head. The FPN branches
    are interleaved in that order, so a larger N also takes parts of other branches."""
    if keep_convs <= 0:
        return []
    nodes = list(model.graph.node)
    conv_ix = [i for i, n in enumerate(nodes) if n.op_type in ("Conv", "ConvTranspose")]
    start = conv_ix[-min(keep_convs, len(conv_ix))]
    return [n.name for n in nodes[start:]]


def fold_convtranspose_bias(model) -> int:
    """Fold ``ConvTranspose -> Add(per-channel constant)`` into the ConvTranspose's bias input, in
    place (the Paddle export keeps them apart); returns how many. Quantized, the separate Add
    turns its small bias into a coarse int8 tensor; folded, it stays an exact float bias."""
    from onnx import numpy_helper

    g = model.graph
    inits = {i.name: i for i in g.initializer}
    consumers: dict[str, list] = {}
    for n in g.node:
        for t in n.input:
            consumers.setdefault(t, []).append(n)
    folded = 0
    for ct in [n for n in g.node if n.op_type == "ConvTranspose" and len(n.input) == 2]:
        c = consumers.get(ct.output[0], [])
        if len(c) != 1 or c[0].op_type != "Add":
            continue
        add = c[0]
        b_name = next((i for i in add.input if i != ct.output[0]), None)
        if b_name not in inits or ct.input[1] not in inits:
            continue
        b = numpy_helper.to_array(inits[b_name])
        cout = numpy_helper.to_array(inits[ct.input[1]]).shape[1] * max(
            1, next((a.i for a in ct.attribute if a.name == "group"), 1)
        )
        if b.size != cout or (b.ndim == 4 and b.shape[1] != cout):
            continue
        bias = numpy_helper.from_array(b.reshape(-1).astype(np.float32), name=f"{ct.name}_bias")
        g.initializer.append(bias)
        ct.input.append(bias.name)
        ct.output[0] = add.output[0]
        g.node.remove(add)
        folded += 1
    return folded


def fuse_gelu(model) -> int:
    """Replace each erf-form GELU sub-graph, x * (erf(x / sqrt2) + 1) * 0.5 (Div, Erf, Add, Mul,
    Mul), with one ``com.microsoft.Gelu`` node, in place; returns how many. onnxruntime fuses these
    itself in a float model, but not once Q/DQ nodes sit between them, and left unfused in an int8
    model they cost five kernels plus Q/DQ each. Gelu has no int8 kernel, so it stays float."""
    from onnx import helper, numpy_helper

    g = model.graph
    init = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    consumers: dict[str, list] = {}
    for n in g.node:
        for t in n.input:
            consumers.setdefault(t, []).append(n)

    def const(name: str, value: float) -> bool:
        return name in init and init[name].size == 1 and abs(float(init[name]) - value) < 1e-4

    def only(t: str, op: str):
        c = consumers.get(t, [])
        return c[0] if len(c) == 1 and c[0].op_type == op else None

    fused = 0
    for div in [n for n in g.node if n.op_type == "Div"]:
        x = div.input[0]
        if not const(div.input[1], 2**0.5):
            continue
        erf = only(div.output[0], "Erf")
        add = erf and only(erf.output[0], "Add")
        mul = add and only(add.output[0], "Mul")
        half = mul and only(mul.output[0], "Mul")
        if not (
            half
            and const(next(i for i in add.input if i != erf.output[0]), 1.0)
            and set(mul.input) == {x, add.output[0]}
            and const(next(i for i in half.input if i != mul.output[0]), 0.5)
        ):
            continue
        at = list(g.node).index(div)
        for n in (div, erf, add, mul, half):
            g.node.remove(n)
        g.node.insert(
            at, helper.make_node("Gelu", [x], [half.output[0]], name=f"Gelu_{half.name}", domain="com.microsoft")
        )
        fused += 1
    if fused and not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return fused


class CalibrationReader(Protocol):
    """What :func:`calibrate` needs of a reader (``DetCalibrationReader``, the NSFW and SSD ones)."""

    def __len__(self) -> int: ...
    def set_range(self, start_index: int, end_index: int) -> None: ...
    def get_next(self) -> dict | None: ...


def calibrate(
    pre_path: Path,
    reader: CalibrationReader,
    method,
    cache: Path,
    chunk: int,
    percentile: float,
    symmetric: bool | None,
) -> None:
    from onnxruntime.quantization.calibrate import create_calibrator, save_tensors_data

    opts: dict = {}
    if symmetric is not None:
        opts["symmetric"] = symmetric
    if percentile:
        opts["percentile"] = percentile
    with tempfile.TemporaryDirectory(prefix="detq.") as tmp:
        cal = create_calibrator(
            pre_path,
            None,
            augmented_model_path=str(Path(tmp) / "aug.onnx"),
            calibrate_method=method,
            extra_options=opts,
        )
        n = len(reader)
        t0 = time.perf_counter()
        for start in range(0, n, chunk):
            reader.set_range(start, min(n, start + chunk))
            with contextlib.redirect_stdout(io.StringIO()):  # the histogram collector prints per step
                cal.collect_data(reader)
            done = min(n, start + chunk)
            if done == n or (start // chunk) % 20 == 19:
                print(f"  calibrated {done}/{n}  ({time.perf_counter() - t0:.0f} s)", flush=True)
        with contextlib.redirect_stdout(io.StringIO()):
            ranges = cal.compute_data()
        save_tensors_data(ranges, cache)


# -- checks ------------------------------------------------------------------------------------
def _session(path: Path, threads: int = 1):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def _postprocess():
    """rapidocr's DB post-processing with the settings TextReader's engine uses."""
    from snapscribe.safety.ocr import TextReader

    return TextReader().engine._load_det_model().postprocess_op


def _aabb(box) -> np.ndarray:
    p = np.asarray(box, dtype=np.float32).reshape(-1, 2)
    return np.array([p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()])


def _match(a: list, b: list, iou_min: float = 0.5) -> int:
    """Greedy one-to-one matches between two box lists at IoU >= iou_min."""
    used = set()
    hits = 0
    for x in map(_aabb, a):
        best, bj = 0.0, -1
        for j, y in enumerate(map(_aabb, b)):
            if j in used:
                continue
            iw = max(0.0, min(x[2], y[2]) - max(x[0], y[0]))
            ih = max(0.0, min(x[3], y[3]) - max(x[1], y[1]))
            inter = iw * ih
            union = (x[2] - x[0]) * (x[3] - x[1]) + (y[2] - y[0]) * (y[3] - y[1]) - inter
            iou = inter / union if union > 0 else 0.0
            if iou > best:
                best, bj = iou, j
        if best >= iou_min:
            used.add(bj)
            hits += 1
    return hits


def check(ref: Path, quant: Path, files: list[Path], sizes: list[int]) -> None:
    s_ref, s_q = _session(ref), _session(quant)
    post = _postprocess()
    rows = []
    for f in files:
        bgr = load_bgr(f)
        h, w = bgr.shape[:2]
        for side in sizes:
            x = det_input(bgr, side)
            a = s_ref.run(None, {"x": x})[0]
            b = s_q.run(None, {"x": x})[0]
            ba, _ = post(a, (h, w))
            bb, _ = post(b, (h, w))
            ba, bb = list(ba), list(bb)
            m = _match(ba, bb)
            text_a, text_b = a > 0.3, b > 0.3
            inter = np.logical_and(text_a, text_b).sum()
            union = np.logical_or(text_a, text_b).sum()
            rows.append(
                (
                    f.name,
                    side,
                    float(np.abs(a - b).mean()),
                    float(np.abs(a - b).max()),
                    inter / union if union else 1.0,
                    len(ba),
                    len(bb),
                    m,
                )
            )
    mad = np.mean([r[2] for r in rows])
    same = sum(r[5] == r[6] == r[7] for r in rows)
    empty_flip = sum((r[5] == 0) != (r[6] == 0) for r in rows)
    print(f"\n== map agreement fp32 vs {quant.name}: {len(files)} images x sizes {sizes} ==")
    print(
        f"mean |p_fp32 - p_int8| {mad:.4f}   max {max(r[3] for r in rows):.3f}   "
        f"text-mask IoU (p>0.3) mean {np.mean([r[4] for r in rows]):.3f}"
    )
    print(
        f"same box set (IoU>=0.5, one-to-one): {same}/{len(rows)}   boxes fp32 {sum(r[5] for r in rows)}"
        f"  int8 {sum(r[6] for r in rows)}  matched {sum(r[7] for r in rows)}   "
        f"box/no-box flips: {empty_flip}"
    )
    for r in rows:
        if not (r[5] == r[6] == r[7]):
            print(f"    {r[0]} @{r[1]}: boxes fp32 {r[5]} int8 {r[6]} matched {r[7]}  mad {r[2]:.4f}")


def bench(paths: list[Path], sizes: list[int], reps: int, image: Path | None) -> None:
    """Median ms per call, one thread; the models take turns in rounds so that load from other
    processes affects them alike."""
    bgr = load_bgr(image) if image else np.random.default_rng(0).integers(0, 255, (768, 1024, 3), np.uint8)
    print(f"\n== detector ms, one thread (median of {reps} calls, interleaved) ==")
    sess = {p: _session(p) for p in paths}
    for side in sizes:
        x = det_input(bgr, side)
        times: dict[Path, list[float]] = {p: [] for p in sess}
        for s in sess.values():
            s.run(None, {"x": x})
        for _ in range(max(1, reps // 3)):
            for p, s in sess.items():
                for _ in range(3):
                    t0 = time.perf_counter()
                    s.run(None, {"x": x})
                    times[p].append((time.perf_counter() - t0) * 1000)
        print(f"{x.shape[3]}x{x.shape[2]}: " + "   ".join(f"{p.name} {np.median(t):6.1f}" for p, t in times.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="quantized model to write")
    ap.add_argument("--model", type=Path, default=None, help="float model (default: rapidocr's packaged detector)")
    ap.add_argument("--calib", type=Path, action="append", default=[], help="calibration image folder (repeatable)")
    ap.add_argument("--sizes", default="320,384,448,512,576,640", help="detector sizes (longer side)")
    ap.add_argument("--per-image", type=int, default=2, help="sizes per calibration image")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--format", choices=["qdq", "qop"], default="qdq")
    ap.add_argument("--method", choices=["minmax", "entropy", "percentile"], default="percentile")
    ap.add_argument("--percentile", type=float, default=99.999)
    ap.add_argument(
        "--symmetric-act",
        choices=["auto", "yes", "no"],
        default="auto",
        help="symmetric activation ranges in calibration (auto: the method's default)",
    )
    ap.add_argument(
        "--act-type",
        choices=["u8", "s8"],
        default="u8",
        help="activations: u8 (x86 VNNI fast path, with s8 weights) or s8",
    )
    ap.add_argument("--no-per-channel", action="store_true")
    ap.add_argument("--reduce-range", action="store_true")
    ap.add_argument("--op-types", default="", help="comma list of op types to quantize (default: all supported)")
    ap.add_argument("--keep-fp32", type=int, default=0, help="leave the last N convolutions and what follows in float")
    ap.add_argument("--no-fuse-gelu", action="store_true", help="leave the GELU sub-graphs as five ops each")
    ap.add_argument("--no-fold-bias", action="store_true", help="leave the ConvTranspose bias Adds separate")
    ap.add_argument("--float-ops", default="", help="comma list of op types to leave in float (e.g. Resize)")
    ap.add_argument("--exclude", default="", help="comma list of further node names to leave in float")
    ap.add_argument("--no-preprocess", action="store_true")
    ap.add_argument("--cache", type=Path, default=None, help="calibration ranges JSON (reused if present)")
    ap.add_argument("--chunk", type=int, default=1, help="calibration inputs per collection step (>1: MinMax only)")
    ap.add_argument("--check", type=Path, default=None, help="compare maps/boxes with the float model on this folder")
    ap.add_argument("--check-n", type=int, default=20)
    ap.add_argument("--check-sizes", default="320,512")
    ap.add_argument("--bench", action="store_true", help="time float vs int8 at --bench-sizes, one thread")
    ap.add_argument("--bench-sizes", default="320,384,512")
    ap.add_argument("--bench-image", type=Path, default=None)
    ap.add_argument("--reps", type=int, default=30)
    args = ap.parse_args()

    import onnx
    import onnx.version_converter
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    src = args.model or packaged_det_model()
    method = {
        "minmax": CalibrationMethod.MinMax,
        "entropy": CalibrationMethod.Entropy,
        "percentile": CalibrationMethod.Percentile,
    }[args.method]
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="detq.") as tmp:
        # the packaged model is opset 11; per-channel Q/DQ needs opset 13 (the `axis` attribute)
        base = Path(tmp) / "opset13.onnx"
        onnx.save(onnx.version_converter.convert_version(onnx.load(str(src)), 13), str(base))
        pre = Path(tmp) / "pre.onnx"
        if args.no_preprocess:
            pre = base
        else:
            # symbolic shape inference fails on this graph (Resize); ONNX shape inference suffices
            quant_pre_process(str(base), str(pre), skip_symbolic_shape=True)
        model = onnx.load(str(pre))
        changes = []
        if not args.no_fuse_gelu:
            changes.append(f"fused {fuse_gelu(model)} GELU sub-graphs")
        if not args.no_fold_bias:
            changes.append(f"folded {fold_convtranspose_bias(model)} ConvTranspose biases")
        if changes:
            print("; ".join(changes))
            pre = Path(tmp) / "pre_fused.onnx"
            onnx.save(model, str(pre))
        cache = args.cache or Path(tmp) / "ranges.json"
        if not cache.exists():
            if not args.calib:
                sys.exit("no --calib folder and no calibration cache")
            files = image_files(args.calib)
            samples = calibration_samples(files, sizes, args.per_image, args.seed)
            n = len(samples)
            print(f"calibrating ({args.method}) on {len(files)} images, {n} inputs, sizes {sizes}", flush=True)
            sym = {"auto": None, "yes": True, "no": False}[args.symmetric_act]
            calibrate(
                pre,
                DetCalibrationReader(samples, model.graph.input[0].name),
                method,
                cache,
                args.chunk,
                args.percentile if args.method == "percentile" else 0.0,
                sym,
            )
        exclude = tail_nodes(model, args.keep_fp32) + [s for s in args.exclude.split(",") if s]
        float_ops = {s for s in args.float_ops.split(",") if s}
        exclude += [n.name for n in model.graph.node if n.op_type in float_ops]
        exclude = list(dict.fromkeys(exclude))
        if exclude:
            print(f"left in float: {len(exclude)} nodes")
        quantize_static(
            str(pre),
            str(args.out),
            calibration_data_reader=None,
            calibration_cache_path=str(cache),
            quant_format=QuantFormat.QDQ if args.format == "qdq" else QuantFormat.QOperator,
            op_types_to_quantize=[s for s in args.op_types.split(",") if s] or None,
            per_channel=not args.no_per_channel,
            reduce_range=args.reduce_range,
            activation_type=QuantType.QUInt8 if args.act_type == "u8" else QuantType.QInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=exclude or None,
            calibrate_method=method,
        )
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB; float {src.stat().st_size / 1e6:.2f} MB)")
    if args.check:
        files = image_files([args.check])
        files = random.Random(1).sample(files, min(args.check_n, len(files)))
        check(src, args.out, files, [int(s) for s in args.check_sizes.split(",")])
    if args.bench:
        bench([src, args.out], [int(s) for s in args.bench_sizes.split(",")], args.reps, args.bench_image)


if __name__ == "__main__":
    main()

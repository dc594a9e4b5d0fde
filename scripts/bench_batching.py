#!/usr/bin/env python
"""Does batching pay on this CPU? The classifier (EfficientNet-Lite3 int8, ai-edge-litert), the NSFW
model (the ONNX copy ``nsfw.model`` selects here) and the SSD detector (float onnxruntime, heads as
plain convolutions since the shipped Winograd heads are built for one image; and its bf16 part through
OpenVINO where installed), each on real detector/classifier inputs.

For each model: ms per image at batch 1, 4 and 8 on one thread (median over ``--rounds`` passes,
the batch sizes taking turns), and images/s of two threads each running batch 1 (the pipeline's
parallelism on 2 cores) against one thread running batch 8 twice as often.

    PYTHONPATH=src python scripts/bench_batching.py devset/cache [--images 32] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_detectors import image_files, model_inputs

SIZES = (1, 4, 8)


def classifier_runner():
    """A factory of per-thread ``run(batch uint8 NHWC) -> None`` over the packaged TFLite model."""
    from ai_edge_litert.interpreter import Interpreter

    from snapscribe.weights import detect_models_file

    path = str(detect_models_file("efficientnet_lite3.tflite"))

    def make():
        its: dict[int, object] = {}

        def run(x: np.ndarray) -> None:
            it = its.get(len(x))
            if it is None:
                it = its[len(x)] = Interpreter(model_path=path, num_threads=1)
                idx = it.get_input_details()[0]["index"]
                it.resize_tensor_input(idx, list(x.shape))
                it.allocate_tensors()
            it.set_tensor(it.get_input_details()[0]["index"], x)
            it.invoke()

        return run

    return make


def nsfw_runner():
    from snapscribe.config import Settings
    from snapscribe.safety.nsfw import NSFWScorer, model_path

    scorer = NSFWScorer(model_path(Settings().nsfw.model))
    return lambda: scorer._run


def detector_runner(engine: str):
    import onnx
    import onnxruntime as ort

    from snapscribe.engines import ssd_onnx

    model = onnx.load_from_string(ssd_onnx.load_model(winograd=False).onnx_bytes)
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
    for out in model.graph.output:
        out.type.tensor_type.shape.dim[0].dim_param = "N"
    for t in model.graph.initializer:
        if t.name.endswith("/shape"):  # the heads' Reshape to (1, -1, K): copy the batch instead
            v = onnx.numpy_helper.to_array(t).copy()
            v[0] = 0
            t.CopyFrom(onnx.numpy_helper.from_array(v, t.name))
    data = model.SerializeToString()
    if engine == "ort":
        sess = ort.InferenceSession(data, ssd_onnx.session_options(), providers=["CPUExecutionProvider"])
        return lambda: lambda x: sess.run(None, {"image_tensor": x})
    import io

    import openvino as ov

    core = ov.Core()
    cfg = {
        "INFERENCE_PRECISION_HINT": "bf16",
        "INFERENCE_NUM_THREADS": 1,
        "NUM_STREAMS": 1,
        "ENABLE_CPU_PINNING": False,
    }

    def make():
        reqs: dict[int, object] = {}

        def run(x: np.ndarray) -> None:
            req = reqs.get(len(x))
            if req is None:
                m = core.read_model(io.BytesIO(data))
                m.reshape({"image_tensor": list(x.shape)})
                req = reqs[len(x)] = core.compile_model(m, "CPU", cfg).create_infer_request()
            req.infer({"image_tensor": x})

        return run

    return make


def measure(name: str, make: Callable, xs: np.ndarray, rounds: int) -> None:
    run = make()
    for b in SIZES:
        try:
            run(xs[:b])  # build and warm
        except RuntimeError as exc:
            print(f"{name}: batch {b} does not run: {str(exc).splitlines()[0]}", flush=True)
            return
    per: dict[int, list[float]] = {b: [] for b in SIZES}
    for r in range(rounds):
        for b in SIZES[r % len(SIZES) :] + SIZES[: r % len(SIZES)]:
            t0 = time.perf_counter()
            for s in range(0, len(xs) - b + 1, b):
                run(xs[s : s + b])
            per[b].append((time.perf_counter() - t0) / (len(xs) // b * b))
    ms = {b: 1e3 * statistics.median(v) for b, v in per.items()}

    def threads(b: int, n: int) -> float:
        runs = [make() for _ in range(n)]
        for f in runs:
            f(xs[:b])

        def work(f):
            for s in range(0, len(xs) - b + 1, b):
                f(xs[s : s + b])

        t0 = time.perf_counter()
        ts = [threading.Thread(target=work, args=(f,)) for f in runs]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return n * (len(xs) // b * b) / (time.perf_counter() - t0)

    two_1 = statistics.median(threads(1, 2) for _ in range(rounds))
    two_8 = statistics.median(threads(8, 2) for _ in range(rounds))
    row = "  ".join(f"batch {b}: {ms[b]:.1f} ms/image ({1e3 / ms[b]:.0f}/s)" for b in SIZES)
    print(f"{name}: one thread {row}; two threads: batch 1 {two_1:.0f}/s, batch 8 {two_8:.0f}/s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--images", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="classifier,nsfw,detector,detector-bf16")
    args = ap.parse_args()
    from snapscribe.safety.nsfw import preprocess

    files = [f for d in args.folders for f in image_files(d)][: args.images]
    inputs = [model_inputs(f) for f in files]
    only = args.only.split(",")
    if "classifier" in only:
        cls = np.stack([i.classifier for i in inputs]).astype(np.uint8)
        measure("classifier (EfficientNet-Lite3 int8, 280 px)", classifier_runner(), cls, args.rounds)
    if "nsfw" in only:
        nsfw = np.stack([preprocess(i.work) for i in inputs])
        measure("NSFW (open_nsfw, 224 px)", nsfw_runner(), nsfw, args.rounds)
    det = np.stack([i.detector for i in inputs]).astype(np.uint8)
    if "detector" in only:
        measure("detector, float onnxruntime (plain-conv heads)", detector_runner("ort"), det, args.rounds)
    if "detector-bf16" in only:
        measure("detector, whole network bf16 OpenVINO", detector_runner("ov"), det, args.rounds)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Experiment: static int8 of the SSD graph ``engines/ssd_onnx.py`` builds in memory, checked
against the float session (not shipped: see docs/performance.md).

The float model is written to a temporary file, run through ``quant_pre_process`` and calibrated
as in ``scripts/quantize_text_detector.py`` (whose ``calibrate`` this reuses) on the detector
inputs (300 x 300 uint8) the pipeline builds; then ``quantize_static`` (QDQ, uint8 activations,
per-channel int8 weights). Detections of both on ``--check`` folders are paired as in
``scripts/compare_detectors.py`` (same label, IoU >= 0.5) and both are timed back to back, one
thread.

    PYTHONPATH=src python scripts/try_int8_ssd.py --calib devset/cache --calib devset/cache-extra \\
        --check devset/cache [--ops Conv] [--float-depthwise] [--method percentile|minmax] [--cache R.json]
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
from quantize_text_detector import calibrate, image_files

from snapscribe.config import Settings
from snapscribe.engines import ssd_onnx
from snapscribe.engines.ssd_detector import coco_labels, score_floor, to_detections
from snapscribe.errors import SnapscribeError


class DetectorCalibrationReader:
    def __init__(self, files: list[Path]) -> None:
        self.files = files
        self.settings = Settings()
        self.set_range(0, len(files))

    def __len__(self) -> int:
        return len(self.files)

    def set_range(self, start_index: int, end_index: int) -> None:
        self._iter = iter(self.files[start_index:end_index])

    def get_next(self) -> dict | None:
        for path in self._iter:
            try:
                x = model_inputs(path, self.settings).detector
            except (SnapscribeError, OSError):
                continue
            return {"image_tensor": np.ascontiguousarray(x, dtype=np.uint8)[None]}
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calib", type=Path, action="append", default=[])
    ap.add_argument("--check", type=Path, action="append", default=[])
    ap.add_argument("--method", choices=["percentile", "minmax"], default="percentile")
    ap.add_argument("--ops", default="", help="comma list of op types to quantize (default: all)")
    ap.add_argument(
        "--float-depthwise",
        action="store_true",
        help="leave depthwise convs, the first conv and the box-predictor convs in float",
    )
    ap.add_argument("--cache", type=Path, default=None, help="calibration ranges JSON (reused if present)")
    ap.add_argument("--out", type=Path, default=None, help="keep the int8 model here")
    args = ap.parse_args()

    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    method = {"percentile": CalibrationMethod.Percentile, "minmax": CalibrationMethod.MinMax}[args.method]
    with tempfile.TemporaryDirectory(prefix="ssdq.") as tmp:
        fp32 = Path(tmp) / "ssd.onnx"
        fp32.write_bytes(ssd_onnx.load_model().onnx_bytes)
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
        cache = args.cache or Path(tmp) / "ranges.json"
        if not cache.exists():
            files = image_files(args.calib)
            print(f"calibrating ({args.method}) on {len(files)} images", flush=True)
            calibrate(
                pre,
                DetectorCalibrationReader(files),
                method,
                cache,
                8,
                99.999 if args.method == "percentile" else 0.0,
                None,
            )
        model = onnx.load(str(pre))
        convs = [n for n in model.graph.node if n.op_type == "Conv"]
        exclude = []
        if args.float_depthwise:
            exclude = [n.name for n in convs if any(a.name == "group" and a.i > 1 for a in n.attribute)]
            exclude += [convs[0].name] + [n.name for n in convs if n.name.startswith("BoxPredictor")]
        q = args.out or Path(tmp) / "ssd_int8.onnx"
        quantize_static(
            str(pre),
            str(q),
            calibration_data_reader=None,
            calibration_cache_path=str(cache),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=method,
            op_types_to_quantize=[s for s in args.ops.split(",") if s] or None,
            nodes_to_exclude=exclude or None,
        )
        print(
            f"int8 {q.stat().st_size / 1e6:.1f} MB, float {fp32.stat().st_size / 1e6:.1f} MB; "
            f"{len(exclude)} convs left in float"
        )
        s8 = ort.InferenceSession(str(q), ssd_onnx.session_options(), providers=["CPUExecutionProvider"])

    settings = Settings()
    s32, anchors = ssd_onnx._shared_session()
    labels, floor = coco_labels(), score_floor(settings.detector)

    def detect(sess, x):
        enc, sc = sess.run(None, {"image_tensor": x})
        return to_detections(
            ssd_onnx.detection_output(enc[0], sc[0], anchors, min_score=floor), labels, settings.detector
        )

    n_ref = n_new = matched = images = 0
    t32: list[float] = []
    t8: list[float] = []
    for path in image_files(args.check):
        try:
            x = np.ascontiguousarray(model_inputs(path, settings).detector, dtype=np.uint8)[None]
        except (SnapscribeError, OSError):
            continue
        t0 = time.perf_counter()
        ref = detect(s32, x)
        t1 = time.perf_counter()
        new = detect(s8, x)
        t2 = time.perf_counter()
        t32.append(t1 - t0)
        t8.append(t2 - t1)
        agree = compare(ref, new)
        images += 1
        n_ref, n_new, matched = n_ref + len(ref), n_new + len(new), matched + len(agree.pairs)
    print(
        f"{images} images: float {n_ref} detections, int8 {n_new}, matched (same label, IoU >= 0.5) "
        f"{matched} = {matched / max(1, n_ref):.1%} of float"
    )
    print(
        f"ms/image, one thread, back to back: float {1e3 * statistics.median(t32):.1f}  "
        f"int8 {1e3 * statistics.median(t8):.1f}  ratio {statistics.median(t32) / statistics.median(t8):.2f}"
    )


if __name__ == "__main__":
    main()

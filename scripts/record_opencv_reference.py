#!/usr/bin/env python3
"""Record OpenCV DNN's outputs for the packaged SSD graph into tests/data/ssd_opencv_reference.npz.

The ONNX translation (engines/ssd_onnx.py) is checked against these stored outputs, so its tests
do not need a live TensorFlow importer (OpenCV 5 removed it). Needs opencv-python-headless 4.x:

    .venv/bin/python scripts/record_opencv_reference.py

Stored: for cat.jpg, OpenCV's box encodings, sigmoid scores, priors and DetectionOutput rows;
for every image of samples/, OpenCV's detections (class id, score, box) as SSDDetector returns them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "ssd_opencv_reference.npz"
sys.path.insert(0, str(ROOT / "scripts"))

from compare_detectors import image_files, model_inputs  # noqa: E402


def main() -> None:
    import cv2

    from snapscribe.config import Settings
    from snapscribe.engines.ssd_detector import SSDDetector
    from snapscribe.weights import detect_models_file

    settings = Settings()
    image = model_inputs(ROOT / "samples" / "cat.jpg", settings).detector
    cv2.setNumThreads(1)
    net = cv2.dnn.readNetFromTensorflow(
        str(detect_models_file("frozen_inference_graph.pb")),
        str(detect_models_file("ssd_mobilenet_v2_coco_2018_03_29.pbtxt")),
    )
    raw = {}
    for name in ("BoxEncodingPredictor/concat", "ClassPredictor/concat/sigmoid", "PriorBox/concat", "detection_out"):
        net.setInput(cv2.dnn.blobFromImage(image, size=(300, 300), swapRB=False))
        raw[name] = net.forward(name)
    arrays: dict[str, np.ndarray] = {
        "cat_image": image,
        # OpenCV's box encodings come out as (tx, ty, tw, th); TF's are (ty, tx, th, tw).
        "cat_encodings": raw["BoxEncodingPredictor/concat"].reshape(-1, 4)[:, [1, 0, 3, 2]],
        "cat_scores": raw["ClassPredictor/concat/sigmoid"].reshape(-1, 91),
        "cat_rows": raw["detection_out"][0, 0][:, 1:],
    }
    x0, y0, x1, y1 = raw["PriorBox/concat"][0, 0].reshape(-1, 4).T
    arrays["cat_anchors"] = np.stack([(y0 + y1) / 2, (x0 + x1) / 2, y1 - y0, x1 - x0], axis=1)
    detector = SSDDetector(settings.detector)
    for path in image_files(ROOT / "samples"):
        dets = detector.detect(model_inputs(path, settings))
        arrays[f"dets/{path.name}"] = np.array([[d.class_id, d.score, *d.box] for d in dets], dtype=np.float64).reshape(
            -1, 6
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"{len(arrays)} arrays -> {OUT} ({OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()

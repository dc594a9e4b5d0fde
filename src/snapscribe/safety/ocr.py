"""OCR with a cheap text-presence gate, on rapidocr's packaged PP-OCR models.

Most photos carry no text, and a full OCR pass (DB detector + CRNN recogniser) costs a few
hundred milliseconds on one core, so :meth:`TextReader.read` first runs :meth:`has_text`:
a classical stroke/edge heuristic on a ~480 px grey image (a few ms). Only when it sees
text-like structure does the full pass run. Its score also sizes the detector input: large
text is detected on a smaller image, which is most of the cost.

The gate (no model): horizontal runs of strong, short edges. Characters are thin strokes with
high local contrast; a morphological gradient finds them, a horizontal closing joins the
letters of a word into one blob, and blobs are kept when they look like words (height
6..25 % of the image, wider than tall, solid, with many vertical edge crossings along the
middle row). The score grows with the number of such blobs and how many are stacked in
lines. Textured photos (gravel, foliage) produce irregular blobs that fail the shape test.

Staged (default): photos the gate lets through (about half of ordinary photos) get a
*confirm* pass, rapidocr's DB detector alone at 320..512 px (sized so the gate's text height
is ~16 px at detector scale). No box, or one squarish box (a blob, not a line of words) ->
done (``stage="detect"``). Boxes -> detection at the
full-pass size (480..960), then recognition of those boxes only (``stage="recognise"``).
``OcrResult.stage`` says which step decided. The detector is called directly with a per-call
input size, so no shared detector state is mutated.

Only rapidocr's default packaged models are used (others would try to download). One engine
per :class:`TextReader`, built lazily; onnxruntime sessions are thread-safe, so one reader can
serve several worker threads (``threads`` is the intra-op count per call, 1 by default
because the pipeline parallelises across images).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ..cpu import ModelPrecision, use_int8

__all__ = ["INT8_DETECTOR", "OcrLine", "OcrResult", "TextReader", "detector_path"]

#: rapidocr's PP-OCRv6 small DB detector, statically quantized to int8 (QDQ, per-channel weights)
#: by ``scripts/quantize_text_detector.py``; ~1.7x faster than the packaged float model on
#: AVX-512 VNNI CPUs with the same injection recall (README, "Safety").
INT8_DETECTOR = Path(__file__).resolve().parent.parent / "data" / "ppocr_v6_det_small_int8.onnx"


def detector_path(choice: ModelPrecision) -> str | None:
    """The DB detector ``ocr.detector`` selects on this CPU: the int8 copy, or None for rapidocr's own."""
    return str(INT8_DETECTOR) if use_int8(choice) else None


@dataclass
class OcrLine:
    text: str
    score: float
    box: list[int]  # [x0, y0, x1, y1] in pixels of the image passed to read()


@dataclass
class OcrResult:
    text: str = ""
    lines: list[OcrLine] = field(default_factory=list)
    ran_full: bool = False
    gate_score: float = 0.0
    gate_ms: float = 0.0
    ocr_ms: float = 0.0
    det_ms: float = 0.0  # detector part of ocr_ms
    det_side: int = 0  # detector input size (longer side), 0 when it did not run
    n_boxes: int = 0  # boxes recognised
    stage: str = ""  # what decided: "gate" (no text seen), "detect" (no boxes), "recognise"

    @property
    def ms(self) -> float:
        return self.gate_ms + self.ocr_ms


def _as_rgb_array(image: Image.Image | np.ndarray) -> np.ndarray:
    if isinstance(image, np.ndarray):
        arr = image
        if arr.ndim == 2:
            arr = np.stack([arr] * 3, axis=-1)
        elif arr.shape[2] == 4:
            arr = arr[:, :, :3]
        return np.ascontiguousarray(arr, dtype=np.uint8)
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image)


def _resize_max(arr: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    h, w = arr.shape[:2]
    scale = side / max(h, w)
    if scale >= 1.0:
        return arr, 1.0
    out = cv2.resize(arr, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return out, scale


_K3 = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))


class TextReader:
    """Reads text from images: gate first, then rapidocr detection + recognition.

    ``gate_threshold``: a :meth:`has_text` score at or above it runs the full pass.
    ``max_side``: the image is downscaled to this before OCR (recognition crops come from it).
    ``det_side``: the detector's input size bounds (smallest, largest); the gate's estimate of
    the text height picks a value in between.
    """

    def __init__(
        self,
        *,
        threads: int = 1,
        gate: bool = True,
        gate_threshold: float = 0.25,
        gate_side: int = 480,
        max_side: int = 1024,
        det_side: tuple[int, int] = (480, 960),
        min_line_score: float = 0.5,
        use_cls: bool = False,
        staged: bool = True,
        confirm_side: tuple[int, int] = (320, 512),
        confirm_text_px: float = 16.0,
        min_box_px: float = 5.0,
        max_boxes: int = 48,
        refine: bool = True,
        det_model: str | None = None,
    ) -> None:
        self.threads = threads
        self.det_model = det_model
        self.gate = gate
        self.gate_threshold = gate_threshold
        self.gate_side = gate_side
        self.max_side = max_side
        self.det_side = det_side
        self.min_line_score = min_line_score
        self.use_cls = use_cls
        self.staged = staged
        self.confirm_side = confirm_side
        self.confirm_text_px = confirm_text_px
        self.min_box_px = min_box_px
        self.max_boxes = max_boxes
        self.refine = refine
        self._engine = None
        self._lock = threading.Lock()
        self._edge_floor = 40.0
        self._edge_pct = 85.0
        self._max_candidates = 1500
        self._evidence_scale = 6.0
        # The confirm pass's one and only box must be this elongated to count as text: a lone
        # squarish blob is texture (measured: 6 of 100 dev photos, none of 120 text images).
        self.min_line_aspect = 1.5

    # -- engine ------------------------------------------------------------------------------
    @property
    def engine(self):
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    from rapidocr import RapidOCR

                    params = {
                        "Global.log_level": "error",  # "detection result is empty" is not a problem
                        "Global.use_cls": self.use_cls,
                        "Global.text_score": self.min_line_score,
                        "Global.max_side_len": max(self.max_side, 64),
                        "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
                        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                        "Det.limit_type": "max",
                        "Det.limit_side_len": self.det_side[1],
                    }
                    if self.det_model:  # another ONNX file for the DB detector (e.g. an int8 copy)
                        params["Det.model_path"] = str(self.det_model)
                    self._engine = RapidOCR(params=params)
        return self._engine

    # -- gate ---------------------------------------------------------------------------------
    def has_text(self, image: Image.Image | np.ndarray) -> float:
        """0..1 likelihood that the image carries legible text. Costs a few ms."""
        score, _ = self._gate(_as_rgb_array(image))
        return score

    def _gate(self, rgb: np.ndarray) -> tuple[float, float]:
        """(score, median character height as a fraction of the image's longer side)."""
        small, _ = _resize_max(rgb, self.gate_side)
        H, W = small.shape[:2]
        if min(H, W) < 16:
            return 0.0, 0.0
        side = max(H, W)
        # colour gradient (max over channels): red text on blue sky has little grey contrast
        g3 = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, _K3)
        grad = cv2.max(cv2.max(g3[:, :, 0], g3[:, :, 1]), g3[:, :, 2])  # numpy's axis-2 max is ~10x slower
        thr = max(self._edge_floor, _percentile_u8(grad, self._edge_pct))
        edges = (grad >= thr).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(edges, connectivity=8)
        if n <= 3:
            return 0.0, 0.0
        st = stats[1:]
        x, y, w, h, area = (st[:, i].astype(np.float32) for i in range(5))
        # character-like components: size, aspect, ink
        # (letters, or whole words where the letters touch)
        keep = (h >= 5) & (h <= 0.2 * side) & (w >= 2) & (w <= 12 * h) & (area >= 0.12 * w * h) & (area <= 0.9 * w * h)
        idx = np.flatnonzero(keep)
        if len(idx) < 3:
            return 0.0, 0.0
        if len(idx) > self._max_candidates:  # very busy texture: subsample evenly
            idx = idx[np.linspace(0, len(idx) - 1, self._max_candidates).astype(int)]
        x, y, w, h = x[idx], y[idx], w[idx], h[idx]
        cy = y + h / 2.0
        # link i -> j when j is the next letter to the right on the same line, of similar height
        hmax = np.maximum(h[:, None], h[None, :])
        hmin = np.minimum(h[:, None], h[None, :])
        gap = x[None, :] - (x[:, None] + w[:, None])
        link = (
            ((hmax / hmin) < 1.6)
            & (np.abs(cy[:, None] - cy[None, :]) < 0.3 * hmax)
            & (gap > -0.15 * hmax)
            & (gap < 0.8 * hmax)
        )
        np.fill_diagonal(link, False)
        has_right = link.any(axis=1)
        has_left = link.any(axis=0)
        middle = has_left | has_right  # in a chain of >= 2 letters / words on one line
        m = int(middle.sum())
        if m == 0:
            return 0.0, 0.0
        # texture penalty: text occupies lines; a field of linked blobs covering the image is not text
        frac = m / float(len(idx))
        evidence = m * (0.5 if (frac >= 0.5 and len(idx) >= 30) else 1.0)
        score = float(1.0 - np.exp(-evidence / self._evidence_scale))
        return round(score, 4), float(np.median(h[middle])) / side

    # -- staged pass ---------------------------------------------------------------------------
    def read(self, image: Image.Image | np.ndarray, force: bool = False) -> OcrResult:
        """Gate, then (if the gate passes or ``force``) detection + recognition.

        Staged (the default): the edge gate; then rapidocr's DB detector alone on a small
        image (``confirm_side``, sized from the gate's text-height estimate), which clears
        most textured photos the gate lets through; recognition then runs only on the boxes
        it found, cropped from the full-resolution image, so the detector never reruns at
        full size. ``staged=False`` keeps the former single full pass (detector at
        ``det_side``) after the gate. ``force`` skips the gate and detects at ``det_side[1]``.
        """
        rgb = _as_rgb_array(image)
        t0 = time.perf_counter()
        gate_score, text_h = self._gate(rgb) if (self.gate or not force) else (1.0, 0.0)
        gate_ms = (time.perf_counter() - t0) * 1000.0
        if not force and self.gate and gate_score < self.gate_threshold:
            return OcrResult(gate_score=gate_score, gate_ms=gate_ms, stage="gate")
        t1 = time.perf_counter()
        work, scale = _resize_max(rgb, self.max_side)
        bgr = np.ascontiguousarray(work[:, :, ::-1])
        work_side = max(work.shape[:2])
        if force:
            det_side = min(self.det_side[1], _round32(work_side))
        elif self.staged:
            det_side = self._confirm_side_for(text_h, work_side)
        else:
            det_side = self._det_side_for(text_h, work_side)
        boxes = self._detect(bgr, det_side)
        det_ms = (time.perf_counter() - t1) * 1000.0
        # boxes too small to carry a sentence at the scale they were found are dropped
        min_h = max(self.min_box_px * work_side / float(det_side), 4.0)
        boxes = [b for b in boxes if _box_hw(b)[0] >= min_h]
        if self.staged and not force and len(boxes) == 1 and _aspect(boxes[0]) < self.min_line_aspect:
            boxes = []  # one squarish blob is a texture or a logo, not a line of words
        if not boxes:
            ocr_ms = (time.perf_counter() - t1) * 1000.0
            return OcrResult(
                gate_score=gate_score, gate_ms=gate_ms, ocr_ms=ocr_ms, det_ms=det_ms, det_side=det_side, stage="detect"
            )
        if self.staged and self.refine and not force:
            # boxes from the small confirm pass cut and merge letters; text images are rare,
            # so they get the full-size detector for recognition
            full_side = self._det_side_for(text_h, work_side)
            if full_side > det_side:
                det_side = full_side
                boxes = [b for b in self._detect(bgr, det_side) if _box_hw(b)[0] >= 4.0]
                det_ms = (time.perf_counter() - t1) * 1000.0
        lines = self._recognise(bgr, boxes)
        inv = 1.0 / scale
        for ln in lines:
            ln.box = [round(v * inv) for v in ln.box]
        ocr_ms = (time.perf_counter() - t1) * 1000.0
        text = "\n".join(ln.text for ln in lines)
        return OcrResult(
            text=text,
            lines=lines,
            ran_full=True,
            gate_score=gate_score,
            gate_ms=gate_ms,
            ocr_ms=ocr_ms,
            det_ms=det_ms,
            det_side=det_side,
            n_boxes=len(boxes),
            stage="recognise",
        )

    def _det_side_for(self, text_h: float, work_side: int) -> int:
        """Full-pass detector input size: text blobs of ~20 px at detector scale are enough."""
        lo, hi = self.det_side
        side = hi if text_h <= 0 else int(np.clip(20.0 / text_h, lo, hi))
        return _round32(min(side, max(32, work_side)))

    def _confirm_side_for(self, text_h: float, work_side: int) -> int:
        """Confirm-pass detector input size: the smallest at which the gate's text height
        reaches ``confirm_text_px`` pixels, within ``confirm_side``."""
        lo, hi = self.confirm_side
        side = hi if text_h <= 0 else int(np.clip(self.confirm_text_px / text_h, lo, hi))
        return _round32(min(side, max(32, work_side)))

    def _detect(self, bgr: np.ndarray, side: int) -> list[np.ndarray]:
        """rapidocr's DB detector on ``bgr`` scaled so its longer side is ``side`` (a multiple
        of 32 on both axes); quadrilaterals in ``bgr`` pixels, top-to-bottom, left-to-right.
        The per-call size is local (no shared detector state is changed)."""
        det = self.engine._load_det_model()
        h, w = bgr.shape[:2]
        r = side / float(max(h, w))
        nh, nw = max(32, _round32(h * r)), max(32, _round32(w * r))
        small = cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_AREA if r < 1 else cv2.INTER_LINEAR)
        x = (small.astype(np.float32) * (2.0 / 255.0) - 1.0).transpose(2, 0, 1)[None]
        preds = det.session(np.ascontiguousarray(x))
        boxes, _scores = det.postprocess_op(preds, (h, w))
        if len(boxes) == 0:
            return []
        return list(det.sorted_boxes(np.asarray(boxes, dtype=np.float32)))

    def _recognise(self, bgr: np.ndarray, boxes: list[np.ndarray]) -> list[OcrLine]:
        from rapidocr.ch_ppocr_rec import TextRecInput
        from rapidocr.utils.process_img import get_rotate_crop_image

        rec = self.engine._load_rec_model()
        boxes = boxes[: self.max_boxes]
        if not boxes:
            return []
        crops = [get_rotate_crop_image(bgr, np.array(b, dtype=np.float32)) for b in boxes]
        if self.use_cls:
            crops = list(self.engine._load_cls_model()(crops).img_list)
        out = rec(TextRecInput(img=crops, return_word_box=False))
        lines = []
        for b, txt, sc in zip(boxes, out.txts or (), out.scores or ()):
            if not txt or not txt.strip() or sc < self.min_line_score:
                continue
            pts = np.asarray(b).reshape(-1, 2)
            h, w = bgr.shape[:2]
            bb = [
                int(max(0, pts[:, 0].min())),
                int(max(0, pts[:, 1].min())),
                int(min(w, pts[:, 0].max())),
                int(min(h, pts[:, 1].max())),
            ]
            lines.append(OcrLine(text=txt.strip(), score=float(sc), box=bb))
        return lines


def _percentile_u8(a: np.ndarray, pct: float) -> float:
    """``np.percentile(a, pct)`` (linear interpolation) of a uint8 array, from its histogram."""
    counts = np.bincount(a.ravel(), minlength=256).cumsum()
    pos = pct / 100.0 * (a.size - 1)
    lo_i = int(np.floor(pos))
    lo, hi = np.searchsorted(counts, [lo_i, min(lo_i + 1, a.size - 1)], side="right")
    return float(lo + (pos - lo_i) * (hi - lo))


def _round32(v: float) -> int:
    return max(32, round(v / 32.0) * 32)


def _aspect(box: np.ndarray) -> float:
    h, w = _box_hw(box)
    return w / max(h, 1e-6)


def _box_hw(box: np.ndarray) -> tuple[float, float]:
    """(height, width) of a detector quadrilateral (points clockwise from top-left)."""
    p = np.asarray(box, dtype=np.float32).reshape(4, 2)
    h = min(np.linalg.norm(p[0] - p[3]), np.linalg.norm(p[1] - p[2]))
    w = max(np.linalg.norm(p[0] - p[1]), np.linalg.norm(p[3] - p[2]))
    return float(h), float(w)

"""The safety gates, in order, before any understanding model sees the image:

1. hash scan — PDQ of the image and its 8 dihedral variants against every hash list;
   a match blocks, and nothing later runs;
2. NSFW — open_nsfw score; when it is high, a second opinion (bare skin in the detected
   people, :mod:`.skin`), then explicit / suggestive categories and allow / review / block
   by the table in :mod:`.moderation`;
3. OCR + injection — text in the image that addresses a model is flagged; it is kept
   for moderators but never reaches a prompt or a caption.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np
from PIL import Image

from ..config import Settings
from ..engines.base import Detection, Detector
from ..intake import DecodedImage
from ..normalize import ModelInputs
from ..records import ImageRecord, Injection, Safety, Status
from .hashlists import HashListStore
from .injection import InjectionDetector
from .injection_model import load_model
from .nsfw import NSFWScorer
from .nsfw import model_path as nsfw_model_path
from .nsfw_gate import NSFWGate
from .ocr import TextReader, detector_path
from .pdq import DIHEDRAL_NAMES, PdqHash, compute_dihedral
from .pdq_fast import dihedral_from_luma, dihedral_views_from_luma, luma_plane, transformed_from_luma

if TYPE_CHECKING:
    from ..pipeline import Timings
    from ..store import ResultStore

PDQ_FEATURE = "pdq-variants"
WIDE_MEDIAN_PER_PX = 15 / 512  # kernel of the wide median view, per pixel of the long side


def query_variants(work: Image.Image) -> list[tuple[str, PdqHash]]:
    """PDQ of the image in its 8 rotations/mirrors, and of robustness views of it.

    * The 8 dihedral forms are hashes of the truly transformed pixels (the original by the
      reference implementation, pdqhash, so it is exact for lists made by other tools). PDQ's
      DCT-domain dihedral shortcut is not exact (measured: a mirrored 256 px photo lands up to
      ~90 bits, mean ~29, from the hash of the mirrored pixels), so it is used only for the
      robustness views below.
    * PDQ alone misses small crops and caption overlays (measured: a 2% crop moves it 34-48
      bits). Reflect-padding the query by 2% and 4% re-aligns a cropped copy with the listed
      original; a median filter wipes thin overlaid text strokes (7 px), and a wider one, scaled
      to the image (15 px per 512), wipes bold meme-style captions, upright only.

    The list side is left untouched, so hashes imported from other programs still match.
    """
    arr = np.asarray(work)
    h, w = arr.shape[:2]
    # The robustness views use pdq_fast (numpy/OpenCV, ~6x faster than pdqhash, same bits on our
    # test images). PDQ hashes luminance only, so the views are made on the luma plane: reflect
    # padding commutes with the per-pixel luma, and pdq_fast folds the padding (and the reference
    # 512 x 512 pre-scale that a padded view over 512 px gets) into its filter operators.
    luma = luma_plane(arr)
    out = [compute_dihedral(arr)[0], *transformed_from_luma(luma, DIHEDRAL_NAMES[1:])]
    pads = [(max(1, int(h * f)), max(1, int(w * f))) for f in (0.02, 0.04)]
    for f, hashes in zip((0.02, 0.04), dihedral_views_from_luma(luma, pads)):
        out += [(f"pad{int(f * 100)}+" + name, h_) for name, h_ in hashes]
    # Median filters on the grey image (3x cheaper than on RGB), hashed as one grey plane.
    grey = cv2.cvtColor(arr, cv2.COLOR_RGB2GRAY)
    out += [("median+" + name, h_) for name, h_ in dihedral_from_luma(cv2.medianBlur(grey, 7))]
    # The wide median runs at half size (7 px there ~ 15 px here; 6x cheaper than a 15 px median).
    half = cv2.resize(grey, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    wide = max(3, round(max(h, w) / 2 * WIDE_MEDIAN_PER_PX / 2) * 2 + 1)
    out.append(("median_wide+original", dihedral_from_luma(cv2.medianBlur(half, wide))[0][1]))
    return out


@dataclass(frozen=True)
class SafetyVerdict:
    status: Status  # captioned (allowed), review or blocked
    safety: Safety
    text_boxes: tuple[tuple[float, float, float, float], ...] = ()  # OCR lines, fractions of the upright frame
    detections: tuple[Detection, ...] | None = None  # when the NSFW second opinion ran the detector


class SafetyGates:
    """Runs the gates for one image and explains each decision in :class:`Safety`."""

    def __init__(
        self,
        settings: Settings,
        hashlists: HashListStore | None,
        *,
        nsfw: NSFWScorer | None = None,
        reader: TextReader | None = None,
        injection: InjectionDetector | None = None,
        detector: Detector | None = None,
    ):
        self.settings = settings
        self.hashlists = hashlists
        self.nsfw = (
            nsfw
            if nsfw is not None
            else (NSFWScorer(nsfw_model_path(settings.nsfw.model)) if settings.nsfw.enabled else None)
        )
        # The detector finds the people for the NSFW second opinion (None: no person, so no block).
        self.nsfw_gate = NSFWGate(self.nsfw, detector, settings.nsfw) if self.nsfw is not None else None
        self.reader = (
            reader
            if reader is not None
            else (
                TextReader(
                    gate=settings.ocr.gate,
                    staged=settings.ocr.staged,
                    det_model=detector_path(settings.ocr.detector),
                )
                if settings.ocr.enabled
                else None
            )
        )
        self.injection = injection or InjectionDetector(
            model=load_model(settings.ocr.injection_semantic) if settings.ocr.injection_model else None
        )

    # -- fresh images --------------------------------------------------------------------
    def check(
        self,
        decoded: DecodedImage,
        inputs: ModelInputs,
        t: Timings,
        store: ResultStore | None = None,
        sha256: str | None = None,
    ) -> SafetyVerdict:
        cfg = self.settings
        reasons: list[str] = []
        with t.stage("hash_scan"):
            variants = query_variants(inputs.work)
            original = variants[0][1]
            match = None
            if self.hashlists is not None and cfg.hashlist.enabled and original.quality >= cfg.hashlist.min_quality:
                match = self.hashlists.match(variants, cfg.hashlist.threshold)
        if store is not None and sha256:
            store.put_feature(
                sha256, PDQ_FEATURE, "1", json.dumps([[n, h.hex, h.quality] for n, h in variants]).encode()
            )
        safety = Safety(pdq=original.hex, pdq_quality=original.quality)
        if match is not None:
            reasons.append(f"matches hash list {match.list_name!r} at distance {match.distance} ({match.transform})")
            return SafetyVerdict(Status.blocked, safety.model_copy(update={"hash_match": match, "reasons": reasons}))

        status = Status.captioned
        nsfw = None
        detections: tuple[Detection, ...] | None = None
        if self.nsfw_gate is not None:
            with t.stage("nsfw"):
                outcome = self.nsfw_gate.check(inputs)
            nsfw, detections = outcome.record, outcome.detections
            reasons.extend(outcome.judgement.reasons)
            if nsfw.decision == "block":
                return SafetyVerdict(
                    Status.blocked, safety.model_copy(update={"nsfw": nsfw, "reasons": reasons}), detections=detections
                )
            if nsfw.decision == "review":
                status = Status.review

        ocr_text, injection = None, None
        boxes: tuple[tuple[float, float, float, float], ...] = ()
        if self.reader is not None:
            with t.stage("ocr"):
                result = self.reader.read(decoded.image)
            if result.text:
                ocr_text = result.text
                w, h = decoded.image.size
                boxes = tuple((ln.box[0] / w, ln.box[1] / h, ln.box[2] / w, ln.box[3] / h) for ln in result.lines)
                found = self.injection.detect(result.text)
                injection = Injection(**found.as_record())
                if found.detected:
                    reasons.append(
                        "text in the image addresses a model (visual prompt injection; flagged by "
                        f"{' and '.join(found.fired)})"
                    )
                    policy = cfg.ocr.injection_policy
                    if policy == "block":
                        status = Status.blocked
                    elif policy == "review" and status is not Status.blocked:
                        status = Status.review
        safety = safety.model_copy(
            update={"nsfw": nsfw, "ocr_text": ocr_text, "injection": injection, "reasons": reasons}
        )
        return SafetyVerdict(status, safety, text_boxes=boxes, detections=detections)

    # -- cached images -------------------------------------------------------------------
    def recheck_cached(self, record: ImageRecord, store: ResultStore) -> ImageRecord | None:
        """A cached result must still honour lists that grew since: re-match its stored PDQ
        variants (no decode needed). Returns a new blocked record, or None if still clean."""
        if self.hashlists is None or not self.settings.hashlist.enabled or record.status is Status.blocked:
            return None
        blob = store.get_feature(record.sha256, PDQ_FEATURE, "1")
        if blob is None:
            return None
        variants = [(name, PdqHash.from_hex(hex_, quality)) for name, hex_, quality in json.loads(blob)]
        match = self.hashlists.match(variants, self.settings.hashlist.threshold)
        if match is None:
            return None
        reason = f"matches hash list {match.list_name!r} at distance {match.distance} ({match.transform})"
        blocked = ImageRecord(
            id=record.id,
            source=record.source,
            sha256=record.sha256,
            status=Status.blocked,
            attributes=record.attributes,
            provenance=record.provenance,
            safety=Safety(
                pdq=variants[0][1].hex, pdq_quality=variants[0][1].quality, hash_match=match, reasons=[reason]
            ),
        )
        store.put(blocked, "blocked")
        store.audit(blocked.id, "blocked", "pipeline", reason, {"source": record.source, "recheck": True})
        return blocked

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
from .nsfw import INT8_MODEL, NSFWScorer
from .nsfw_gate import NSFWGate
from .ocr import INT8_DETECTOR, TextReader
from .pdq import PdqHash, compute_dihedral
from .pdq_fast import dihedral_from_luma, dihedral_views_from_luma, luma_plane

if TYPE_CHECKING:
    from ..pipeline import Timings
    from ..store import ResultStore

PDQ_FEATURE = "pdq-variants"


def query_variants(work: Image.Image) -> list[tuple[str, PdqHash]]:
    """PDQ of the image and of three robustness views, each in its 8 dihedral forms.

    PDQ alone misses small crops and caption overlays (measured: a 2% crop moves it
    34-48 bits). Reflect-padding the query by 2% and 4% re-aligns a cropped copy with the
    listed original; a median filter wipes thin overlaid text strokes. The list side is
    left untouched, so hashes imported from other programs still match.
    """
    arr = np.asarray(work)
    h, w = arr.shape[:2]
    # The original keeps the reference implementation (pdqhash), so its hash is exact for
    # lists made by other tools; the robustness views use pdq_fast (numpy/OpenCV, ~6x
    # faster, same bits as pdqhash on our test images). PDQ hashes luminance only, so the
    # views are made on the luma plane: reflect padding commutes with the per-pixel luma,
    # and pdq_fast folds the padding (and the reference 512 x 512 pre-scale that a padded
    # view over 512 px gets, as before) into its filter operators: no padded copy is built.
    out = compute_dihedral(arr)
    luma = luma_plane(arr)
    pads = [(max(1, int(h * f)), max(1, int(w * f))) for f in (0.02, 0.04)]
    for f, hashes in zip((0.02, 0.04), dihedral_views_from_luma(luma, pads)):
        out += [(f"pad{int(f * 100)}+" + name, h_) for name, h_ in hashes]
    # A median filter on the grey image (3x cheaper than on RGB), hashed as one grey plane.
    grey = cv2.medianBlur(cv2.cvtColor(arr, cv2.COLOR_RGB2GRAY), 7)
    out += [("median+" + name, h_) for name, h_ in dihedral_from_luma(grey)]
    return out


@dataclass(frozen=True)
class SafetyVerdict:
    status: Status  # captioned (allowed), review or blocked
    safety: Safety
    detections: tuple[Detection, ...] | None = None  # when the NSFW second opinion ran the detector


class SafetyGates:
    """Runs the gates for one image and explains each decision in :class:`Safety`."""

    def __init__(self, settings: Settings, hashlists: HashListStore | None, *, nsfw: NSFWScorer | None = None,
                 reader: TextReader | None = None, injection: InjectionDetector | None = None,
                 detector: Detector | None = None):
        self.settings = settings
        self.hashlists = hashlists
        self.nsfw = nsfw if nsfw is not None else (
            NSFWScorer(str(INT8_MODEL) if settings.nsfw.model == "int8" else None)
            if settings.nsfw.enabled else None)
        # The detector finds the people for the NSFW second opinion (None: no person, so no block).
        self.nsfw_gate = NSFWGate(self.nsfw, detector, settings.nsfw) if self.nsfw is not None else None
        self.reader = reader if reader is not None else (
            TextReader(gate=settings.ocr.gate, staged=settings.ocr.staged,
                       det_model=str(INT8_DETECTOR) if settings.ocr.detector == "int8" else None)
            if settings.ocr.enabled else None)
        self.injection = injection or InjectionDetector()

    # -- fresh images --------------------------------------------------------------------
    def check(self, decoded: DecodedImage, inputs: ModelInputs, t: "Timings",
              store: "ResultStore | None" = None, sha256: str | None = None) -> SafetyVerdict:
        cfg = self.settings
        reasons: list[str] = []
        with t.stage("hash_scan"):
            variants = query_variants(inputs.work)
            original = variants[0][1]
            match = None
            if self.hashlists is not None and cfg.hashlist.enabled and original.quality >= cfg.hashlist.min_quality:
                match = self.hashlists.match(variants, cfg.hashlist.threshold)
        if store is not None and sha256:
            store.put_feature(sha256, PDQ_FEATURE, "1", json.dumps([[n, h.hex, h.quality] for n, h in variants]).encode())
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
                return SafetyVerdict(Status.blocked, safety.model_copy(update={"nsfw": nsfw, "reasons": reasons}),
                                     detections)
            if nsfw.decision == "review":
                status = Status.review

        ocr_text, injection = None, None
        if self.reader is not None:
            with t.stage("ocr"):
                result = self.reader.read(decoded.image)
            if result.text:
                ocr_text = result.text
                found = self.injection.detect(result.text)
                injection = Injection(detected=found.detected, score=round(found.score, 3), matches=found.matches)
                if found.detected:
                    reasons.append("text in the image addresses a model (visual prompt injection)")
                    policy = cfg.ocr.injection_policy
                    if policy == "block":
                        status = Status.blocked
                    elif policy == "review" and status is not Status.blocked:
                        status = Status.review
        safety = safety.model_copy(update={"nsfw": nsfw, "ocr_text": ocr_text, "injection": injection,
                                           "reasons": reasons})
        return SafetyVerdict(status, safety, detections)

    # -- cached images -------------------------------------------------------------------
    def recheck_cached(self, record: ImageRecord, store: "ResultStore") -> ImageRecord | None:
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
        blocked = ImageRecord(id=record.id, source=record.source, sha256=record.sha256, status=Status.blocked,
                              attributes=record.attributes, provenance=record.provenance,
                              safety=Safety(pdq=variants[0][1].hex, pdq_quality=variants[0][1].quality,
                                            hash_match=match, reasons=[reason]))
        store.put(blocked, "blocked")
        store.audit(blocked.id, "blocked", "pipeline", reason, {"source": record.source, "recheck": True})
        return blocked

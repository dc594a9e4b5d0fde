"""The pipeline: intake → normalize → safety gates → understand → tags → caption → guard → store.

Each stage is an engine behind a small interface (see ``engines.base``, ``tagging``,
``caption``, ``safety``); :func:`build_pipeline` picks engines from the settings.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from . import __version__
from .attributes import BLUR_THRESHOLD
from .caption import CaptionDraft, Captioner, GroundedComposer
from .config import DetectorConfig, Settings
from .cpu import use_bf16
from .engines.base import Classifier, Detector
from .engines.ssd_bf16 import safety_detector
from .errors import EngineError, IntakeError, SnapscribeError
from .evidence import Evidence, fuse, with_ocr
from .hashtags import HashtagPolicy
from .intake import DecodedImage, decode, read_source
from .normalize import ModelInputs, prepare
from .records import Attributes, DetectedObject, ImageRecord, Provenance, Safety, Status, Tag, image_id_for
from .relevance import GatePolicy
from .safety.output_moderation import Field as OutputField
from .safety.output_moderation import moderate, moderate_tags
from .store import ResultStore
from .store.db import is_storage_failure, is_unavailable
from .tagging import Tagger
from .taxonomy import load_vocabulary
from .understand import FEATURES_KIND, FEATURES_REVISION, Features, as_stored, measure
from .zoom import agreed, needs_zoom, zoom_boxes

log = logging.getLogger("snapscribe.pipeline")


@dataclass
class Timings:
    """Per-stage wall time in milliseconds, in the order stages ran."""

    values: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.values[name] = round(self.values.get(name, 0.0) + (time.perf_counter() - start) * 1000, 3)


@dataclass(frozen=True)
class Understanding:
    """What the pipeline knows about one image before any caption is written."""

    decoded: DecodedImage
    inputs: ModelInputs
    safety: Safety
    status: Status
    features: Features | None = None
    evidence: Evidence | None = None
    tags: list[Tag] = field(default_factory=list)
    text_boxes: tuple[tuple[float, float, float, float], ...] = ()  # OCR lines, fractions of the frame


@dataclass(frozen=True)
class Upload:
    """One input: its display name and either bytes or a path to read them from."""

    source: str
    data: bytes | None = None
    path: str | None = None


def config_key(settings: Settings, extra: str = "") -> str:
    """Fingerprint of everything that changes a result; the result cache is keyed by it."""
    relevant = settings.model_dump_json(exclude={"store": True, "kafka": True, "server": True, "models": {"threads"}})
    return hashlib.sha1(f"{__version__}|{relevant}|{extra}".encode()).hexdigest()[:16]


class Pipeline:
    """Turns uploads into :class:`ImageRecord` s, caching by content hash."""

    def __init__(
        self,
        settings: Settings,
        store: ResultStore | None,
        *,
        detector: Detector,
        classifier: Classifier,
        tagger: Tagger,
        captioner: Captioner,
        safety=None,
        guard=None,
    ):
        self.settings = settings
        self.store = store
        self.detector = detector
        self.classifier = classifier
        self.tagger = tagger
        self.captioner = captioner
        self.safety = safety  # safety.gates.SafetyGates | None
        self.guard = guard  # GroundingGuard | None
        self._composer = GroundedComposer()
        vocabulary = getattr(tagger, "vocabulary", None) or load_vocabulary(settings.tagging.extra_vocabulary)
        self.hashtags = HashtagPolicy.build(settings.caption, vocabulary)
        self._executor: ThreadPoolExecutor | None = None
        self.features_version = (
            f"{detector.name}|{classifier.name}|{settings.models.detector_side}|"
            f"{settings.models.classifier_side}x{settings.models.classifier_views}|{settings.models.low_res_side}|z{settings.models.zoom_crop:.3f}|{__version__}|r{FEATURES_REVISION}"
        )
        self.config_key = config_key(settings, f"{getattr(tagger, 'name', '')}|{self.features_version}")
        self._threads = settings.models.threads or os.cpu_count() or 1
        # A remote captioner waits on the network: keep its requests in flight on top of the CPU
        # threads, while at most ``_threads`` images use the CPU models at once.
        self.remote_slots = int(getattr(captioner, "slots", 0)) if getattr(captioner, "remote", False) else 0
        self._cpu = threading.BoundedSemaphore(self._threads)
        self.gate = GatePolicy(settings.engines.gate_kinds, settings.engines.gate_budget)

    # -- one image ---------------------------------------------------------------------
    def process(self, upload: Upload, *, force: bool = False, refresh: bool = False) -> ImageRecord:
        """Run the whole pipeline on one upload. Never raises for bad input: returns an error record.

        ``refresh`` recomputes the result but reuses cached model features; ``force`` recomputes both.
        """
        t = Timings()
        try:
            with t.stage("read"):
                data = (
                    upload.data
                    if upload.data is not None
                    else read_source(upload.path or upload.source, self.settings.intake)
                )
        except IntakeError as exc:
            # No bytes to hash: the id is derived from the source name instead.
            return ImageRecord.failed(
                source=upload.source,
                sha256=hashlib.sha256(upload.source.encode()).hexdigest(),
                code=exc.code,
                message=exc.message,
                timings_ms=t.values,
            )
        with t.stage("hash"):
            sha = hashlib.sha256(data).hexdigest()
        if not (force or refresh) and self.store is not None:
            with t.stage("cache"):
                cached = self.store.get_cached(sha, self.config_key)
            if cached is not None:
                rechecked = self.safety.recheck_cached(cached, self.store) if self.safety else None
                result = rechecked or cached
                return result.model_copy(
                    update={"source": upload.source, "cached": rechecked is None, "timings_ms": t.values}
                )
        try:
            record = self._run(upload.source, data, sha, t, force=force)
        except IntakeError as exc:
            record = ImageRecord.failed(
                source=upload.source, sha256=sha, code=exc.code, message=exc.message, timings_ms=t.values
            )
        except SnapscribeError as exc:
            log.exception("stage failed for %s", upload.source)
            record = ImageRecord.failed(
                source=upload.source, sha256=sha, code=exc.code, message=exc.message, timings_ms=t.values
            )
        except Exception as exc:
            if is_unavailable(exc) or is_storage_failure(exc):
                raise  # the database or its disk, not the image, failed: the caller retries or stops
            log.exception("unexpected failure for %s", upload.source)
            record = ImageRecord.failed(
                source=upload.source,
                sha256=sha,
                code="internal_error",
                message=f"{type(exc).__name__}: {exc}",
                timings_ms=t.values,
            )
        if self.store is not None:
            with t.stage("store"):
                # A caption from a fallback (VLM down) is stored but not served from the cache:
                # the next request for these bytes tries the engine again (features stay cached).
                key = self.config_key if record.provenance.fallback is None else f"{self.config_key}~fallback"
                self.store.put(record, key)
                if record.status in (Status.blocked, Status.review):
                    self.store.audit(
                        record.id,
                        record.status.value,
                        "pipeline",
                        "; ".join(record.safety.reasons) or None,
                        {"source": record.source, "safety": record.safety.model_dump(mode="json")},
                    )
            record.timings_ms.update(t.values)
        return record

    def understand(
        self, data: bytes, *, sha: str | None = None, t: Timings | None = None, force: bool = False
    ) -> Understanding:
        """Everything before the caption: decode, safety gates, models, evidence, tags.

        A blocked image stops at the gates (``evidence`` is None). Raises IntakeError for bad input.
        """
        cfg = self.settings
        t = t or Timings()
        sha = sha or hashlib.sha256(data).hexdigest()
        with t.stage("intake"):
            decoded = decode(data, cfg.intake, draft_side=max(cfg.models.low_res_side, 1024))
        with t.stage("normalize"):
            inputs = prepare(decoded, cfg.models)
        safety = Safety()
        status = Status.captioned
        boxes: tuple[tuple[float, float, float, float], ...] = ()
        detections = None
        if self.safety is not None:
            verdict = self.safety.check(decoded, inputs, t, self.store, sha)
            safety = verdict.safety
            status = verdict.status
            boxes = verdict.text_boxes
            detections = verdict.detections  # the NSFW second opinion may have run the detector already
            if status is Status.blocked:
                # Nothing of a blocked image reaches a later stage.
                return Understanding(decoded, inputs, safety, status)
        features = self._features(sha, inputs, t, force=force, detections=detections)
        # Only clean text from a sharp image counts as evidence; flagged text never does.
        clean_text = (
            safety.ocr_text
            if safety.ocr_text
            and not (safety.injection and safety.injection.detected)
            and features.stats.sharpness >= BLUR_THRESHOLD
            else None
        )
        evidence = fuse(
            list(features.detections),
            features.probs,
            features.scene,
            features.stats,
            features.synthetic,
            min_detection=cfg.detector.min_score,
            embedding=features.embedding,
            ocr_text=clean_text,
        )
        if cfg.models.zoom and needs_zoom(evidence):
            features = self._zoomed(sha, inputs, features, t)
            assert features.views is not None  # _zoomed always fills the crop probabilities
            closer = fuse(
                list(features.detections),
                agreed(features.probs, features.views, cfg.models.zoom_agree),
                features.scene,
                features.stats,
                features.synthetic,
                min_detection=cfg.detector.min_score,
                abstract=evidence.abstract,
                embedding=features.embedding,
                kind=evidence.kind,
            )
            if closer.main is not None:
                evidence = closer
        if clean_text:
            evidence = with_ocr(evidence, clean_text)
        with t.stage("tags"):
            tags = self.tagger.tag(evidence, inputs)
        return Understanding(decoded, inputs, safety, status, features, evidence, tags, boxes)

    def _run(self, source: str, data: bytes, sha: str, t: Timings, *, force: bool) -> ImageRecord:
        with self._cpu:
            u = self.understand(data, sha=sha, t=t, force=force)
        return self.describe(u, source, sha, t)

    def describe(self, u: Understanding, source: str, sha: str, t: Timings | None = None) -> ImageRecord:
        """Everything after :meth:`understand`: gate, caption, moderation, guard, hashtags."""
        cfg = self.settings
        t = t or Timings()
        decoded, inputs, safety, status = u.decoded, u.inputs, u.safety, u.status
        start = Provenance(captioner=self.captioner.name, tagger=self.tagger.name, pipeline_version=__version__)
        base = dict(id=image_id_for(sha), source=source, sha256=sha, provenance=start)
        if u.evidence is None or u.features is None:
            return ImageRecord(
                status=Status.blocked,
                safety=safety,
                timings_ms=t.values,
                attributes=self._basic_attributes(decoded),
                **base,
            )
        features, evidence, tags = u.features, u.evidence, u.tags
        relevance = self.gate.decide(evidence)
        captioner = self.captioner
        expensive = getattr(captioner, "expensive", False)
        if expensive and self.settings.engines.relevance_gate and not relevance.worth_captioning:
            captioner = self._composer  # the relevance gate: the GPU only sees what it can add to
        flagged = safety.injection is not None and safety.injection.detected
        mask = getattr(getattr(captioner, "cfg", None), "mask_text", False)  # the VLM's setting
        if flagged and mask and u.text_boxes:
            from .engines.vlm import mask_regions

            inputs = mask_regions(inputs, u.text_boxes)  # injected text is not readable in what is sent
        with t.stage("caption"):
            draft = captioner.caption(evidence, tags, inputs)
        if draft.fallback is None:  # one name per engine in provenance: its registry name
            draft = dataclasses.replace(draft, engine=captioner.name)
        flagged_text = safety.ocr_text if flagged else None
        allowed = _supported_words(evidence, tags)
        notes: list[str] = []
        with t.stage("moderate"):
            mod = moderate(draft.text, "caption", flagged_text=flagged_text, allowed=allowed)
            if mod.changed:
                notes.append(f"{draft.engine} caption: {', '.join(mod.reasons)}")
            if mod.text is None:  # nothing of the reply survives: the grounded caption instead
                fallback = f"{draft.engine}: reply rejected by moderation ({', '.join(mod.reasons)})"
                draft = CaptionDraft(
                    text=self._composer.caption(evidence, tags, inputs).text,
                    engine="default",
                    fallback=draft.fallback or fallback,
                )
            else:
                draft = dataclasses.replace(draft, text=mod.text)
        caption, grounding = draft.text, None
        if self.guard is not None:
            with t.stage("ground"):
                plausible = draft.engine in cfg.grounding.plausible_from
                checked = self.guard.check(draft.text, evidence, tags, keep_plausible=plausible)
                caption, grounding = checked.caption, checked.grounding
        final = moderate(caption, "caption", flagged_text=flagged_text, allowed=allowed)
        if final.text != caption:  # the composer quoted OCR text that may not be stored
            notes.append(f"final caption: {', '.join(final.reasons)}")
            caption = final.text or _plain_caption(evidence)
        base.pop("provenance")
        provenance = start.model_copy(
            update={
                "captioner": draft.engine,
                "fallback": draft.fallback,
                "relevant": relevance.worth_captioning,
                "relevance": relevance.reason,
                "rule": draft.rule,
                "kind": evidence.kind.kind if evidence.kind is not None else None,
                "tone": cfg.caption.tone,
            }
        )
        caption, alt, caption_options = _voiced(evidence, sha, caption, draft.engine == "default", cfg.caption)
        tags_out = self._hashtags(caption, draft, evidence, tags)
        tags_out, dropped = moderate_tags(tags_out, flagged_text=flagged_text, allowed=allowed)
        if dropped:
            notes.append("hashtags: " + ", ".join(dict.fromkeys(f.kind for f in dropped)))
        record = ImageRecord(
            status=status,
            caption=caption,
            alt_text=alt,
            caption_options=caption_options,
            hashtags=tags_out,
            tags=tags,
            objects=_objects(evidence, inputs),
            attributes=_attributes(decoded, features, evidence),
            safety=safety,
            grounding=grounding,
            provenance=provenance,
            timings_ms=t.values,
            **base,
        )
        record, more = moderate_record(
            record,
            flagged_text,
            allowed,
            lambda: _plain_caption(evidence),
            lambda: _plain_options(evidence, sha, cfg.caption),
        )
        notes += more
        if notes:
            record.provenance = record.provenance.model_copy(update={"moderation": notes})
        return record

    def _features(
        self, sha: str, inputs: ModelInputs, t: Timings, *, force: bool, detections: tuple | None = None
    ) -> Features:
        if self.store is not None and not force:
            with t.stage("feature_cache"):
                blob = self.store.get_feature(sha, FEATURES_KIND, self.features_version)
            if blob is not None:
                return Features.from_bytes(blob)
        with t.stage("attributes"):
            stats, scene, synthetic = measure(inputs)
        try:
            if detections is None:
                with t.stage("detect"):
                    detections = tuple(self.detector.detect(inputs))
            with t.stage("classify"):
                probs, embedding = self.classifier.classify_with_embedding(inputs)
                probs = as_stored(probs)
                embedding = None if embedding is None else as_stored(embedding)
        except SnapscribeError:
            raise
        except Exception as exc:
            raise EngineError(f"model failed: {type(exc).__name__}: {exc}") from exc
        features = Features(
            detections=detections, probs=probs, stats=stats, scene=scene, synthetic=synthetic, embedding=embedding
        )
        if self.store is not None:
            self.store.put_feature(sha, FEATURES_KIND, self.features_version, features.to_bytes())
        return features

    def _zoomed(self, sha: str, inputs: ModelInputs, features: Features, t: Timings) -> Features:
        """The features with the zoom pass's crop probabilities, computed once and cached with them."""
        if features.views is not None:
            return features
        w, h = inputs.work.size
        try:
            with t.stage("zoom"):
                views = self.classifier.classify_regions(inputs, zoom_boxes(w, h, self.settings.models.zoom_crop))
        except Exception as exc:
            raise EngineError(f"model failed: {type(exc).__name__}: {exc}") from exc
        features = dataclasses.replace(features, views=views)
        if self.store is not None:
            self.store.put_feature(sha, FEATURES_KIND, self.features_version, features.to_bytes())
        return features

    @staticmethod
    def _basic_attributes(decoded: DecodedImage) -> Attributes:
        w, h = decoded.upright_size
        return Attributes(
            width=w, height=h, format=decoded.format, animated=decoded.animated, exif_rotated=decoded.exif_rotated
        )

    # -- many images -------------------------------------------------------------------
    def process_many(
        self, uploads: Iterable[Upload], *, force: bool = False, refresh: bool = False
    ) -> Iterator[ImageRecord]:
        """Process uploads on a thread pool (the models release the GIL), yielding in input order."""
        if self._threads + self.remote_slots <= 1:
            for upload in uploads:
                yield self.process(upload, force=force, refresh=refresh)
            return
        pool = self._pool()
        window: list = []
        for upload in uploads:
            window.append(pool.submit(self.process, upload, force=force, refresh=refresh))
            if len(window) >= (self._threads + self.remote_slots) * 4:
                yield window.pop(0).result()
        for fut in window:
            yield fut.result()

    def _hashtags(self, caption: str, draft: CaptionDraft, evidence: Evidence, tags: list[Tag]) -> list[str]:
        """Ranked hashtags from the grounded tags, led by the supported nouns of an engine's
        caption; the broad tags of the image's kind or family fill up when they give too few."""
        from .caption import compose_with_rule
        from .caption_options import family
        from .hashtags import broad_concepts, fact_tags, for_kind

        lead: list[Tag] = []
        if draft.engine != "default" and self.guard is not None:
            lead = self.hashtags.noun_tags(self.guard.grounded_nouns(caption, evidence, tags), tags)
        rule = draft.rule if draft.engine == "default" and draft.rule else compose_with_rule(evidence)[1]
        ranked = for_kind([*lead, *tags, *fact_tags(evidence)], rule)
        return self.hashtags.choose(ranked, broad=broad_concepts(rule, family(evidence, rule)))

    def _pool(self) -> ThreadPoolExecutor:
        """One long-lived pool: its threads keep their per-thread model instances loaded."""
        with _BUILD_LOCK:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self._threads + self.remote_slots, thread_name_prefix="snapscribe")
            return self._executor

    def with_tone(self, tone: str | None) -> Pipeline:
        """This pipeline (same models) captioning in ``tone``; results are cached per tone."""
        if not tone or tone == self.settings.caption.tone:
            return self
        other = copy.copy(self)
        caption_cfg = self.settings.caption.model_copy(update={"tone": tone})
        other.settings = self.settings.model_copy(update={"caption": caption_cfg})
        other.config_key = f"{self.config_key}~{tone}"
        if hasattr(self.captioner, "tone"):
            other.captioner = copy.copy(self.captioner)
            other.captioner.tone = tone
        return other

    def close(self) -> None:
        """Stop the worker threads (idempotent)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None


# Further text fields a record may carry (alt text, caption options) and how moderation treats them.
_TEXT_FIELDS: dict[str, OutputField] = {"alt_text": "alt", "caption_options": "option", "options": "option"}


def moderate_record(
    record: ImageRecord,
    flagged_text: str | None,
    allowed: set[str],
    fallback_caption: Callable[[], str | None] = lambda: None,
    fallback_options: Callable[[], list[str]] = list,
) -> tuple[ImageRecord, list[str]]:
    """The last step before a record is returned and stored: its caption, caption options, alt text and
    hashtags, whichever engine wrote them, through output moderation. A caption with nothing left becomes
    ``fallback_caption()``, options with fewer than 3 distinct left ``fallback_options()`` (written without
    the OCR text, moderated too); nothing is dropped silently (each change is noted)."""
    update: dict = {}
    notes: list[str] = []
    if record.caption:
        res = moderate(record.caption, "caption", flagged_text=flagged_text, allowed=allowed)
        if res.changed:
            update["caption"] = res.text or fallback_caption()
            notes.append(f"caption: {', '.join(res.reasons)}")
    for name, kind in _TEXT_FIELDS.items():
        value = getattr(record, name, None)
        if isinstance(value, str) and value:
            res = moderate(value, kind, flagged_text=flagged_text, allowed=allowed)
            if res.changed:
                update[name] = res.text or "A photo with text in the image."
                notes.append(f"{name}: {', '.join(res.reasons)}")
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            results = [moderate(v, kind, flagged_text=flagged_text, allowed=allowed) for v in value]
            if any(r.changed for r in results):
                kept = [r.text for r in results if r.text]
                if name == "caption_options" and len(set(kept)) < len(set(value)):
                    plain = [moderate(v, kind, flagged_text=flagged_text, allowed=allowed) for v in fallback_options()]
                    kept = [r.text for r in plain if r.text and not r.changed][: len(value)] or kept
                update[name] = kept
                notes.append(f"{name}: {', '.join(dict.fromkeys(x for r in results for x in r.reasons))}")
    if "caption" in update and update.get("caption_options"):
        update["caption"] = update["caption_options"][0]  # the caption is the first option, in its tone
    if record.hashtags:
        kept, dropped = moderate_tags(record.hashtags, flagged_text=flagged_text, allowed=allowed)
        if dropped:
            update["hashtags"] = kept
            notes.append("hashtags: " + ", ".join(dict.fromkeys(f.kind for f in dropped)))
    return (record.model_copy(update=update) if update else record), notes


def _voiced(ev: Evidence, sha: str, caption: str, composed: bool, cfg) -> tuple[str, str, list[str]]:
    """The caption in the configured tone, its 3 options (the caption first) and the alt text.

    A composer caption is the phrase the tone's templates build on; an engine's caption (a VLM's,
    already in the tone it was asked for) stays first and the templates add the other options."""
    from .alt_text import alt_text
    from .caption_options import options

    if composed:
        opts = options(ev, sha, cfg.tone, caption=caption, with_emoji=cfg.emoji)
    else:
        rest = [o for o in options(ev, sha, cfg.tone, with_emoji=cfg.emoji) if o != caption]
        opts = [caption, *rest][:3]
    return (opts[0] if opts else caption), alt_text(ev), opts


def _plain_options(ev: Evidence, sha: str, cfg) -> list[str]:
    """Caption options written without any OCR text, twice as many as needed (what moderation falls back
    to, keeping the first that pass)."""
    from dataclasses import replace

    from .caption_options import OPTIONS, options

    plain = replace(ev, ocr_text=None)
    caption = _plain_caption(ev)
    return options(plain, sha, cfg.tone, caption=caption, with_emoji=cfg.emoji, count=2 * OPTIONS)


def _supported_words(ev: Evidence, tags: list[Tag]) -> set[str]:
    """Words the models back: an echo of flagged OCR text that names one of them is no echo."""
    words = {w for s in ev.subjects for w in (s.noun, s.plural, s.specific or "")}
    words |= {t.label for t in tags}
    return {w.lower() for w in words if w}


def _plain_caption(ev: Evidence) -> str:
    """The composer's caption without any OCR text (the last resort of moderation)."""
    from dataclasses import replace

    from .caption import compose

    return compose(replace(ev, ocr_text=None))


def _objects(ev: Evidence, inputs: ModelInputs) -> list[DetectedObject]:
    w, h = inputs.upright_size
    out = []
    for d in ev.objects:
        x0, y0, x1, y1 = d.box
        out.append(
            DetectedObject(
                label=d.label, score=round(d.score, 3), box=[round(x0 * w), round(y0 * h), round(x1 * w), round(y1 * h)]
            )
        )
    return out


def _attributes(decoded: DecodedImage, f: Features, ev: Evidence) -> Attributes:
    w, h = decoded.upright_size
    st = f.stats
    return Attributes(
        width=w,
        height=h,
        format=decoded.format,
        animated=decoded.animated,
        exif_rotated=decoded.exif_rotated,
        brightness=round(st.brightness, 3),
        contrast=round(st.contrast, 3),
        colourfulness=round(st.colourfulness, 1),
        sharpness=round(st.sharpness, 1),
        blurry=st.sharpness < BLUR_THRESHOLD,
        abstract=round(ev.abstract, 3),
        dominant_colours=[n for n, share in st.dominant_colours if share >= 0.1],
        scene=[Tag(label=k, score=v) for k, v in sorted(f.scene.as_dict().items(), key=lambda kv: -kv[1]) if v >= 0.3],
    )


_BUILD_LOCK = threading.Lock()


def build_pipeline(settings: Settings, store: ResultStore | None) -> Pipeline:
    """Assemble the pipeline with the engines the settings name (``engines.captioner``,
    ``engines.tagger``); every caption, from any engine, passes the grounding guard."""
    from .engines.effnet_classifier import EfficientNetClassifier
    from .grounding import GroundingGuard
    from .safety.gates import SafetyGates
    from .safety.hashlists import HashListStore

    with _BUILD_LOCK:
        guard = GroundingGuard()
        tagger = _build_tagger(settings)
        captioner = _build_captioner(settings, guard)
        lists = HashListStore(store.db, settings.hashlist.refresh_s) if store is not None else None
        detector = build_detector(settings.detector)
        gates = SafetyGates(settings, lists, detector=safety_detector(detector, settings.detector))
        return Pipeline(
            settings,
            store,
            detector=detector,
            classifier=EfficientNetClassifier(two_views=settings.models.classifier_views == 2),
            tagger=tagger,
            captioner=captioner,
            safety=gates,
            guard=guard,
        )


def build_detector(cfg: DetectorConfig) -> Detector:
    """The SSD detector on the engine the settings name (``detector.engine``)."""
    if cfg.engine == "opencv":
        from .engines.ssd_detector import SSDDetector

        return SSDDetector(cfg)
    from .engines import ssd_bf16
    from .engines.ssd_onnx import OnnxSSDDetector

    if cfg.precision == "bf16" or (use_bf16(cfg.precision) and ssd_bf16.available()):
        return ssd_bf16.Bf16SSDDetector(cfg)
    return OnnxSSDDetector(cfg)


def _build_tagger(settings: Settings) -> Tagger:
    from .engines.registry import build_tagger

    return build_tagger(settings)


def _build_captioner(settings: Settings, guard) -> Captioner:
    from .engines.registry import build_captioner

    return build_captioner(settings, guard)

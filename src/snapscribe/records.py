"""The result record: one per input image, the same schema in the CLI, HTTP and Kafka.

Every field a consumer may read is declared here; stages produce typed values that
the pipeline assembles into an :class:`ImageRecord` once, at the end.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


def image_id_for(sha256_hex: str) -> str:
    """The image id: a prefix of the content hash, so the same bytes always get the same id."""
    return sha256_hex[:24]


class Status(str, Enum):
    captioned = "captioned"
    blocked = "blocked"
    review = "review"
    skipped = "skipped"
    error = "error"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Tag(_Model):
    label: str
    score: float


class DetectedObject(_Model):
    label: str
    score: float
    box: list[int] = Field(description="[x0, y0, x1, y1] in pixels of the upright original image")


class ErrorInfo(_Model):
    code: str
    message: str


class Attributes(_Model):
    """Image statistics that later stages and the grounding guard rely on."""

    width: int
    height: int
    format: str | None = None
    animated: bool = False
    exif_rotated: bool = False
    brightness: float = Field(0.0, description="mean luma, 0..1")
    contrast: float = Field(0.0, description="luma standard deviation, 0..1")
    colourfulness: float = Field(0.0, description="Hasler-Suesstrunk colourfulness, ~0..150")
    sharpness: float = Field(0.0, description="variance of the Laplacian at 512 px")
    blurry: bool = False
    abstract: float = Field(0.0, description="0..1 likelihood that this is synthetic art, not a photo")
    dominant_colours: list[str] = Field(default_factory=list)
    scene: list[Tag] = Field(default_factory=list, description="scene cues from colour/texture")


class HashMatch(_Model):
    list_name: str
    distance: int
    matched_hash: str
    query_hash: str
    transform: str = "original"
    metadata: dict[str, str] = Field(default_factory=dict)


class NSFWCategory(_Model):
    name: str = Field(description="explicit | suggestive")
    likelihood: str = Field(description="VERY_UNLIKELY | UNLIKELY | POSSIBLE | LIKELY | VERY_LIKELY")
    decision: str = Field(description="what this category's policy asks: allow | review | block")


class NSFWSignal(_Model):
    name: str = Field(
        description="open_nsfw (model score) | skin (bare-skin share of the people's bodies) | "
        "child_size (child-sized people next to another person)"
    )
    value: float
    says: str = Field(description="what this signal alone concludes")


class NSFWScore(_Model):
    score: float = Field(description="open_nsfw P(nsfw)")
    decision: str  # allow | review | block
    categories: list[NSFWCategory] = Field(default_factory=list)
    signals: list[NSFWSignal] = Field(default_factory=list)
    agree: bool | None = Field(None, description="do open_nsfw and the skin reading agree (None: not read)")


class Injection(_Model):
    detected: bool
    score: float
    matches: list[str] = Field(default_factory=list, description="rules that fired and what they matched")
    rules_score: float | None = None
    model_score: float | None = Field(None, description="learned n-gram model's probability (None: not run)")
    fired: list[str] = Field(default_factory=list, description="which detectors flagged it: rules and/or model")


class Safety(_Model):
    """Filled by the safety gates; present and empty when no gate ran."""

    hash_match: HashMatch | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    nsfw: NSFWScore | None = None
    ocr_text: str | None = None
    injection: Injection | None = None
    reasons: list[str] = Field(default_factory=list)


class Grounding(_Model):
    supported: bool
    unsupported_terms: list[str] = Field(default_factory=list)
    action: str = "kept"  # kept | removed | replaced
    original: str | None = None
    reasons: list[str] = Field(default_factory=list, description="why each unsupported term was flagged")


class Provenance(_Model):
    captioner: str = "default"
    tagger: str = "default"
    fallback: str | None = None
    relevant: bool | None = Field(None, description="would the relevance gate send it to the expensive captioner")
    relevance: str | None = None
    moderation: list[str] = Field(default_factory=list, description="what output moderation removed, per field")
    pipeline_version: str = ""
    rule: str | None = Field(None, description="the composer rule that wrote the caption (caption.RULES)")
    kind: str | None = Field(None, description="image kind read by the kind model: photo, painting, drawing, ...")
    tone: str | None = Field(None, description="the tone the caption and its options were written in")


class ImageRecord(_Model):
    schema_version: int = SCHEMA_VERSION
    id: str
    source: str
    sha256: str
    status: Status
    caption: str | None = None
    alt_text: str | None = Field(None, description="literal, hedged accessibility text from the same evidence")
    caption_options: list[str] = Field(default_factory=list, description="3 captions in the tone; caption first")
    hashtags: list[str] = Field(default_factory=list)
    tags: list[Tag] = Field(default_factory=list)
    objects: list[DetectedObject] = Field(default_factory=list)
    attributes: Attributes | None = None
    safety: Safety = Field(default_factory=Safety)
    grounding: Grounding | None = None
    provenance: Provenance = Field(default_factory=Provenance)
    cached: bool = False
    timings_ms: dict[str, float] = Field(default_factory=dict)
    error: ErrorInfo | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> ImageRecord:
        return cls.model_validate_json(text)

    @classmethod
    def failed(
        cls, *, source: str, sha256: str, code: str, message: str, timings_ms: dict[str, float] | None = None
    ) -> ImageRecord:
        """An `error` record: the input could not be processed, and says why."""
        return cls(
            id=image_id_for(sha256),
            source=source,
            sha256=sha256,
            status=Status.error,
            error=ErrorInfo(code=code, message=message),
            timings_ms=timings_ms or {},
        )

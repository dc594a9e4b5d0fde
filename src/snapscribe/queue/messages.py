"""What travels on the topics: typed upload messages and dead letters.

Uploads travel by reference (``uri``), because Kafka messages are capped around 1 MB;
small images may ride along inline as base64 ``data``. Results are
:class:`~snapscribe.records.ImageRecord` JSON, keyed by image id, on the results topic.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..config import Tone
from ..errors import SnapscribeError

UPLOAD_VERSION = 1
_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _now() -> datetime:
    return datetime.now(UTC)


class BadMessage(SnapscribeError):
    """A message that can never be processed (not JSON, wrong shape). ``image_id`` when known."""

    code = "bad_message"

    def __init__(self, message: str, code: str | None = None, image_id: str | None = None):
        super().__init__(message, code)
        self.image_id = image_id


class UploadMessage(BaseModel):
    """One upload on the uploads topic (the message key is ``id``)."""

    model_config = ConfigDict(extra="ignore")  # newer producers must not poison older workers

    id: str = Field(description="image id: image_id_for(sha256 of the bytes)")
    uri: str = Field(description="file:///path, http(s)://... (e.g. a presigned object-store URL)")
    data: str | None = Field(None, description="the bytes, base64, for small images only")
    name: str | None = Field(None, description="display name of the upload (the record's source); default: uri")
    tone: Tone | None = Field(None, description="caption tone asked for with the upload; default: the worker's")
    submitted_at: datetime = Field(default_factory=_now)
    version: int = UPLOAD_VERSION

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("id must be 1-128 characters of [A-Za-z0-9._:-]")
        return value

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    def inline_bytes(self) -> bytes | None:
        """The inline image bytes, or None when the image travels by reference."""
        if self.data is None:
            return None
        try:
            return base64.b64decode(self.data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadMessage(f"field 'data' is not valid base64: {exc}", image_id=self.id) from exc

    @classmethod
    def parse(cls, value: bytes | None, key: bytes | None = None) -> UploadMessage:
        """Decode a message value; raises :class:`BadMessage` with the id when one can be told."""
        key_id = _key_id(key)
        if not value:
            raise BadMessage("empty message value", image_id=key_id)
        try:
            raw = json.loads(value)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadMessage(f"message value is not JSON: {exc}", image_id=key_id) from exc
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        image_id = raw_id if isinstance(raw_id, str) and _ID.match(raw_id) else key_id
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors())
            raise BadMessage(f"message does not match the upload schema: {problems}", image_id=image_id) from exc


def _key_id(key: bytes | None) -> str | None:
    try:
        text = key.decode() if key else None
    except UnicodeDecodeError:
        return None
    return text if text and _ID.match(text) else None


class OriginalMessage(BaseModel):
    """Where a dead letter came from, and its bytes (text when UTF-8, else base64).

    An original too big to ride along is cut to its first ``excerpt`` bytes
    (``truncated``); ``size`` and ``sha256`` still describe all of it, and
    topic/partition/offset say where the whole message is.
    """

    topic: str
    partition: int
    offset: int
    key: str | None = None
    value_text: str | None = None
    value_base64: str | None = None
    size: int | None = None
    sha256: str | None = None
    truncated: bool = False

    @classmethod
    def of(
        cls, topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None, excerpt: int | None = None
    ) -> OriginalMessage:
        text = b64 = None
        kept = value if value is None or excerpt is None else value[:excerpt]
        if kept is not None:
            try:
                text = kept.decode()
            except UnicodeDecodeError:
                b64 = base64.b64encode(kept).decode()
        key_text = key.decode(errors="replace") if key is not None else None
        if key_text is not None and excerpt is not None:
            key_text = key_text[:256]
        return cls(
            topic=topic,
            partition=partition,
            offset=offset,
            key=key_text,
            value_text=text,
            value_base64=b64,
            size=len(value) if value is not None else None,
            sha256=hashlib.sha256(value).hexdigest() if value is not None else None,
            truncated=value is not None and kept is not None and len(kept) < len(value),
        )


class DeadLetter(BaseModel):
    """A message that will not be processed, with the reason (a stable error code) and where it was."""

    model_config = ConfigDict(extra="forbid")

    reason: str
    message: str
    image_id: str | None = None
    attempts: int
    worker: str
    original: OriginalMessage
    failed_at: datetime = Field(default_factory=_now)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def bounded(
        cls,
        max_bytes: int,
        *,
        raw_topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes | None,
        **fields,
    ) -> DeadLetter:
        """A dead letter that fits in ``max_bytes``: the whole original when it fits, else an excerpt."""
        letter = cls(original=OriginalMessage.of(raw_topic, partition, offset, key, value), **fields)
        if len(letter.to_bytes()) <= max_bytes:
            return letter
        fields["message"] = fields.get("message", "")[:2000]
        excerpt = max(0, (max_bytes - 8192) * 3 // 4 // 2)  # base64 grows 4/3; JSON escapes may double text
        while True:
            letter = cls(original=OriginalMessage.of(raw_topic, partition, offset, key, value, excerpt), **fields)
            if len(letter.to_bytes()) <= max_bytes or excerpt == 0:
                return letter
            excerpt //= 2

    @classmethod
    def from_bytes(cls, value: bytes) -> DeadLetter:
        return cls.model_validate_json(value)

"""The blob store interface: put, get, exists, delete, move and a URI for a key."""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod

from ..errors import SnapscribeError

_KEY = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
_SHA = re.compile(r"^[0-9a-f]{64}$")


class BlobError(SnapscribeError):
    """The store cannot be reached or refused an operation (worth a retry)."""

    code = "blob_error"


class BlobTooLarge(BlobError):
    code = "file_too_large"


def check_key(key: str) -> str:
    """A key is slash-separated plain names: never absolute, never ``..``."""
    if not _KEY.match(key) or any(part in (".", "..") for part in key.split("/")):
        raise ValueError(f"not a blob key: {key[:200]!r}")
    return key


def content_key(sha256: str, area: str = "uploads") -> str:
    """``area/ab/<sha256>``: bytes are stored under their own hash, so a put is idempotent."""
    if not _SHA.match(sha256):
        raise ValueError("not a sha256 hex digest")
    return f"{area}/{sha256[:2]}/{sha256}"


class BlobStore(ABC):
    """Bytes under keys. ``url`` says where (``file:///root`` or ``s3://bucket/prefix``)."""

    url: str

    @abstractmethod
    def put(self, key: str, data: bytes) -> None: ...

    @abstractmethod
    def put_file(self, key: str, path: str) -> None:
        """Store a local file under ``key`` and remove the local file."""

    @abstractmethod
    def get(self, key: str, max_bytes: int | None = None) -> bytes | None:
        """The bytes, or None when absent; :class:`BlobTooLarge` over ``max_bytes``."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the key (absent is fine)."""

    @abstractmethod
    def keys(self, prefix: str) -> list[str]:
        """Keys that start with ``prefix``."""

    @abstractmethod
    def uri(self, key: str) -> str:
        """Where a worker reads the key: ``file:///…`` or ``s3://bucket/…``."""

    @abstractmethod
    def key_of(self, uri: str) -> str | None:
        """The key a URI of this store names, or None when the URI is elsewhere."""

    def move(self, src: str, dest: str) -> bool:
        """Move a blob to another key; False when ``src`` is absent."""
        data = self.get(src)
        if data is None:
            return False
        self.put(dest, data)
        self.delete(src)
        return True

    def put_content(self, data: bytes, area: str = "uploads") -> str:
        """Store bytes under their content hash; returns the key."""
        key = content_key(hashlib.sha256(data).hexdigest(), area)
        if not self.exists(key):
            self.put(key, data)
        return key

    def check(self) -> None:  # noqa: B027 - stores with nothing to check keep this default
        """Raise :class:`BlobError` when the store cannot be used (readiness)."""

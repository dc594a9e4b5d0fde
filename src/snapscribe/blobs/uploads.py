"""The upload layout on a blob store, shared by the HTTP service and the workers.

    uploads/ab/<sha256>             uploaded bytes, by content hash
    quarantine/ab/<sha256>          bytes of blocked images (kept for appeal/evidence, never served)
    thumbs/ab/<id>-<px>.jpg         previews

Uploads being received stream into a local ``tmp`` folder first (the size cap is enforced
while they arrive), then go to the store in one put.
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
import time
from pathlib import Path

from PIL import Image

from ..config import IntakeConfig
from ..intake import decode
from .base import BlobStore, content_key

log = logging.getLogger("snapscribe.blobs")
_SHA = re.compile(r"^[0-9a-f]{64}$")
_ID = re.compile(r"^[0-9a-f]{24}$")
UPLOADS, QUARANTINE, THUMBS = "uploads", "quarantine", "thumbs"


class UploadBlobs:
    """Content-addressed uploads: ``put`` is idempotent; a blocked image's bytes move to quarantine."""

    def __init__(self, store: BlobStore, tmp_dir: Path | None = None):
        self.store = store
        self.tmp_dir = tmp_dir
        if tmp_dir is not None:
            tmp_dir.mkdir(parents=True, exist_ok=True)

    # -- receiving ---------------------------------------------------------------------
    def new_temp(self) -> tuple[int, str]:
        assert self.tmp_dir is not None, "no tmp folder: this store only reads"
        return tempfile.mkstemp(prefix="upload-", suffix=".part", dir=self.tmp_dir)

    def clean_tmp(self, older_than_s: float = 3600) -> None:
        """Remove half-received uploads left by a crash."""
        if self.tmp_dir is None:
            return
        cutoff = time.time() - older_than_s
        for path in self.tmp_dir.glob("upload-*.part"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                pass

    # -- uploads -----------------------------------------------------------------------
    @staticmethod
    def key(sha256: str) -> str:
        """The blob name of an upload (``ab/<sha256>``; the area is added per operation)."""
        if not _SHA.match(sha256):
            raise ValueError("not a sha256 hex digest")
        return f"{sha256[:2]}/{sha256}"

    def put(self, temp_path: str, sha256: str) -> str:
        """Store a received temp file under its hash (the temp file is consumed); returns the blob name."""
        name = self.key(sha256)
        full = content_key(sha256, UPLOADS)
        if self.store.exists(full):
            Path(temp_path).unlink(missing_ok=True)
        else:
            self.store.put_file(full, temp_path)
        return name

    def has(self, sha256: str) -> bool:
        name = self.key(sha256)
        return self.store.exists(f"{UPLOADS}/{name}") or self.store.exists(f"{QUARANTINE}/{name}")

    def read(self, name: str) -> bytes | None:
        for area in (UPLOADS, QUARANTINE):
            data = self.store.get(f"{area}/{self._name(name)}")
            if data is not None:
                return data
        return None

    def uri(self, name: str) -> str:
        """Where a worker reads the upload."""
        return self.store.uri(f"{UPLOADS}/{self._name(name)}")

    def quarantine(self, name: str) -> None:
        """Move a blocked image's bytes aside (kept for appeal/evidence, never served)."""
        name = self._name(name)
        self.store.move(f"{UPLOADS}/{name}", f"{QUARANTINE}/{name}")

    def quarantine_uri(self, uri: str, image_id: str) -> bool:
        """Quarantine the upload a message URI names, when it is one of this store's uploads."""
        key = self.store.key_of(uri)
        if key is None or not key.startswith(f"{UPLOADS}/"):
            return False
        self.quarantine(key.removeprefix(f"{UPLOADS}/"))
        self.drop_thumbnail(image_id)
        return True

    @staticmethod
    def _name(name: str) -> str:
        sha = name.rsplit("/", 1)[-1]
        if not _SHA.match(sha):
            raise ValueError("not an upload blob name")
        return f"{sha[:2]}/{sha}"

    # -- thumbnails --------------------------------------------------------------------
    @staticmethod
    def thumb_key(image_id: str, side: int) -> str:
        if not _ID.match(image_id):
            raise ValueError("not an image id")
        return f"{THUMBS}/{image_id[:2]}/{image_id}-{int(side)}.jpg"

    def thumbnail(self, image_id: str, name: str, side: int, intake: IntakeConfig) -> bytes | None:
        """A JPEG at most ``side`` px (cached in the store), or None when the bytes are gone or not an image."""
        key = self.thumb_key(image_id, side)
        cached = self.store.get(key)
        if cached is not None:
            return cached
        src = self.store.get(f"{UPLOADS}/{self._name(name)}")
        if src is None:
            return None
        try:
            img = decode(src, intake, draft_side=side * 2).image
        except Exception:  # noqa: BLE001 - an unreadable upload simply has no thumbnail
            return None
        img.thumbnail((side, side), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=82, optimize=True, progressive=True)
        self.store.put(key, buf.getvalue())
        return buf.getvalue()

    def drop_thumbnail(self, image_id: str) -> None:
        if not _ID.match(image_id):
            return
        for key in self.store.keys(f"{THUMBS}/{image_id[:2]}/{image_id}-"):
            self.store.delete(key)

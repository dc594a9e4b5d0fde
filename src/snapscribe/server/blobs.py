"""Uploaded bytes on disk, named by content hash, all under the configured data directory.

Client file names are display text only, never part of a path. Layout::

    <data>/uploads/ab/<sha256>      bytes waiting for or done with processing
    <data>/quarantine/ab/<sha256>   bytes of blocked images (never served)
    <data>/thumbs/ab/<id>-<px>.jpg  previews
    <data>/tmp/                     uploads being received
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import time
from pathlib import Path

from PIL import Image

from ..config import IntakeConfig
from ..intake import decode

_SHA = re.compile(r"^[0-9a-f]{64}$")
_ID = re.compile(r"^[0-9a-f]{24}$")


class BlobStore:
    """Content-addressed files: ``put`` is idempotent, ``path`` never leaves the data directory."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        for sub in ("uploads", "quarantine", "thumbs", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    def new_temp(self) -> tuple[int, str]:
        return tempfile.mkstemp(prefix="upload-", suffix=".part", dir=self.tmp_dir)

    def clean_tmp(self, older_than_s: float = 3600) -> None:
        """Remove half-received uploads left by a crash."""
        cutoff = time.time() - older_than_s
        for path in self.tmp_dir.glob("upload-*.part"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                pass

    @staticmethod
    def key(sha256: str) -> str:
        if not _SHA.match(sha256):
            raise ValueError("not a sha256 hex digest")
        return f"{sha256[:2]}/{sha256}"

    def path(self, key: str, area: str = "uploads") -> Path:
        sha = key.rsplit("/", 1)[-1]
        return self.root / area / self.key(sha)

    def put(self, temp_path: str, sha256: str) -> str:
        """Move a received temp file into place under its hash; returns the blob key."""
        key = self.key(sha256)
        dest = self.path(key)
        dest.parent.mkdir(exist_ok=True)
        if dest.exists():
            os.unlink(temp_path)
        else:
            os.replace(temp_path, dest)
        return key

    def has(self, sha256: str) -> bool:
        key = self.key(sha256)
        return self.path(key).exists() or self.path(key, "quarantine").exists()

    def read(self, key: str) -> bytes | None:
        for area in ("uploads", "quarantine"):
            p = self.path(key, area)
            if p.exists():
                return p.read_bytes()
        return None

    def quarantine(self, key: str) -> None:
        """Move a blocked image's bytes aside (kept for appeal/evidence, never served)."""
        src, dest = self.path(key), self.path(key, "quarantine")
        if src.exists():
            dest.parent.mkdir(exist_ok=True)
            os.replace(src, dest)

    # -- thumbnails --------------------------------------------------------------------
    def thumb_path(self, image_id: str, side: int) -> Path:
        if not _ID.match(image_id):
            raise ValueError("not an image id")
        return self.root / "thumbs" / image_id[:2] / f"{image_id}-{int(side)}.jpg"

    def thumbnail(self, image_id: str, key: str, side: int, intake: IntakeConfig) -> Path | None:
        """A JPEG at most ``side`` px (cached on disk), or None when the bytes are gone or not an image."""
        out = self.thumb_path(image_id, side)
        if out.exists():
            return out
        src = self.path(key)
        if not src.exists():
            return None
        try:
            img = decode(src.read_bytes(), intake, draft_side=side * 2).image
        except Exception:  # noqa: BLE001 - an unreadable upload simply has no thumbnail
            return None
        img.thumbnail((side, side), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=82, optimize=True, progressive=True)
        out.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.tmp_dir, suffix=".thumb")
        with os.fdopen(fd, "wb") as fh:
            fh.write(buf.getvalue())
        os.replace(tmp, out)
        return out

    def drop_thumbnail(self, image_id: str) -> None:
        if not _ID.match(image_id):
            return
        for path in (self.root / "thumbs" / image_id[:2]).glob(f"{image_id}-*.jpg"):
            try:
                path.unlink()
            except OSError:
                pass

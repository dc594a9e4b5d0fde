"""Blobs as files under one folder (the single-machine default)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

from .base import BlobError, BlobStore, BlobTooLarge, check_key


class FileBlobs(BlobStore):
    """``root/<key>``; writes go through a temp file and an atomic rename."""

    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.url = self.root.as_uri()

    @classmethod
    def from_url(cls, url: str) -> FileBlobs:
        parsed = urlparse(url)
        if parsed.netloc not in ("", "localhost") or not parsed.path:
            raise BlobError(f"blobs.url: a file URL needs an absolute local path, not {url!r}")
        return cls(unquote(parsed.path))

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _place(self, key: str, write) -> None:
        dest = self.path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".put-")
        try:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
            os.replace(tmp, dest)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise

    def put(self, key: str, data: bytes) -> None:
        self._place(key, lambda fh: fh.write(data))

    def put_file(self, key: str, path: str) -> None:
        dest = self.path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(path, dest)  # same filesystem: atomic
        except OSError:
            with open(path, "rb") as src:
                self._place(key, lambda fh: shutil.copyfileobj(src, fh))
            os.unlink(path)

    def get(self, key: str, max_bytes: int | None = None) -> bytes | None:
        path = self.path(key)
        try:
            with open(path, "rb") as fh:
                if max_bytes is not None and os.fstat(fh.fileno()).st_size > max_bytes:
                    raise BlobTooLarge(f"{key} is over the cap of {max_bytes:,} bytes")
                return fh.read()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            pass

    def keys(self, prefix: str) -> list[str]:
        folder, _, stem = prefix.rpartition("/")
        base = self.path(folder) if folder else self.root
        if not base.is_dir():
            return []
        return sorted(
            f"{folder}/{p.name}" if folder else p.name
            for p in base.iterdir()
            if p.is_file() and p.name.startswith(stem)
        )

    def uri(self, key: str) -> str:
        return self.path(key).as_uri()

    def key_of(self, uri: str) -> str | None:
        parsed = urlparse(uri)
        if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
            return None
        path = Path(os.path.normpath(unquote(parsed.path)))
        if self.root not in path.parents:
            return None
        return path.relative_to(self.root).as_posix()

    def move(self, src: str, dest: str) -> bool:
        source, target = self.path(src), self.path(dest)
        if not source.is_file():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        return True

    def check(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise BlobError(f"{self.root} is not writable")

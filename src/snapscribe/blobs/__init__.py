"""Where image bytes live: uploads, quarantined bytes and previews, keyed by content hash.

One small interface (:class:`BlobStore`) with two implementations, chosen by ``[blobs] url``:
a folder (``file:///…``, the single-machine default: the data directory) and an S3-compatible
object store (``s3://bucket/prefix``, boto3; endpoint and credentials from the environment).
"""

from __future__ import annotations

from .base import BlobError, BlobStore, BlobTooLarge, content_key
from .files import FileBlobs
from .uploads import UploadBlobs


def open_blobs(url: str) -> BlobStore:
    """The store for a ``file:///path`` or ``s3://bucket[/prefix]`` URL."""
    if url.startswith("s3://"):
        from .s3 import S3Blobs

        return S3Blobs.from_url(url)
    if url.startswith("file://"):
        return FileBlobs.from_url(url)
    raise BlobError(f"blobs.url must be file:///path or s3://bucket[/prefix], not {url!r}")


__all__ = ["BlobError", "BlobStore", "BlobTooLarge", "FileBlobs", "UploadBlobs", "content_key", "open_blobs"]

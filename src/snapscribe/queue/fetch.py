"""Read an upload's bytes: inline data, a ``file://`` path or an ``http(s)://`` URL.

Raises :class:`~snapscribe.errors.IntakeError` with ``unreadable_file`` (worth a retry: a
shared filesystem or an object store may lag) or ``file_too_large``; the id check says
whether the bytes are the ones that were submitted.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..config import IntakeConfig
from ..errors import IntakeError
from ..intake import read_source
from .messages import UploadMessage


def path_to_uri(path: str | Path) -> str:
    return Path(path).resolve().as_uri()


def load_bytes(msg: UploadMessage, cfg: IntakeConfig, *, http_timeout_s: float = 30.0) -> bytes:
    """The image bytes the message points at, with the intake size cap applied."""
    inline = msg.inline_bytes()
    if inline is not None:
        if len(inline) > cfg.max_bytes:
            raise IntakeError(f"the inline data is over the cap of {cfg.max_bytes:,} bytes", "file_too_large")
        return inline
    parsed = urlparse(msg.uri)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise IntakeError(f"file URI on another host: {msg.uri}", "unreadable_file")
        return read_source(unquote(parsed.path), cfg)
    if parsed.scheme in ("http", "https"):
        return _http_get(msg.uri, cfg, http_timeout_s)
    if parsed.scheme == "" and msg.uri.startswith("/"):
        return read_source(msg.uri, cfg)
    raise IntakeError(f"unsupported URI scheme {parsed.scheme!r}: use file:// or http(s)://", "unsupported_uri")


def _http_get(url: str, cfg: IntakeConfig, timeout_s: float) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:  # noqa: S310 - scheme checked above
            data = resp.read(cfg.max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise IntakeError(f"GET {url}: HTTP {exc.code}", "unreadable_file") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise IntakeError(f"GET {url}: {exc}", "unreadable_file") from exc
    if len(data) > cfg.max_bytes:
        raise IntakeError(f"the download is over the cap of {cfg.max_bytes:,} bytes", "file_too_large")
    return data

"""Read an upload's bytes: inline data, a ``file://`` path, an ``http(s)://`` URL or an ``s3://`` object —
only what is allowed, and never for longer than ``fetch.timeout_s``.

Raises :class:`~snapscribe.errors.IntakeError` with one of these codes:

* ``unreadable_file`` — worth a retry (a shared filesystem or an object store may lag);
* ``fetch_timeout`` — the source did not deliver within the deadline (retried: it may be busy);
* ``source_not_allowed`` — the scheme, host, path or bucket is outside ``[fetch]``'s allowlist, or a
  redirect leads there (never retried). ``s3://`` URIs must lie in the ``[blobs]`` store or under
  ``fetch.s3_roots``;
* ``not_a_regular_file`` — a FIFO, device, socket or directory (never opened for reading);
* ``file_too_large`` — over the intake cap.

The id check (in the handler) says whether the bytes are the ones that were submitted.
"""

from __future__ import annotations

import fnmatch
import http.client
import ipaddress
import os
import socket
import ssl
import stat
import time
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

from ..blobs import BlobError, BlobStore, BlobTooLarge
from ..config import FetchConfig, IntakeConfig
from ..errors import IntakeError
from .messages import UploadMessage

# Never readable through file:// when no path roots are configured (kernel and system state, secrets).
DENIED_ROOTS = ("/proc", "/sys", "/dev", "/run", "/etc", "/boot", "/var/run")
_CHUNK = 64 * 1024


def path_to_uri(path: str | Path) -> str:
    return Path(path).resolve().as_uri()


class _Deadline:
    def __init__(self, seconds: float, what: str):
        self.at, self.seconds, self.what = time.monotonic() + seconds, seconds, what

    def left(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise IntakeError(f"{self.what}: no complete answer within {self.seconds:g}s", "fetch_timeout")
        return left


def load_bytes(msg: UploadMessage, cfg: IntakeConfig, fetch: FetchConfig, blobs: BlobStore | None = None) -> bytes:
    """The image bytes the message points at, with the intake size cap, the allowlist and the deadline.

    ``blobs`` is the fleet's own blob store: ``s3://`` URIs inside it are read through it."""
    inline = msg.inline_bytes()
    if inline is not None:
        if len(inline) > cfg.max_bytes:
            raise IntakeError(f"the inline data is over the cap of {cfg.max_bytes:,} bytes", "file_too_large")
        return inline
    parsed = urlparse(msg.uri)
    scheme = parsed.scheme or ("file" if msg.uri.startswith("/") else "")
    if scheme not in fetch.schemes or scheme not in ("file", "http", "https", "s3"):
        raise IntakeError(
            f"URI scheme {scheme!r} is not allowed (allowed: {', '.join(fetch.schemes)})",
            "source_not_allowed" if scheme in ("file", "http", "https", "s3") else "unsupported_uri",
        )
    if scheme == "s3":
        return read_object(msg.uri, cfg, fetch, blobs)
    if scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise IntakeError(f"file URI on another host: {msg.uri}", "unreadable_file")
        return read_file(unquote(parsed.path), cfg, fetch)
    return http_get(msg.uri, cfg, fetch)


# -- object stores ---------------------------------------------------------------------
def _s3_root(uri: str, fetch: FetchConfig) -> str | None:
    """The ``fetch.s3_roots`` entry ``uri`` lies under, if any."""
    for root in fetch.s3_roots:
        base = root.rstrip("/")
        if uri.startswith(base + "/") and urlparse(base).netloc == urlparse(uri).netloc:
            return base
    return None


def read_object(uri: str, cfg: IntakeConfig, fetch: FetchConfig, blobs: BlobStore | None) -> bytes:
    """An ``s3://`` object's bytes, from the fleet's blob store or an allowed root (same endpoint)."""
    key = blobs.key_of(uri) if blobs is not None else None
    store = blobs
    if key is None:
        root = _s3_root(uri, fetch)
        if root is None:
            raise IntakeError(f"{uri[:200]} is outside the blob store and fetch.s3_roots", "source_not_allowed")
        from ..blobs.s3 import S3Blobs

        store = S3Blobs.from_url(root, timeout_s=fetch.timeout_s)
        key = store.key_of(uri)
    if store is None or key is None:
        raise IntakeError(f"not an object key: {uri[:200]}", "source_not_allowed")
    try:
        data = store.get(key, max_bytes=cfg.max_bytes)
    except BlobTooLarge as exc:
        raise IntakeError(f"the object is over the cap of {cfg.max_bytes:,} bytes", "file_too_large") from exc
    except BlobError as exc:
        raise IntakeError(f"cannot read {uri[:200]}: {exc.message}", "unreadable_file") from exc
    if data is None:
        raise IntakeError(f"cannot read {uri[:200]}: no such object", "unreadable_file")
    return data


# -- files -----------------------------------------------------------------------------
def allowed_path(path: str, fetch: FetchConfig) -> Path:
    """The resolved path (symlinks followed) when it lies under an allowed root; else ``source_not_allowed``."""
    real = Path(os.path.realpath(path))
    roots = [Path(os.path.realpath(r)) for r in fetch.path_roots]
    if roots:
        ok = any(real == r or r in real.parents for r in roots)
    else:
        ok = not any(real == Path(d) or Path(d) in real.parents for d in DENIED_ROOTS)
    if not ok:
        raise IntakeError(f"{path} is outside the allowed folders", "source_not_allowed")
    return real


def read_file(path: str, cfg: IntakeConfig, fetch: FetchConfig) -> bytes:
    """A regular file's bytes. Opened non-blocking and checked with fstat before any read, so a FIFO,
    a device or a socket is refused at once instead of blocking the worker."""
    real = allowed_path(path, fetch)
    deadline = _Deadline(fetch.timeout_s, f"read {path}")
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise IntakeError(f"cannot read {path}: {exc.strerror or exc}", "unreadable_file") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise IntakeError(f"{path} is {kind}", "not_a_regular_file")
        if st.st_size > cfg.max_bytes:
            raise IntakeError(f"the file is over the cap of {cfg.max_bytes:,} bytes", "file_too_large")
        parts, size = [], 0
        while True:
            deadline.left()
            chunk = os.read(fd, 1024 * 1024)
            if not chunk:
                break
            size += len(chunk)
            if size > cfg.max_bytes:
                raise IntakeError(f"the file is over the cap of {cfg.max_bytes:,} bytes", "file_too_large")
            parts.append(chunk)
        return b"".join(parts)
    except OSError as exc:
        raise IntakeError(f"cannot read {path}: {exc.strerror or exc}", "unreadable_file") from exc
    finally:
        os.close(fd)


# -- http(s) -----------------------------------------------------------------------------
def _host_allowed(host: str, fetch: FetchConfig) -> bool:
    host = host.lower().rstrip(".")
    return any(fnmatch.fnmatchcase(host, pattern.lower()) for pattern in fetch.hosts)


def _addresses(host: str, port: int, deadline: _Deadline) -> list[str]:
    deadline.left()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise IntakeError(f"cannot resolve {host}: {exc}", "unreadable_file") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _check_target(url: str, fetch: FetchConfig, deadline: _Deadline) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) for an allowed URL; else ``source_not_allowed``."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or parsed.scheme not in fetch.schemes:
        raise IntakeError(f"URI scheme {parsed.scheme!r} is not allowed", "source_not_allowed")
    host = parsed.hostname or ""
    if not host or parsed.username or parsed.password:
        raise IntakeError(f"no usable host in {url[:200]}", "source_not_allowed")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addrs = _addresses(host, port, deadline)
    if fetch.hosts:
        if not _host_allowed(host, fetch):
            raise IntakeError(f"host {host} is not in fetch.hosts", "source_not_allowed")
    elif not addrs or not all(ipaddress.ip_address(a.split("%")[0]).is_global for a in addrs):
        raise IntakeError(
            f"host {host} resolves to a non-public address; list it in fetch.hosts to allow it", "source_not_allowed"
        )
    return parsed.scheme, host, port, addrs[0]


class _Pinned(http.client.HTTPConnection):
    """An HTTP connection to the address that was checked (no second DNS answer can redirect it)."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def http_get(url: str, cfg: IntakeConfig, fetch: FetchConfig) -> bytes:
    """GET with the deadline over everything (each redirect checked against the allowlist)."""
    deadline = _Deadline(fetch.timeout_s, f"GET {url[:200]}")
    for _ in range(fetch.max_redirects + 1):
        scheme, host, port, address = _check_target(url, fetch, deadline)
        conn_cls = _PinnedTLS if scheme == "https" else _Pinned
        conn = conn_cls(host, port, address, timeout=deadline.left())
        try:
            parsed = urlparse(url)
            target = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
            conn.request("GET", target, headers={"User-Agent": "snapscribe-worker", "Accept": "image/*"})
            resp = conn.getresponse()
            if resp.status in (301, 302, 303, 307, 308):
                location = resp.getheader("Location")
                if not location:
                    raise IntakeError(f"GET {url[:200]}: HTTP {resp.status} without a Location", "unreadable_file")
                url = urljoin(url, location)
                continue
            if resp.status != 200:
                raise IntakeError(f"GET {url[:200]}: HTTP {resp.status}", "unreadable_file")
            length = resp.getheader("Content-Length")
            if length and length.isdigit() and int(length) > cfg.max_bytes:
                raise IntakeError(f"the download is over the cap of {cfg.max_bytes:,} bytes", "file_too_large")
            parts, size = [], 0
            while True:
                if conn.sock is not None:
                    conn.sock.settimeout(deadline.left())  # each wait ends at the deadline, not after it
                chunk = resp.read1(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > cfg.max_bytes:
                    raise IntakeError(f"the download is over the cap of {cfg.max_bytes:,} bytes", "file_too_large")
                parts.append(chunk)
                deadline.left()
            return b"".join(parts)
        except IntakeError:
            raise
        except TimeoutError as exc:
            raise IntakeError(
                f"GET {url[:200]}: no complete answer within {fetch.timeout_s:g}s", "fetch_timeout"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise IntakeError(f"GET {url[:200]}: {exc}", "unreadable_file") from exc
        finally:
            conn.close()
    raise IntakeError(f"GET: more than {fetch.max_redirects} redirects", "unreadable_file")

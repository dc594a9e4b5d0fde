"""Receive an upload from the request stream with the size cap enforced while it arrives.

A multipart body carries the image in the field ``file``; the small text fields in
``FORM_FIELDS`` (``tone``) are kept, every other field is ignored (bounded).

Nothing is buffered in memory beyond one network chunk and nothing lands outside the
data directory (Starlette's own form parser would spool to the system temp dir). A
body over the cap is refused before reading when ``Content-Length`` says so, and
otherwise as soon as the file part crosses the cap; the rest is drained, not stored,
so the client reliably reads the 413 (up to ``DRAIN_LIMIT``, then the connection is cut).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, field

from python_multipart import MultipartParser
from python_multipart.multipart import parse_options_header
from starlette.requests import ClientDisconnect, Request

from ..store.db import is_storage_failure
from .errors import ApiError, storage_error

MULTIPART_SLACK = 64 * 1024  # headers and boundaries around the file part
FORM_FIELDS = frozenset({"tone"})  # text fields an upload may carry besides ``file``
FIELD_LIMIT = 64  # bytes of one such field's value
DRAIN_LIMIT = 256 * 1024 * 1024


@dataclass
class Received:
    """An upload on disk in the data directory's tmp folder."""

    path: str
    sha256: str
    size: int
    filename: str
    fields: dict[str, str] = field(default_factory=dict)  # the ``FORM_FIELDS`` the form carried

    def read(self) -> bytes:
        with open(self.path, "rb") as fh:
            return fh.read()

    def discard(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def display_name(raw: str | None) -> str:
    """A client file name reduced to harmless display text (never used as a path)."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip().lstrip(".")
    return name[:200] or "upload"


@dataclass
class _Sink:
    fd: int
    cap: int
    size: int = 0
    too_large: bool = False
    hasher: hashlib._Hash = field(default_factory=hashlib.sha256)

    def write(self, data: bytes) -> None:
        if self.too_large or not data:
            return
        self.size += len(data)
        if self.size > self.cap:
            self.too_large = True
            return
        self.hasher.update(data)
        os.write(self.fd, data)


class _FormReader:
    """Streams the ``file`` part of a multipart body into a sink; other parts are ignored (bounded)."""

    def __init__(self, boundary: bytes, sink: _Sink):
        self.sink = sink
        self.filename: str | None = None
        self.found = False
        self.fields: dict[str, str] = {}
        self._in_file = False
        self._field: str | None = None  # the FORM_FIELDS part being read
        self._value = b""
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._other_bytes = 0
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_header_field": self._header_field_cb,
                "on_header_value": self._header_value_cb,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
            },
        )

    def _part_begin(self) -> None:
        self._headers, self._in_file, self._field, self._value = {}, False, None, b""

    def _header_field_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        if name == "file" and not self.found:
            self._in_file, self.found = True, True
            raw = params.get(b"filename")
            self.filename = raw.decode("utf-8", "replace") if raw is not None else None
        elif name in FORM_FIELDS and name not in self.fields:
            self._field = name

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.sink.write(data[start:end])
            return
        self._other_bytes += end - start
        if self._other_bytes > MULTIPART_SLACK:
            raise ApiError(400, "bad_request", "only the fields 'file' and 'tone' are accepted")
        if self._field is not None:
            self._value += data[start:end]
            if len(self._value) > FIELD_LIMIT:
                raise ApiError(400, "bad_request", f"the form field {self._field!r} is too long")

    def _part_end(self) -> None:
        if self._field is not None:
            self.fields[self._field] = self._value.decode("utf-8", "replace").strip()
        self._in_file, self._field = False, None

    def feed(self, chunk: bytes) -> None:
        self.parser.write(chunk)


async def _chunks(request: Request, idle_s: float, total_s: float):
    """The body's chunks, each within ``idle_s`` of the last and all within ``total_s``; else 408."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + total_s
    stream = request.stream().__aiter__()
    while True:
        wait = min(idle_s, deadline - loop.time())
        try:
            if wait <= 0:
                raise TimeoutError
            chunk = await asyncio.wait_for(stream.__anext__(), wait)
        except StopAsyncIteration:
            return
        except TimeoutError as exc:
            raise ApiError(
                408,
                "request_timeout",
                f"the upload did not arrive in time (nothing for {idle_s:g}s, or not all within {total_s:g}s)",
                headers={"Connection": "close"},
            ) from exc
        yield chunk


async def _drain(chunks, already: int) -> None:
    """Read (and drop) the rest of the body, so the client reads the answer; bounded by ``DRAIN_LIMIT``."""
    seen = already
    try:
        async for chunk in chunks:
            seen += len(chunk)
            if seen > DRAIN_LIMIT:
                break
    except (ClientDisconnect, ApiError):
        pass


def _too_large(cap: int) -> ApiError:
    return ApiError(413, "file_too_large", f"the upload is over the cap of {cap:,} bytes")


async def receive(
    request: Request,
    *,
    tmp: tuple[int, str],
    cap: int,
    name: str | None = None,
    idle_s: float = 30.0,
    total_s: float = 300.0,
) -> Received:
    """Read a multipart (field ``file``) or raw-bytes upload into ``tmp``; raises :class:`ApiError`.

    The temp file is removed on every failure (too large, too slow, malformed, client gone)."""
    fd, path = tmp
    try:
        chunks = _chunks(request, idle_s, total_s)
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > cap + MULTIPART_SLACK:
            if request.headers.get("expect", "").lower() != "100-continue":
                await _drain(chunks, 0)
            raise _too_large(cap)
        ctype, params = parse_options_header(request.headers.get("content-type", ""))
        sink = _Sink(fd=fd, cap=cap)
        form: _FormReader | None = None
        if ctype == b"multipart/form-data":
            boundary = params.get(b"boundary")
            if not boundary:
                raise ApiError(400, "bad_request", "multipart body without a boundary")
            form = _FormReader(boundary, sink)
        received = 0
        try:
            async for chunk in chunks:
                received += len(chunk)
                if form is not None:
                    form.feed(chunk)
                else:
                    sink.write(chunk)
                if sink.too_large:
                    await _drain(chunks, received)  # the same stream: it can be iterated only once
                    raise _too_large(cap)
        except ClientDisconnect as exc:
            raise ApiError(400, "bad_request", "the client went away mid-upload") from exc
        except ApiError:
            raise
        except Exception as exc:
            if is_storage_failure(exc):  # the server's disk is full, not the body malformed
                raise storage_error(exc) from exc
            raise ApiError(400, "bad_request", f"malformed multipart body: {exc}") from exc
        if form is not None and not form.found:
            raise ApiError(400, "missing_file", "send the image in a multipart field named 'file'")
        filename = display_name(form.filename if form is not None else name)
        fields = form.fields if form is not None else {}
        return Received(path=path, sha256=sink.hasher.hexdigest(), size=sink.size, filename=filename, fields=fields)
    except BaseException:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        raise
    finally:
        os.close(fd)

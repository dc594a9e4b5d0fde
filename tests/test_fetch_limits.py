"""Worker fetches (issue 17, defect 3): a deadline for every source, only regular files, and an allowlist
of schemes, hosts and folders that redirects cannot escape. Real files, a real FIFO, real HTTP servers."""

from __future__ import annotations

import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from snapscribe.config import FetchConfig, IntakeConfig
from snapscribe.errors import IntakeError
from snapscribe.queue.fetch import load_bytes
from snapscribe.queue.messages import UploadMessage

pytestmark = pytest.mark.timeout(60)

PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 200
LOCAL = FetchConfig(hosts=["127.0.0.1", "localhost"], timeout_s=2.0)


def _msg(uri: str) -> UploadMessage:
    return UploadMessage(id="a" * 24, uri=uri)


def _code(uri: str, fetch: FetchConfig) -> tuple[str, float]:
    start = time.monotonic()
    with pytest.raises(IntakeError) as err:
        load_bytes(_msg(uri), IntakeConfig(), fetch)
    return err.value.code, time.monotonic() - start


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict] = {}

    def do_GET(self) -> None:
        action = self.routes.get(self.path.split("?")[0])
        if action is None:
            self.send_error(404)
            return
        action(self)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_server():
    routes: ClassVar[dict] = {}
    handler = type("H", (_Handler,), {"routes": routes})
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", routes
    srv.shutdown()
    srv.server_close()


def _ok(h) -> None:
    h.send_response(200)
    h.send_header("Content-Length", str(len(PNG)))
    h.end_headers()
    h.wfile.write(PNG)


def _trickle(h) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "100000")
    h.end_headers()
    try:
        for _ in range(100):  # one byte every 0.5 s: each read succeeds, the whole never arrives in time
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(0.5)
    except OSError:
        pass


def test_a_fifo_is_refused_at_once_instead_of_blocking(tmp_path):
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    code, took = _code(fifo.as_uri(), FetchConfig(timeout_s=2.0))
    assert code == "not_a_regular_file" and took < 1.0


def test_devices_and_system_folders_are_refused_by_default(tmp_path):
    assert _code("file:///dev/zero", FetchConfig())[0] == "source_not_allowed"
    assert _code("file:///proc/self/environ", FetchConfig())[0] == "source_not_allowed"
    link = tmp_path / "innocent.jpg"
    link.symlink_to("/etc/hostname")  # a symlink does not get around the check
    assert _code(link.as_uri(), FetchConfig())[0] == "source_not_allowed"


def test_path_roots_limit_file_uris(tmp_path):
    inside = tmp_path / "in" / "a.png"
    inside.parent.mkdir()
    inside.write_bytes(PNG)
    outside = tmp_path / "out.png"
    outside.write_bytes(PNG)
    roots = FetchConfig(path_roots=[str(tmp_path / "in")])
    assert load_bytes(_msg(inside.as_uri()), IntakeConfig(), roots) == PNG
    assert _code(outside.as_uri(), roots)[0] == "source_not_allowed"
    assert _code((tmp_path / "in" / ".." / "out.png").as_uri(), roots)[0] == "source_not_allowed"


def test_a_trickling_http_source_hits_the_deadline(http_server):
    base, routes = http_server
    routes["/slow.png"] = _trickle
    code, took = _code(f"{base}/slow.png", LOCAL)
    assert code == "fetch_timeout"
    assert took < LOCAL.timeout_s + 1.5, took


def test_a_silent_http_source_hits_the_deadline():
    with socket.socket() as listener:  # accepts the connection, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        code, took = _code(f"http://127.0.0.1:{listener.getsockname()[1]}/x.png", LOCAL)
    assert code == "fetch_timeout" and took < LOCAL.timeout_s + 1.5


def test_private_hosts_need_the_allowlist(http_server):
    base, routes = http_server
    routes["/a.png"] = _ok
    assert _code(f"{base}/a.png", FetchConfig())[0] == "source_not_allowed"  # loopback: not public
    assert load_bytes(_msg(f"{base}/a.png"), IntakeConfig(), LOCAL) == PNG
    assert _code(f"{base}/a.png", FetchConfig(hosts=["images.example.com"]))[0] == "source_not_allowed"


def test_redirects_are_checked_against_the_allowlist(http_server):
    base, routes = http_server
    port = base.rsplit(":", 1)[1]

    def to_admin(h) -> None:
        h.send_response(302)
        h.send_header("Location", f"http://localhost:{port}/admin")
        h.end_headers()

    def to_ok(h) -> None:
        h.send_response(301)
        h.send_header("Location", "/a.png")
        h.end_headers()

    routes.update({"/r1": to_admin, "/r2": to_ok, "/a.png": _ok, "/admin": _ok})
    only_ip = FetchConfig(hosts=["127.0.0.1"], timeout_s=2.0)
    assert _code(f"{base}/r1", only_ip)[0] == "source_not_allowed"  # the redirect leaves the allowlist
    assert load_bytes(_msg(f"{base}/r2"), IntakeConfig(), only_ip) == PNG  # a redirect within it is fine


def test_schemes_outside_the_allowlist_are_refused(tmp_path, http_server):
    base, routes = http_server
    routes["/a.png"] = _ok
    path = tmp_path / "a.png"
    path.write_bytes(PNG)
    http_only = FetchConfig(schemes=["https"], hosts=["127.0.0.1"])
    assert _code(path.as_uri(), http_only)[0] == "source_not_allowed"
    assert _code(f"{base}/a.png", http_only)[0] == "source_not_allowed"
    assert _code("ftp://example.com/a.png", FetchConfig())[0] == "unsupported_uri"

"""A contract test server: a real HTTP server speaking OpenAI-compatible chat completions
(plain JSON and server-sent events) that records every request and answers from a script.

    with ContractServer(["A tabby cat.", Reply("slow", delay=5), Reply(status=503)]) as srv:
        ... point vlm.endpoint at srv.url ...
        srv.requests[0].body["messages"]

A script entry is a string (the reply text) or a :class:`Reply`; when the script runs out
the last entry repeats. ``default`` answers every request when no script is given.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

from PIL import Image


@dataclass(frozen=True)
class Reply:
    content: str = "A photo."
    delay: float = 0.0
    status: int = 200


@dataclass
class Recorded:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    body: dict
    started: float
    finished: float = 0.0

    @property
    def messages(self) -> list[dict]:
        return self.body.get("messages", [])

    @property
    def system(self) -> str:
        return next(m["content"] for m in self.messages if m["role"] == "system")

    @property
    def user_text(self) -> str:
        content = next(m["content"] for m in self.messages if m["role"] == "user")
        if isinstance(content, str):
            return content
        return "\n".join(p["text"] for p in content if p.get("type") == "text")

    @property
    def image_uri(self) -> str | None:
        content = next(m["content"] for m in self.messages if m["role"] == "user")
        if isinstance(content, str):
            return None
        return next((p["image_url"]["url"] for p in content if p.get("type") == "image_url"), None)

    def image(self) -> Image.Image | None:
        uri = self.image_uri
        if uri is None:
            return None
        head, data = uri.split(",", 1)
        assert head == "data:image/jpeg;base64", head
        img = Image.open(io.BytesIO(base64.b64decode(data)))
        img.load()
        return img


@dataclass
class ContractServer:
    script: list = field(default_factory=list)
    default: Reply = field(default_factory=Reply)

    def __post_init__(self):
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self._i = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                owner._send_json(self, 200, {"object": "list", "data": [{"id": "contract", "object": "model"}]})

            def do_POST(self):
                owner._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    # -- lifecycle ----------------------------------------------------------------------
    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- answering ----------------------------------------------------------------------
    def _next(self) -> Reply:
        with self.lock:
            if not self.script:
                return self.default
            entry = self.script[min(self._i, len(self.script) - 1)]
            self._i += 1
        return entry if isinstance(entry, Reply) else Reply(str(entry))

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length", 0)))
        rec = Recorded(h.path, dict(h.headers), json.loads(raw or b"{}"), time.monotonic())
        with self.lock:
            self.requests.append(rec)
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            reply = self._next()
            if reply.delay:
                time.sleep(reply.delay)
            if not h.path.rstrip("/").endswith("/chat/completions"):
                self._send_json(h, 404, {"error": {"message": f"no route {h.path}"}})
            elif reply.status != 200:
                self._send_json(h, reply.status, {"error": {"message": f"scripted failure {reply.status}"}})
            elif rec.body.get("stream"):
                self._send_stream(h, reply.content)
            else:
                self._send_json(
                    h,
                    200,
                    {
                        "id": "chatcmpl-contract",
                        "object": "chat.completion",
                        "model": rec.body.get("model"),
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": reply.content},
                            }
                        ],
                        "usage": {"prompt_tokens": 0, "completion_tokens": len(reply.content.split())},
                    },
                )
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            rec.finished = time.monotonic()
            with self.lock:
                self.active -= 1

    @staticmethod
    def _send_json(h: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    @staticmethod
    def _send_stream(h: BaseHTTPRequestHandler, content: str) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        pieces = [content[i : i + 7] for i in range(0, len(content), 7)] or [""]
        for piece in [None, *pieces]:
            delta = {"role": "assistant"} if piece is None else {"content": piece}
            event = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]}
            h.wfile.write(b"data: " + json.dumps(event).encode() + b"\n\n")
            h.wfile.flush()
        h.wfile.write(b"data: [DONE]\n\n")
        h.wfile.flush()
        h.close_connection = True

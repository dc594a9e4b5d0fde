"""A real S3-protocol server for the tests: moto's server mode on a free port, in a thread."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

S3_ENV_KEYS = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")


@contextmanager
def moto_s3() -> Iterator[dict[str, str]]:
    """Start moto's S3 server; yields the environment a client (or a subprocess) needs to reach it."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield {
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing-secret",
            "AWS_REGION": "us-east-1",
        }
    finally:
        server.stop()


@contextmanager
def s3_env(env: dict[str, str]) -> Iterator[None]:
    """Point this process's S3 clients at ``env`` for the duration."""
    saved = {k: os.environ.get(k) for k in S3_ENV_KEYS}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def new_bucket(prefix: str = "snap") -> str:
    """A fresh bucket name on the current endpoint (created)."""
    from snapscribe.blobs.s3 import make_client

    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    make_client(5).create_bucket(Bucket=name)
    return name

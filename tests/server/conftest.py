"""Fixtures for the HTTP service tests: one real server (real pipeline, real models) per session."""

from __future__ import annotations

import pytest
from harness import Server

# name:key:role; "other" has no role and gets [server] default_role (uploader)
KEYS = "tester:test-key-1:admin,moderator:test-key-2:reviewer,uploader:test-key-3:uploader,other:test-key-4"


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    srv = Server(tmp_path_factory.mktemp("serve"), keys=KEYS).start()
    yield srv
    srv.stop()

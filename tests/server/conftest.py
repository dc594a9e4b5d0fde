"""Fixtures for the HTTP service tests: one real server (real pipeline, real models) per session."""

from __future__ import annotations

import pytest
from harness import Server


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    srv = Server(tmp_path_factory.mktemp("serve"), keys="tester:test-key-1,moderator:test-key-2").start()
    yield srv
    srv.stop()

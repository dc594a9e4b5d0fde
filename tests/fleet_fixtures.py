"""Fixtures shared by the fleet tests (a pytest plugin loaded by conftest.py).

``admin``: an autocommit connection to PostgreSQL's maintenance database (the module skips when
PostgreSQL is unreachable); ``database``: a fresh database per test, named after the module;
``broker``: a fresh Tansu broker per test; ``workers``: worker processes started by the test,
killed at teardown if still running.
"""

from __future__ import annotations

import pytest
from kafka_support import WorkerProc, create_database, drop_database, pg_admin


@pytest.fixture(scope="module")
def admin():
    conn = pg_admin()
    if conn is None:
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432 (set SNAPSCRIBE_TEST_PG to point elsewhere)")
    yield conn
    conn.close()


@pytest.fixture
def database(admin, request):
    prefix = "snapscribe_" + request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    name = create_database(admin, prefix)
    yield name
    drop_database(admin, name)


@pytest.fixture
def broker(tmp_path):
    from snapscribe.queue.broker import LocalBroker

    with LocalBroker(log_path=tmp_path / "tansu.log") as b:
        yield b


@pytest.fixture
def workers():
    started: list[WorkerProc] = []
    yield started
    for w in started:
        if w.proc.poll() is None:
            w.kill9()

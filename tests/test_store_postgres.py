"""The store on PostgreSQL: the same migrations and idempotent upserts as on SQLite."""

from __future__ import annotations

import threading

import pytest
from kafka_support import create_database, db_url, drop_database, pg_admin

from snapscribe.records import ImageRecord, Status, image_id_for
from snapscribe.store import Database, ResultStore
from snapscribe.store.db import MIGRATIONS, is_unavailable


@pytest.fixture(scope="module")
def pg():
    admin = pg_admin()
    if admin is None:
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432 (set SNAPSCRIBE_TEST_PG to point elsewhere)")
    name = create_database(admin, "snapscribe_store")
    yield admin, name
    drop_database(admin, name)
    admin.close()


def test_concurrent_first_start_migrates_once(pg):
    _, name = pg
    errors: list[BaseException] = []

    def start() -> None:
        try:
            Database(db_url(name)).close()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    versions = Database(db_url(name)).query("SELECT version FROM schema_migrations ORDER BY version")
    assert [v for (v,) in versions] == list(range(1, len(MIGRATIONS) + 1))


def test_upsert_is_idempotent_and_features_are_bytes(pg):
    _, name = pg
    store = ResultStore(Database(db_url(name)))
    sha = "ef" * 32
    for caption in ("A cat", "A cat on a mat"):
        store.put(
            ImageRecord(id=image_id_for(sha), source="x.jpg", sha256=sha, status=Status.captioned, caption=caption), "k"
        )
    assert store.count() == 1 and store.get(image_id_for(sha)).caption == "A cat on a mat"
    store.put_feature(sha, "f", "v1", b"\x00\x01binary")
    assert store.get_feature(sha, "f", "v1") == b"\x00\x01binary"


def test_a_killed_connection_is_reported_as_unavailable_and_reconnects(pg):
    admin, name = pg
    db = Database(db_url(name))
    pid = db.query_one("SELECT pg_backend_pid()")[0]
    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(Exception) as info:
        db.query_one("SELECT 1")
    assert is_unavailable(info.value)
    db.reset_connection()
    assert db.query_one("SELECT 1") == (1,)


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_an_error_never_overwrites_a_finished_result(pg, backend, tmp_path):
    """Issue 17, defect 5: a racing or later-failing run stores `internal_error` for an image another
    process has just captioned; the good row must survive. An error still replaces an older error."""
    _, name = pg
    store = ResultStore(Database(db_url(name) if backend == "postgres" else f"sqlite:///{tmp_path / 'r.db'}"))
    sha = "a7" * 32
    image_id = image_id_for(sha)
    before = store.count()

    def error(code: str) -> ImageRecord:
        return ImageRecord.failed(source="x.jpg", sha256=sha, code=code, message=f"{code} happened")

    store.put(error("unreadable_file"), "k")
    store.put(error("internal_error"), "k")
    assert store.get(image_id).error.code == "internal_error"  # error over error: the latest wins
    store.put(ImageRecord(id=image_id, source="x.jpg", sha256=sha, status=Status.captioned, caption="A dog"), "k")
    store.put(error("internal_error"), "k")
    got = store.get(image_id)
    assert got.status is Status.captioned and got.caption == "A dog"
    assert store.count() == before + 1

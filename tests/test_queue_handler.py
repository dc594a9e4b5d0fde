"""The per-message handler on the real pipeline and a SQLite store (no broker needed)."""

from __future__ import annotations

import hashlib
import io

import pytest
from hostile import jpeg_bytes, photo_like

from snapscribe.config import Settings
from snapscribe.pipeline import build_pipeline
from snapscribe.queue.events import EventLog, Stats
from snapscribe.queue.handler import MessageHandler, RawMessage
from snapscribe.queue.messages import UploadMessage
from snapscribe.records import Status, image_id_for
from snapscribe.store import Database, ResultStore


@pytest.fixture(scope="module")
def handler(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    settings = Settings().with_overrides(
        **{"store.data_dir": str(home), "kafka.retry_backoff_s": 0.01, "kafka.max_attempts": 3}
    )
    store = ResultStore(Database(f"sqlite:///{home / 'r.db'}"))
    log = io.StringIO()
    h = MessageHandler(
        settings, build_pipeline(settings, store), None, worker_id="t", events=EventLog("t", log), stats=Stats()
    )
    h.log = log
    return h


def _raw(msg: UploadMessage, offset: int = 0) -> RawMessage:
    return RawMessage("up", 0, offset, msg.id.encode(), msg.to_bytes())


def _file(tmp_path, seed: int) -> tuple[str, str]:
    data = jpeg_bytes(photo_like(300, 220, seed=seed))
    path = tmp_path / f"{seed}.jpg"
    path.write_bytes(data)
    return path.as_uri(), image_id_for(hashlib.sha256(data).hexdigest())


def test_good_image_then_redelivery_is_cached(handler, tmp_path):
    uri, image_id = _file(tmp_path, 1)
    first = handler.handle(_raw(UploadMessage(id=image_id, uri=uri)))
    again = handler.handle(_raw(UploadMessage(id=image_id, uri=uri), 1))
    assert first.status == Status.captioned.value and not first.dead_letter and not first.cached
    assert again.cached and again.image_id == image_id
    assert handler.store.get(image_id).caption


def test_missing_file_is_retried_then_dead_lettered_with_an_error_row(handler, tmp_path):
    msg = UploadMessage(id="0123456789abcdef01234567", uri=(tmp_path / "gone.jpg").as_uri())
    out = handler.handle(_raw(msg))
    assert out.dead_letter and out.image_id == msg.id
    row = handler.store.get(msg.id)
    assert row.status is Status.error and row.error.code == "unreadable_file"
    assert handler.log.getvalue().count('"retry"') >= 2  # three attempts in all


def test_bytes_that_do_not_match_the_id_are_refused(handler, tmp_path):
    uri, real_id = _file(tmp_path, 2)
    claimed = "ffffffffffffffffffffffff"
    out = handler.handle(_raw(UploadMessage(id=claimed, uri=uri)))
    assert out.dead_letter and handler.store.get(claimed).error.code == "id_mismatch"
    assert handler.store.get(real_id) is None  # nothing stored under an id nobody asked for


def test_a_later_failure_never_overwrites_a_finished_result(handler, tmp_path):
    uri, image_id = _file(tmp_path, 3)
    assert not handler.handle(_raw(UploadMessage(id=image_id, uri=uri))).dead_letter
    (tmp_path / "3.jpg").unlink()
    out = handler.handle(_raw(UploadMessage(id=image_id, uri=uri), 1))
    assert not out.dead_letter and out.status == Status.captioned.value
    assert handler.store.get(image_id).status is Status.captioned


def test_a_malformed_message_for_a_finished_image_is_dead_lettered_without_touching_the_row(handler, tmp_path):
    uri, image_id = _file(tmp_path, 4)
    assert not handler.handle(_raw(UploadMessage(id=image_id, uri=uri))).dead_letter
    out = handler.handle(RawMessage("up", 0, 9, image_id.encode(), b"{oops"))
    assert out.dead_letter and handler.store.get(image_id).status is Status.captioned

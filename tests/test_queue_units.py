"""The worker's pure parts: commit positions under out-of-order completion, and message parsing."""

from __future__ import annotations

import base64
import json

import pytest

from snapscribe.queue.messages import BadMessage, DeadLetter, OriginalMessage, UploadMessage
from snapscribe.queue.offsets import OffsetBook, PartitionOffsets


def test_commit_position_waits_for_the_oldest_unfinished_message():
    p = PartitionOffsets("up", 0)
    for off in (10, 11, 12, 13):
        p.start(off)
    assert p.position == 10 and p.uncommitted() == 10  # nothing finished: commit where we started
    p.finish(12)
    p.finish(11)
    assert p.position == 10  # 10 still in flight holds everything back
    p.finish(10)
    assert p.position == 13 and p.in_flight == 1
    p.mark_committed(13)
    assert p.uncommitted() is None
    p.finish(13)
    assert p.position == 14 and p.uncommitted() == 14 and p.in_flight == 0


def test_offset_gaps_and_revocation():
    book = OffsetBook()
    p = book.assign("up", 3)
    p.start(5)
    p.start(9)  # offsets 6-8 do not exist (compaction, transaction markers)
    p.finish(9)
    assert p.position == 5
    p.finish(5)
    assert p.position == 10
    assert book.to_commit() == [p]
    revoked = book.revoke("up", 3)
    assert revoked is p and p.revoked and book.get("up", 3) is None and book.in_flight == 0


def test_a_failed_message_holds_the_commit_but_is_not_waited_for():
    book = OffsetBook()
    p = book.assign("up", 0)
    for off in (4, 5, 6):
        p.start(off)
    p.fail(4)  # its handling raised (a full disk): never committed, never finishing
    p.finish(5)
    assert p.position == 4 and p.in_flight == 1 and book.failed == 1
    p.finish(6)
    assert p.position == 4 and book.in_flight == 0  # a shutdown drains at once, commits nothing past 4


def test_upload_message_round_trip_and_inline_data():
    msg = UploadMessage(id="a" * 24, uri="file:///tmp/x.jpg", data=base64.b64encode(b"\xff\xd8\xff").decode())
    back = UploadMessage.parse(msg.to_bytes(), b"a" * 24)
    assert back == msg and back.inline_bytes() == b"\xff\xd8\xff"
    assert (
        UploadMessage.parse(json.dumps({"id": "b" * 24, "uri": "file:///y", "future_field": 1}).encode()).id == "b" * 24
    )


@pytest.mark.parametrize(
    "value,key,image_id",
    [
        (b"{not json", b"c" * 24, "c" * 24),  # the key names the image
        (b"\xff\xfe", None, None),  # nothing names it
        (b"", b"d" * 24, "d" * 24),
        (json.dumps({"id": "e" * 24}).encode(), None, "e" * 24),  # no uri
        (json.dumps({"id": "bad id with spaces", "uri": "file:///x"}).encode(), b"not an id either!", None),
        (json.dumps([1, 2]).encode(), None, None),
    ],
)
def test_bad_messages_say_why_and_which_image(value, key, image_id):
    with pytest.raises(BadMessage) as info:
        UploadMessage.parse(value, key)
    assert info.value.code == "bad_message" and info.value.image_id == image_id and info.value.message


def test_upload_message_tone_is_optional_and_checked():
    toned = UploadMessage(id="a" * 24, uri="file:///x", tone="poetic")
    assert json.loads(toned.to_bytes())["tone"] == "poetic" and UploadMessage.parse(toned.to_bytes()).tone == "poetic"
    plain = UploadMessage(id="a" * 24, uri="file:///x")
    assert "tone" not in json.loads(plain.to_bytes()) and UploadMessage.parse(plain.to_bytes()).tone is None
    with pytest.raises(BadMessage) as info:
        UploadMessage.parse(json.dumps({"id": "a" * 24, "uri": "file:///x", "tone": "sarcastic"}).encode())
    assert "tone" in info.value.message and info.value.image_id == "a" * 24


def test_bad_base64_is_a_bad_message():
    msg = UploadMessage(id="f" * 24, uri="file:///x", data="%%%not base64")
    with pytest.raises(BadMessage):
        msg.inline_bytes()


def test_dead_letter_keeps_the_original_bytes():
    orig = OriginalMessage.of("up", 2, 41, None, b"\xff\x00junk")
    letter = DeadLetter(reason="bad_message", message="not JSON", attempts=1, worker="w", original=orig)
    back = DeadLetter.from_bytes(letter.to_bytes())
    assert base64.b64decode(back.original.value_base64) == b"\xff\x00junk" and back.original.offset == 41
    assert OriginalMessage.of("up", 0, 0, b"k", b"{text").value_text == "{text"


def test_kafka_settings_from_toml_and_environment(tmp_path):
    from snapscribe.config import load_settings

    cfg = tmp_path / "snapscribe.toml"
    cfg.write_text(
        '[kafka]\nbrokers = "k1:9092,k2:9092"\nconcurrency = 2\n[kafka.client]\n"security.protocol" = "SASL_SSL"\n'
    )
    s = load_settings(cfg, environ={"SNAPSCRIBE_KAFKA__CONCURRENCY": "4"})
    assert s.kafka.brokers == "k1:9092,k2:9092" and s.kafka.concurrency == 4
    assert s.kafka.client == {"security.protocol": "SASL_SSL"}


def test_commit_answers_move_offsets_forward_only():
    """Asynchronous commit answers can arrive late and out of order: a stale answer never moves
    a partition's committed offset back, an error is reported, a revoked partition is ignored."""
    import io

    from confluent_kafka import KafkaError, TopicPartition

    from snapscribe.config import Settings
    from snapscribe.queue.events import EventLog
    from snapscribe.queue.worker import Worker

    log = io.StringIO()
    w = Worker(Settings(), "sqlite:///:memory:", worker_id="w", events=EventLog("w", log), create_topics=False)
    t = w.book.assign("up", 0)
    for off in range(10):
        t.start(off)
        t.finish(off)
    assert t.uncommitted() == 10
    w._on_commit(None, [TopicPartition("up", 0, 8)])
    assert t.committed == 8 and t.uncommitted() == 10
    w._on_commit(None, [TopicPartition("up", 0, 5)])  # a late answer to an older commit
    assert t.committed == 8
    w._on_commit(None, [TopicPartition("up", 0, 10), TopicPartition("up", 3, 4)])  # partition 3: not ours
    assert t.committed == 10 and t.uncommitted() is None
    w._on_commit(KafkaError(KafkaError.REQUEST_TIMED_OUT), [TopicPartition("up", 0, 12)])
    assert t.committed == 10 and '"commit_failed"' in log.getvalue()

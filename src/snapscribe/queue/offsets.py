"""Which offsets may be committed when messages finish out of order.

A partition's committable offset is one past the longest run of finished messages
from where the worker started: a message still in flight holds back every later
commit, so a crash can only cause redelivery, never a skipped message. A message whose
handling failed (:meth:`PartitionOffsets.fail`) is no longer in flight but never finishes:
it holds back the commit for good, and a shutdown need not wait for it.
"""

from __future__ import annotations

import heapq


class PartitionOffsets:
    """Started and finished offsets of one partition during one assignment."""

    def __init__(self, topic: str, partition: int):
        self.topic = topic
        self.partition = partition
        self._pending: list[int] = []  # heap of started, unfinished-or-unreleased offsets
        self._done: set[int] = set()
        self._failed: set[int] = set()
        self._next: int | None = None  # first offset not yet known to be finished
        self._committed: int | None = None
        self.revoked = False

    def start(self, offset: int) -> None:
        if self._next is None:
            self._next = offset
        heapq.heappush(self._pending, offset)

    def finish(self, offset: int) -> None:
        self._done.add(offset)
        while self._pending and self._pending[0] in self._done:
            low = heapq.heappop(self._pending)
            self._done.discard(low)
            self._next = low + 1

    def fail(self, offset: int) -> None:
        """The message at ``offset`` failed: it stays uncommitted, and is not waited for."""
        self._failed.add(offset)

    @property
    def in_flight(self) -> int:
        """Messages started and still running (neither finished nor failed)."""
        return len(self._pending) - len(self._done) - len(self._failed)

    @property
    def failed(self) -> int:
        return len(self._failed)

    @property
    def position(self) -> int | None:
        """The offset to commit: every message before it is finished."""
        return self._next

    def uncommitted(self) -> int | None:
        """The position if it moved since the last :meth:`mark_committed`, else None."""
        return self._next if self._next is not None and self._next != self._committed else None

    def mark_committed(self, offset: int) -> None:
        self._committed = offset

    @property
    def committed(self) -> int | None:
        return self._committed


class OffsetBook:
    """Per-partition trackers for the current assignment."""

    def __init__(self) -> None:
        self.parts: dict[tuple[str, int], PartitionOffsets] = {}

    def assign(self, topic: str, partition: int) -> PartitionOffsets:
        tracker = PartitionOffsets(topic, partition)
        self.parts[(topic, partition)] = tracker
        return tracker

    def revoke(self, topic: str, partition: int) -> PartitionOffsets | None:
        tracker = self.parts.pop((topic, partition), None)
        if tracker is not None:
            tracker.revoked = True
        return tracker

    def get(self, topic: str, partition: int) -> PartitionOffsets | None:
        return self.parts.get((topic, partition))

    @property
    def in_flight(self) -> int:
        return sum(t.in_flight for t in self.parts.values())

    @property
    def failed(self) -> int:
        return sum(t.failed for t in self.parts.values())

    def to_commit(self) -> list[PartitionOffsets]:
        return [t for t in self.parts.values() if t.uncommitted() is not None]

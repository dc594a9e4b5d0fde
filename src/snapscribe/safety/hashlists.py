"""Hash lists kept in the database, matched through an in-memory multi-index.

Lists live in the ``hashlists``/``hashlist_entries`` tables (SQLite or PostgreSQL), so
every worker sees the same lists; each process keeps a :class:`HashIndex` over them and
rebuilds it when the tables change (checked at most once per ``refresh_s``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..records import HashMatch
from ..store.db import Database
from .hash_index import HashIndex
from .hashlist_io import HashListEntry
from .pdq import PdqHash


@dataclass(frozen=True)
class ListInfo:
    name: str
    entries: int
    description: str | None
    created_at: str


@dataclass(frozen=True)
class _Entry:
    list_name: str
    hash_hex: str
    metadata: dict[str, str]


class HashListStore:
    """Create lists, add hashes, and match image hashes against every list."""

    def __init__(self, db: Database, refresh_s: float = 2.0):
        self.db = db
        self.refresh_s = refresh_s
        self._lock = threading.Lock()
        self._index: HashIndex | None = None
        self._entries: list[_Entry] = []
        self._version: tuple | None = None
        self._checked = 0.0

    # -- writing -----------------------------------------------------------------------
    def ensure_list(self, name: str, description: str | None = None) -> None:
        now = datetime.now(UTC).isoformat()
        self.db.execute(
            "INSERT INTO hashlists (name, description, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
            (name, description, now),
        )

    def add(self, name: str, entries: Iterable[HashListEntry]) -> int:
        """Add entries to a list (created if new); returns how many were new."""
        self.ensure_list(name)
        now = datetime.now(UTC).isoformat()
        added = 0
        with self.db.transaction():
            for e in entries:
                added += max(
                    0,
                    self.db.execute(
                        "INSERT INTO hashlist_entries (list_name, hash, metadata, added_at) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (list_name, hash) DO NOTHING",
                        (name, e.hash_hex.lower(), json.dumps(e.metadata), now),
                    ),
                )
        self._version = None  # force a rebuild on the next match
        return added

    def remove_list(self, name: str) -> int:
        with self.db.transaction():
            n = self.db.execute("DELETE FROM hashlist_entries WHERE list_name = ?", (name,))
            self.db.execute("DELETE FROM hashlists WHERE name = ?", (name,))
        self._version = None
        return n

    def lists(self) -> list[ListInfo]:
        rows = self.db.query(
            "SELECT l.name, COUNT(e.hash), l.description, l.created_at FROM hashlists l "
            "LEFT JOIN hashlist_entries e ON e.list_name = l.name "
            "GROUP BY l.name, l.description, l.created_at ORDER BY l.name"
        )
        return [ListInfo(name=r[0], entries=int(r[1]), description=r[2], created_at=r[3]) for r in rows]

    # -- matching ----------------------------------------------------------------------
    def _current_version(self) -> tuple:
        row = self.db.query_one("SELECT COUNT(*), MAX(added_at) FROM hashlist_entries")
        return tuple(row) if row else (0, None)

    def _refresh(self) -> None:
        now = time.monotonic()
        if self._version is not None and now - self._checked < self.refresh_s:
            return
        with self._lock:
            if self._version is not None and now - self._checked < self.refresh_s:
                return
            version = self._current_version()
            self._checked = now
            if version == self._version:
                return
            rows = self.db.query("SELECT list_name, hash, metadata FROM hashlist_entries")
            entries = [_Entry(r[0], r[1], json.loads(r[2] or "{}")) for r in rows]
            index = HashIndex()
            if entries:
                index.add_many([e.hash_hex for e in entries], list(range(len(entries))))
                index.build()
            self._entries, self._index, self._version = entries, index, version

    def __len__(self) -> int:
        self._refresh()
        return len(self._entries)

    def match(self, variants: Sequence[tuple[str, PdqHash]], threshold: int) -> HashMatch | None:
        """The closest list entry to any ``(transform, hash)`` within ``threshold``, or None;
        ``query_hash`` is the variant's hash that matched."""
        self._refresh()
        index, entries = self._index, self._entries
        if index is None or not entries:
            return None
        best: tuple[int, str, str, _Entry] | None = None
        results = index.query_many([h.hex for _, h in variants], threshold)
        for (transform, query), hits in zip(variants, results):
            for key, distance in hits:
                if best is None or distance < best[0]:
                    best = (distance, transform, query.hex, entries[key])
        if best is None:
            return None
        distance, transform, query_hex, entry = best
        return HashMatch(
            list_name=entry.list_name,
            distance=distance,
            matched_hash=entry.hash_hex,
            query_hash=query_hex,
            transform=transform,
            metadata={k: str(v) for k, v in entry.metadata.items()},
        )

"""Who uploaded each image (the ``image_owners`` table): an image may have several uploaders,
since the same bytes uploaded twice are one image."""

from __future__ import annotations

from datetime import UTC, datetime

from ..records import ImageRecord
from ..store import Database


class Owners:
    def __init__(self, db: Database):
        self.db = db

    def add(self, image_id: str, owner: str) -> None:
        self.db.execute(
            "INSERT INTO image_owners (image_id, owner, at) VALUES (?, ?, ?) ON CONFLICT (image_id, owner) DO NOTHING",
            (image_id, owner, datetime.now(UTC).isoformat()),
        )

    def of(self, image_id: str) -> set[str]:
        return {r[0] for r in self.db.query("SELECT owner FROM image_owners WHERE image_id = ?", (image_id,))}

    def owns(self, owner: str, image_id: str) -> bool:
        return (
            self.db.query_one("SELECT 1 FROM image_owners WHERE image_id = ? AND owner = ?", (image_id, owner))
            is not None
        )

    def ids(self, owner: str) -> set[str]:
        return {r[0] for r in self.db.query("SELECT image_id FROM image_owners WHERE owner = ?", (owner,))}

    def recent(self, owner: str, limit: int, offset: int, status: str | None = None) -> list[ImageRecord]:
        """The owner's results, newest first (as :meth:`ResultStore.recent`)."""
        sql = (
            "SELECT r.record FROM results r JOIN image_owners o ON o.image_id = r.id WHERE o.owner = ?"
            + (" AND r.status = ?" if status else "")
            + " ORDER BY r.updated_at DESC LIMIT ? OFFSET ?"
        )
        params = (owner, status, limit, offset) if status else (owner, limit, offset)
        return [ImageRecord.from_json(r[0]) for r in self.db.query(sql, params)]

    def count(self, owner: str, status: str | None = None) -> int:
        sql = "SELECT COUNT(*) FROM results r JOIN image_owners o ON o.image_id = r.id WHERE o.owner = ?" + (
            " AND r.status = ?" if status else ""
        )
        row = self.db.query_one(sql, (owner, status) if status else (owner,))
        return int(row[0]) if row else 0

"""Result records, the feature cache and the audit trail."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ..records import ImageRecord, Status, image_id_for
from .db import Database

KAFKA_OWNER = "kafka"  # jobs.lease_owner of uploads handed to the Kafka fleet (never claimed in-process)


def _now() -> str:
    return datetime.now(UTC).isoformat()


class ResultStore:
    """Idempotent writes keyed by image id: storing the same image twice leaves one row."""

    def __init__(self, db: Database):
        self.db = db

    # -- results -----------------------------------------------------------------------
    def put(self, record: ImageRecord, config_key: str) -> None:
        """Store a record. An error record never replaces a finished result (a racing or later failing
        run must not destroy a good row); it only replaces another error."""
        now = _now()
        sql = self.db.upsert_sql(
            "results",
            ["id", "sha256", "source", "status", "caption", "config_key", "record", "created_at", "updated_at"],
            ["id"],
        ).replace("created_at = excluded.created_at, ", "")
        if record.status is Status.error:
            sql += f" WHERE results.status = '{Status.error.value}'"
        self.db.execute(
            sql,
            (
                record.id,
                record.sha256,
                record.source,
                record.status.value,
                record.caption,
                config_key,
                record.to_json(),
                now,
                now,
            ),
        )

    def get(self, image_id: str) -> ImageRecord | None:
        row = self.db.query_one("SELECT record FROM results WHERE id = ?", (image_id,))
        return ImageRecord.from_json(row[0]) if row else None

    def get_cached(self, sha256: str, config_key: str) -> ImageRecord | None:
        """A finished record for these bytes under this configuration, if any."""
        row = self.db.query_one(
            "SELECT record FROM results WHERE id = ? AND config_key = ? AND status != ?",
            (image_id_for(sha256), config_key, Status.error.value),
        )
        return ImageRecord.from_json(row[0]) if row else None

    def recent(self, limit: int = 50, offset: int = 0, status: str | None = None) -> list[ImageRecord]:
        if status:
            rows = self.db.query(
                "SELECT record FROM results WHERE status = ? ORDER BY updated_at DESC LIMIT ? OFFSET ?",
                (status, limit, offset),
            )
        else:
            rows = self.db.query(
                "SELECT record FROM results ORDER BY updated_at DESC LIMIT ? OFFSET ?", (limit, offset)
            )
        return [ImageRecord.from_json(r[0]) for r in rows]

    def count_by_status(self) -> dict[str, int]:
        return {s: n for s, n in self.db.query("SELECT status, COUNT(*) FROM results GROUP BY status")}

    def count(self) -> int:
        row = self.db.query_one("SELECT COUNT(*) FROM results")
        return int(row[0]) if row else 0

    def settle_job(self, image_id: str) -> bool:
        """Mark the HTTP service's job for this image done, when it was handed to the Kafka fleet
        (``lease_owner = 'kafka'``); a no-op for uploads that came any other way."""
        return (
            self.db.execute(
                "UPDATE jobs SET state = 'done', updated_at = ? WHERE id = ? AND lease_owner = ? "
                "AND state IN ('pending', 'running')",
                (_now(), image_id, KAFKA_OWNER),
            )
            == 1
        )

    # -- feature cache -----------------------------------------------------------------
    def get_feature(self, sha256: str, kind: str, version: str) -> bytes | None:
        row = self.db.query_one(
            "SELECT data FROM features WHERE sha256 = ? AND kind = ? AND version = ?", (sha256, kind, version)
        )
        return bytes(row[0]) if row else None

    def put_feature(self, sha256: str, kind: str, version: str, data: bytes) -> None:
        sql = self.db.upsert_sql(
            "features", ["sha256", "kind", "version", "data", "created_at"], ["sha256", "kind", "version"]
        )
        self.db.execute(sql, (sha256, kind, version, data, _now()))

    # -- audit -------------------------------------------------------------------------
    def audit(
        self,
        image_id: str | None,
        action: str,
        actor: str,
        reason: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.db.execute(
            "INSERT INTO audit (image_id, action, actor, reason, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
            (image_id, action, actor, reason, json.dumps(detail or {}, default=str), _now()),
        )

    def audit_trail(self, image_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        cols = ["seq", "image_id", "action", "actor", "reason", "detail", "at"]
        if image_id:
            rows = self.db.query(
                f"SELECT {', '.join(cols)} FROM audit WHERE image_id = ? ORDER BY seq DESC LIMIT ?", (image_id, limit)
            )
        else:
            rows = self.db.query(f"SELECT {', '.join(cols)} FROM audit ORDER BY seq DESC LIMIT ?", (limit,))
        return [dict(zip(cols, r)) | {"detail": json.loads(r[5] or "{}")} for r in rows]

"""A thin database layer over SQLite and PostgreSQL with one schema and one migration list.

SQL is written once with ``?`` placeholders and ``{blob}``/``{autoid}``/``{json}``
type markers; each dialect fills them in. Connections are per thread.
"""

from __future__ import annotations

import errno
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..errors import ConfigError

MIGRATIONS: list[str] = [
    # 1: results, feature cache, audit trail
    """
    CREATE TABLE IF NOT EXISTS results (
        id TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        source TEXT NOT NULL,
        status TEXT NOT NULL,
        caption TEXT,
        config_key TEXT NOT NULL,
        record TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS results_status ON results (status, updated_at);
    CREATE INDEX IF NOT EXISTS results_updated ON results (updated_at);
    CREATE TABLE IF NOT EXISTS features (
        sha256 TEXT NOT NULL,
        kind TEXT NOT NULL,
        version TEXT NOT NULL,
        data {blob} NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (sha256, kind, version)
    );
    CREATE TABLE IF NOT EXISTS audit (
        seq {autoid},
        image_id TEXT,
        action TEXT NOT NULL,
        actor TEXT NOT NULL,
        reason TEXT,
        detail TEXT,
        at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS audit_image ON audit (image_id);
    """,
    # 2: hash lists (PDQ)
    """
    CREATE TABLE IF NOT EXISTS hashlists (
        name TEXT PRIMARY KEY,
        description TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS hashlist_entries (
        list_name TEXT NOT NULL,
        hash TEXT NOT NULL,
        metadata TEXT,
        added_at TEXT NOT NULL,
        PRIMARY KEY (list_name, hash)
    );
    """,
    # 3: HTTP service: job queue, API keys, review decisions, search embeddings
    """
    CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        source TEXT NOT NULL,
        blob TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_until BIGINT NOT NULL DEFAULT 0,
        submitted_by TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS jobs_claim ON jobs (state, lease_until, created_at);
    CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (lease_owner);
    CREATE TABLE IF NOT EXISTS api_keys (
        name TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL UNIQUE,
        rate_limit DOUBLE PRECISION,
        rate_burst INTEGER,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE IF NOT EXISTS reviews (
        seq {autoid},
        image_id TEXT NOT NULL,
        decision TEXT NOT NULL,
        actor TEXT NOT NULL,
        note TEXT,
        at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS reviews_image ON reviews (image_id);
    CREATE TABLE IF NOT EXISTS search_index (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        model TEXT NOT NULL,
        text TEXT NOT NULL,
        tags TEXT NOT NULL,
        vector {blob} NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS search_index_updated ON search_index (updated_at);
    """,
    # 4: API-key roles; who uploaded each image (uploaders see only their own), from past uploads
    """
    ALTER TABLE api_keys ADD COLUMN role TEXT;
    CREATE TABLE IF NOT EXISTS image_owners (
        image_id TEXT NOT NULL,
        owner TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (image_id, owner)
    );
    CREATE INDEX IF NOT EXISTS image_owners_owner ON image_owners (owner, image_id);
    INSERT INTO image_owners (image_id, owner, at)
        SELECT image_id, actor, MIN(at) FROM audit WHERE action = 'upload' AND image_id IS NOT NULL
        GROUP BY image_id, actor;
    """,
    # 5: the caption tone an upload asked for (NULL: the configured one)
    """
    ALTER TABLE jobs ADD COLUMN tone TEXT;
    """,
]


def is_unavailable(exc: BaseException) -> bool:
    """True for errors that mean "the database is unreachable or busy right now", worth retrying.

    psycopg's OperationalError (server restart, terminated backend, refused connection) and
    InterfaceError (connection already closed), and SQLite's "database is locked".
    """
    if isinstance(exc, sqlite3.OperationalError):
        return "locked" in str(exc) or "busy" in str(exc)
    try:
        import psycopg
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))


_STORAGE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EIO}


def is_storage_failure(exc: BaseException) -> bool:
    """True when the disk under the store, not an image, failed: full, read-only or I/O errors.

    Such an error must stop the caller (CLI: exit 2) rather than become one image's error record.
    """
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return any(w in text for w in ("disk is full", "readonly", "read-only", "disk i/o error"))
    return isinstance(exc, OSError) and exc.errno in _STORAGE_ERRNOS


@dataclass(frozen=True)
class Dialect:
    name: str
    blob: str
    autoid: str
    placeholder: str

    def sql(self, text: str) -> str:
        text = text.replace("{blob}", self.blob).replace("{autoid}", self.autoid)
        if self.placeholder != "?":
            text = text.replace("?", self.placeholder)
        return text


_MIGRATION_LOCK = 0x5AB5C1  # pg_advisory_lock key held while migrating

SQLITE = Dialect("sqlite", "BLOB", "INTEGER PRIMARY KEY AUTOINCREMENT", "?")
POSTGRES = Dialect("postgresql", "BYTEA", "BIGSERIAL PRIMARY KEY", "%s")


class Database:
    """One database, SQLite or PostgreSQL, by URL: ``sqlite:///path`` or ``postgresql://...``."""

    def __init__(self, url: str):
        self.url = url
        parsed = urlparse(url)
        if parsed.scheme == "sqlite":
            self.dialect = SQLITE
            path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else parsed.path
            self._path = path or ":memory:"
            if self._path != ":memory:":
                Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        elif parsed.scheme in ("postgres", "postgresql"):
            self.dialect = POSTGRES
            self._path = url
        else:
            raise ConfigError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://...")
        self._local = threading.local()
        self._lock = threading.Lock()
        self.migrate()

    # -- connections -------------------------------------------------------------------
    def _connect(self):
        if self.dialect is SQLITE:
            conn = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            return conn
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - psycopg is a declared dependency
            raise ConfigError("PostgreSQL needs the 'psycopg' package") from exc
        return psycopg.connect(self._path, autocommit=True, connect_timeout=10)

    def connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(conn, "closed", False):
            conn = self._connect()
            self._local.conn = conn
        return conn

    def reset_connection(self) -> None:
        """Drop this thread's connection (after the server went away); the next call reconnects."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - it is already broken
                pass

    def close(self) -> None:
        self.reset_connection()

    # -- statements --------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = self.connection().execute(self.dialect.sql(sql), tuple(params))
        return cur.rowcount

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        cur = self.connection().execute(self.dialect.sql(sql), tuple(params))
        return [tuple(r) for r in cur.fetchall()]

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        conn = self.connection()
        if self.dialect is SQLITE:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        else:
            with conn.transaction():
                yield

    def upsert_sql(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        """INSERT ... ON CONFLICT (key) DO UPDATE, valid in both SQLite and PostgreSQL."""
        cols = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        return f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT ({', '.join(key)}) {action}"

    def migrate(self) -> None:
        with self._lock:
            conn = self.connection()
            if self.dialect is POSTGRES:
                # Several workers may start at once on a fresh database; migrate one at a time.
                conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
                try:
                    self._migrate(conn)
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
            else:
                self._migrate(conn)

    def _migrate(self, conn) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
        done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations").fetchall()}
        for version, script in enumerate(MIGRATIONS, start=1):
            if version in done:
                continue
            statements = [s.strip() for s in self.dialect.sql(script).split(";") if s.strip()]
            with self.transaction():
                for stmt in statements:
                    conn.execute(stmt)
                conn.execute(
                    self.dialect.sql("INSERT INTO schema_migrations (version) VALUES (?) ON CONFLICT DO NOTHING"),
                    (version,),
                )

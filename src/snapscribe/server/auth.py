"""API keys (``Authorization: Bearer KEY``) and a per-key token-bucket rate limit.

Keys come from ``$SNAPSCRIBE_API_KEYS`` (comma-separated), ``[server] api_keys`` and the
``api_keys`` table (``snapscribe apikey create NAME --role ROLE``). Entries are
``name:key:role``, ``name:key`` or a bare key; a key without a role gets ``[server]
default_role``. Only SHA-256 digests of keys are kept in memory and in the database; the
key's name and role are the actor recorded in the audit trail. What each role may do:
:mod:`.roles`.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from ..store import Database
from .roles import ROLES, Role


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's name, its role and its rate limit."""

    name: str
    rate: float
    burst: int
    role: Role = "uploader"


def parse_key_list(raw: str | list[str] | None) -> list[tuple[str, str, Role | None]]:
    """``"alice:k1:reviewer, bob:k2, k3"`` → ``[("alice", "k1", "reviewer"), ("bob", "k2", None),
    ("key-<hash>", "k3", None)]``. A third part that is not a role name is part of the key."""
    items = raw.split(",") if isinstance(raw, str) else list(raw or [])
    out: list[tuple[str, str, Role | None]] = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        name, sep, key = item.partition(":")
        if not sep:
            name, key = f"key-{digest(item)[:8]}", item
        role: Role | None = None
        head, sep2, tail = key.rpartition(":")
        if sep2 and tail.strip() in ROLES:
            key, role = head, tail.strip()  # type: ignore[assignment]
        out.append((name.strip(), key.strip(), role))
    return out


class KeyRing:
    """Looks keys up by digest: static keys first, then the database (cached briefly)."""

    CACHE_S = 15.0

    def __init__(
        self,
        db: Database,
        static: list[tuple[str, str, Role | None]],
        *,
        rate: float,
        burst: int,
        default_role: Role = "uploader",
    ):
        self.db = db
        self.rate, self.burst = rate, burst
        self.default_role: Role = default_role
        self._static = {digest(k): Principal(n, rate, burst, r or default_role) for n, k, r in static if k}
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def has_keys(self) -> bool:
        if self._static:
            return True
        row = self.db.query_one("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL")
        return bool(row and row[0])

    def add_static(self, name: str, key: str, role: Role | None = None) -> None:
        self._static[digest(key)] = Principal(name, self.rate, self.burst, role or self.default_role)

    def lookup(self, key: str) -> Principal | None:
        d = digest(key)
        for known, static_principal in self._static.items():
            if hmac.compare_digest(known, d):
                return static_principal
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(d)
            if hit and hit[0] > now:
                return hit[1]
        row = self.db.query_one(
            "SELECT name, rate_limit, rate_burst, role FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", (d,)
        )
        principal = (
            Principal(
                row[0],
                float(row[1] or self.rate),
                int(row[2] or self.burst),
                row[3] if row[3] in ROLES else self.default_role,
            )
            if row
            else None
        )
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[d] = (now + self.CACHE_S, principal)
        return principal


def create_key(
    db: Database, name: str, *, rate: float | None = None, burst: int | None = None, role: Role = "uploader"
) -> str:
    """Store a new key under ``name`` (replacing an older one) and return it; only its digest is kept."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    key = "ssk_" + secrets.token_urlsafe(24)
    now = datetime.now(UTC).isoformat()
    sql = db.upsert_sql(
        "api_keys", ["name", "key_hash", "rate_limit", "rate_burst", "created_at", "revoked_at", "role"], ["name"]
    )
    db.execute(sql, (name, digest(key), rate, burst, now, None, role))
    return key


def revoke_key(db: Database, name: str) -> bool:
    now = datetime.now(UTC).isoformat()
    return db.execute("UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", (now, name)) == 1


class RateLimiter:
    """A token bucket per principal, in process memory."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, who: Principal) -> float:
        """0 when allowed, else the seconds to wait before the next request would be."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(who.name, (float(who.burst), now))
            tokens = min(float(who.burst), tokens + (now - last) * who.rate)
            if tokens >= 1:
                self._buckets[who.name] = (tokens - 1, now)
                return 0.0
            self._buckets[who.name] = (tokens, now)
            return (1 - tokens) / who.rate if who.rate > 0 else math.inf

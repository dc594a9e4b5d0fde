"""Persistence: results, feature cache, audit trail, hash lists — SQLite or PostgreSQL."""

from .db import Database
from .results import ResultStore

__all__ = ["Database", "ResultStore"]

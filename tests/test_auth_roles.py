"""API-key roles without a server: parsing ``name:key:role``, the key ring, stored keys."""

from __future__ import annotations

import pytest

from snapscribe.server.auth import KeyRing, create_key, parse_key_list
from snapscribe.store import Database


def test_parse_key_list_roles():
    got = parse_key_list("alice:k1:reviewer, bob:k2 ,carol:k:3:admin, dave:a:b, k5")
    assert got[0] == ("alice", "k1", "reviewer")
    assert got[1] == ("bob", "k2", None)
    assert got[2] == ("carol", "k:3", "admin")
    assert got[3] == ("dave", "a:b", None)  # "b" is no role: part of the key
    assert got[4][1:] == ("k5", None) and got[4][0].startswith("key-")


def test_key_ring_roles(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'k.db'}")
    db.migrate()
    ring = KeyRing(db, parse_key_list("a:ka:admin,b:kb"), rate=1, burst=1, default_role="uploader")
    assert ring.lookup("ka").role == "admin" and ring.lookup("kb").role == "uploader"
    key = create_key(db, "rev", role="reviewer")
    assert ring.lookup(key).role == "reviewer" and ring.lookup(key).name == "rev"
    with pytest.raises(ValueError, match="unknown role"):
        create_key(db, "x", role="owner")  # type: ignore[arg-type]
    strict = KeyRing(db, [("c", "kc", None)], rate=1, burst=1, default_role="reviewer")
    assert strict.lookup("kc").role == "reviewer"

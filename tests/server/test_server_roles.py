"""API-key roles over real HTTP: uploaders see only their own images; only reviewers/admins decide
reviews, never on their own uploads; the audit trail records each actor's role."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from harness import Server, injected_photo, sample_photos, upload, wait_done

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hostile import jpeg_bytes, photo_like

pytestmark = pytest.mark.slow

UPLOADER, OTHER, REVIEWER, ADMIN = "test-key-3", "test-key-4", "test-key-2", "test-key-1"


@pytest.fixture(scope="module")
def uploads(server: Server) -> dict:
    """uploader: one held photo and one plain photo; other: one plain photo (keys from the environment)."""
    photos = {p.name: p for p in sample_photos()}
    with server.client(key=UPLOADER) as up, server.client(key=OTHER) as other:
        held = wait_done(up, upload(up, data=injected_photo(seed=41), name="mine-held.jpg").json()["id"])
        mine = wait_done(up, upload(up, photos["coffee.jpg"]).json()["id"])
        theirs = wait_done(
            other, upload(other, data=jpeg_bytes(photo_like(640, 480, seed=42)), name="theirs.jpg").json()["id"]
        )
    assert held["status"] == "review", held["safety"]
    return {"held": held, "mine": mine, "theirs": theirs}


def _forbidden(r) -> str:
    assert r.status_code == 403, r.text
    body = r.json()
    assert body["error"]["code"] == "forbidden" and body["error"]["message"]
    return body["error"]["message"]


def test_roles_from_the_environment(server: Server):
    want = {
        ADMIN: ("tester", "admin"),
        REVIEWER: ("moderator", "reviewer"),
        UPLOADER: ("uploader", "uploader"),
        OTHER: ("other", "uploader"),
    }  # "other" has no role: [server] default_role
    for key, (name, role) in want.items():
        with server.client(key=key) as c:
            me = c.get("/v1/whoami").json()
        assert (me["name"], me["role"]) == (name, role)
        assert me["may_review"] is (role != "uploader") and me["sees_all"] is (role != "uploader")


def test_uploader_sees_only_its_own_images(server: Server, uploads):
    held, mine, theirs = uploads["held"], uploads["mine"], uploads["theirs"]
    with server.client(key=UPLOADER) as up:
        listed = up.get("/v1/images", params={"limit": 200}).json()
        assert {held["id"], mine["id"]} <= {r["id"] for r in listed["items"]}
        assert theirs["id"] not in {r["id"] for r in listed["items"]}
        assert listed["total"] == len(listed["items"])
        for path in (
            f"/v1/images/{theirs['id']}",
            f"/v1/images/{theirs['id']}/thumbnail",
            f"/v1/images/{theirs['id']}/audit",
        ):
            r = up.get(path)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", path
        assert up.get(f"/v1/images/{mine['id']}").status_code == 200
        assert up.get(f"/v1/images/{mine['id']}/thumbnail").status_code == 200
        # search runs over its own uploads only
        query = " ".join(t["label"] for t in theirs["tags"][:2]) or theirs["caption"]
        found = {h["record"]["id"] for h in up.get("/v1/search", params={"q": query}).json()["hits"]}
        assert theirs["id"] not in found
        found = {h["record"]["id"] for h in up.get("/v1/search", params={"q": "cup of coffee"}).json()["hits"]}
        assert mine["id"] in found
    with server.client(key=REVIEWER) as rv:  # reviewers see everything
        query = " ".join(t["label"] for t in theirs["tags"][:2]) or theirs["caption"]
        assert rv.get(f"/v1/images/{theirs['id']}").status_code == 200
        assert theirs["id"] in {h["record"]["id"] for h in rv.get("/v1/search", params={"q": query}).json()["hits"]}


def test_uploader_may_not_review(server: Server, uploads):
    with server.client(key=UPLOADER) as up:
        assert "reviewer or admin" in _forbidden(up.get("/v1/review"))
        _forbidden(up.post(f"/v1/review/{uploads['held']['id']}", json={"decision": "approve"}))
        assert up.get(f"/v1/images/{uploads['held']['id']}").json()["status"] == "review"


def test_nobody_reviews_their_own_upload_and_the_trail_has_roles(server: Server, uploads):
    with server.client(key=REVIEWER) as rv, server.client(key=ADMIN) as admin:
        own = wait_done(rv, upload(rv, data=injected_photo(seed=43), name="reviewer-own.jpg").json()["id"])
        assert own["status"] == "review", own["safety"]
        assert "never reviewed by its uploader" in _forbidden(
            rv.post(f"/v1/review/{own['id']}", json={"decision": "approve"})
        )
        ok = admin.post(f"/v1/review/{own['id']}", json={"decision": "approve"})
        assert ok.status_code == 200 and ok.json()["role"] == "admin"
        r = rv.post(f"/v1/review/{uploads['held']['id']}", json={"decision": "reject", "note": "injection"})
        assert r.status_code == 200 and r.json()["status"] == "blocked" and r.json()["role"] == "reviewer"
    with server.client(key=UPLOADER) as up:  # the uploader reads its own image's trail, with roles
        trail = up.get(f"/v1/images/{uploads['held']['id']}/audit").json()
    by_action = {e["action"]: e for e in trail}
    assert by_action["upload"]["actor"] == "uploader" and by_action["upload"]["role"] == "uploader"
    assert by_action["review_reject"]["actor"] == "moderator" and by_action["review_reject"]["role"] == "reviewer"


def test_same_bytes_from_another_key_make_it_theirs_too(server: Server, uploads):
    with server.client(key=OTHER) as other:
        again = upload(other, data=injected_photo(seed=41), name="same-bytes.jpg").json()
        assert again["id"] == uploads["held"]["id"] and again["duplicate"]
        assert other.get(f"/v1/images/{again['id']}").status_code == 200
        trail = other.get(f"/v1/images/{again['id']}/audit").json()
    assert {e["actor"] for e in trail if e["action"] == "upload"} == {"other"}  # not who else uploaded it


def test_apikey_create_with_role(server: Server):
    run = [sys.executable, "-m", "snapscribe.cli", "apikey"]
    out = subprocess.run(
        [*run, "create", "rita", "--role", "reviewer", "--db", server.db_url],
        capture_output=True,
        text=True,
        env=server.env,
        check=True,
    )
    key = out.stdout.strip().splitlines()[-1]
    with server.client(key=key) as c:
        assert c.get("/v1/whoami").json()["role"] == "reviewer"
        assert c.get("/v1/review").status_code == 200
    listed = subprocess.run(
        [*run, "list", "--db", server.db_url], capture_output=True, text=True, env=server.env, check=True
    ).stdout
    assert any(line.split("\t")[:2] == ["rita", "reviewer"] for line in listed.splitlines()), listed
    bad = subprocess.run(
        [*run, "create", "x", "--role", "owner", "--db", server.db_url], capture_output=True, text=True, env=server.env
    )
    assert bad.returncode != 0 and "owner" in bad.stderr
    subprocess.run([*run, "revoke", "rita", "--db", server.db_url], env=server.env, check=True, capture_output=True)

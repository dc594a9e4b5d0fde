"""Kill the server (SIGKILL) with jobs queued and one mid-processing; after a restart every job finishes."""

from __future__ import annotations

import time

from harness import Server, sample_photos, upload, wait_done

from snapscribe.store import Database


def _states(db_url: str) -> dict[str, str]:
    db = Database(db_url)
    try:
        return {i: s for i, s in db.query("SELECT id, state FROM jobs")}
    finally:
        db.close()


def test_pending_and_running_jobs_survive_sigkill(tmp_path):
    # A long lease: the restarted server must see that the killed one is gone, not wait the lease out.
    env = {"SNAPSCRIBE_SERVER__JOB_LEASE_S": "300"}
    first = Server(tmp_path / "data", env=env, workers=1).start()
    try:
        with first.client() as c:
            ids = []
            for photo in sample_photos():
                r = upload(c, photo)
                assert r.status_code == 202, r.text
                ids.append(r.json()["id"])
            # wait until a job is being processed, then pull the plug
            deadline = time.monotonic() + 60
            while "running" not in _states(first.db_url).values():
                assert time.monotonic() < deadline, "no job started"
                time.sleep(0.05)
    finally:
        first.kill()
    before = _states(first.db_url)
    assert set(before) == set(ids)
    assert "running" in before.values() and "pending" in before.values(), before
    unfinished = [i for i in ids if before[i] != "done"]

    second = Server(tmp_path / "data", env=env, workers=1).start()  # same data dir and database
    try:
        with second.client() as c:
            records = {i: wait_done(c, i, timeout=150) for i in ids}
    finally:
        second.stop()
    assert all(r["status"] == "captioned" and r["caption"] for r in records.values()), records
    after = _states(first.db_url)
    assert set(after.values()) == {"done"}
    db = Database(first.db_url)
    attempts = dict(db.query("SELECT id, attempts FROM jobs"))
    db.close()
    killed_mid_job = [i for i in unfinished if before[i] == "running"]
    assert all(attempts[i] == 2 for i in killed_mid_job), attempts  # taken over from the dead worker
    assert len(unfinished) >= 2

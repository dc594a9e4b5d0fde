import pytest

from snapscribe.config import Settings, load_settings
from snapscribe.errors import ConfigError
from snapscribe.records import ImageRecord, Status, image_id_for
from snapscribe.store import Database, ResultStore


def _record(sha: str, status=Status.captioned, caption="A cat") -> ImageRecord:
    return ImageRecord(id=image_id_for(sha), source="x.jpg", sha256=sha, status=status, caption=caption)


def test_results_upsert_is_idempotent(tmp_path):
    store = ResultStore(Database(f"sqlite:///{tmp_path}/s.db"))
    sha = "ab" * 32
    store.put(_record(sha), "k1")
    store.put(_record(sha, caption="A dog"), "k1")
    assert store.count() == 1
    assert store.get(image_id_for(sha)).caption == "A dog"
    assert store.get_cached(sha, "k1").caption == "A dog"
    assert store.get_cached(sha, "other-config") is None


def test_error_records_are_not_served_from_cache(tmp_path):
    store = ResultStore(Database(f"sqlite:///{tmp_path}/s.db"))
    sha = "cd" * 32
    store.put(ImageRecord.failed(source="x", sha256=sha, code="corrupt_image", message="bad"), "k")
    assert store.get(image_id_for(sha)).status is Status.error
    assert store.get_cached(sha, "k") is None


def test_features_and_audit(tmp_path):
    store = ResultStore(Database(f"sqlite:///{tmp_path}/s.db"))
    store.put_feature("ff" * 32, "understanding", "v1", b"\x00\x01")
    assert store.get_feature("ff" * 32, "understanding", "v1") == b"\x00\x01"
    assert store.get_feature("ff" * 32, "understanding", "v2") is None
    store.audit("img1", "blocked", "pipeline", "hash match", {"list": "csam"})
    trail = store.audit_trail("img1")
    assert trail[0]["action"] == "blocked" and trail[0]["detail"] == {"list": "csam"}


def test_migrations_run_once(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    Database(url)
    db = Database(url)
    versions = [r[0] for r in db.query("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == list(range(1, len(versions) + 1))


def test_settings_layers(tmp_path, monkeypatch):
    cfg = tmp_path / "s.toml"
    cfg.write_text("[nsfw]\nblock = 0.9\n[tagging]\nmax_tags = 5\n")
    settings = load_settings(cfg, environ={"SNAPSCRIBE_TAGGING__MAX_TAGS": "7"})
    assert settings.nsfw.block == 0.9
    assert settings.tagging.max_tags == 7  # environment beats the file
    assert settings.with_overrides(**{"tagging.max_tags": 3}).tagging.max_tags == 3
    with pytest.raises(ConfigError):
        load_settings(tmp_path / "missing.toml", environ={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[nsfw]\nunknown = 1\n")
    with pytest.raises(ConfigError):
        load_settings(bad, environ={})
    assert Settings().db_url().startswith("sqlite:///")

"""The deployment kit, checked without a container runtime: the compose file parses, its services
reference each other consistently, every snapscribe setting in it is a real setting, every command
line parses with the real CLI, and the Dockerfile installs from a hashed lock that exists."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import click
import pytest

from snapscribe.cli import cli
from snapscribe.config import load_settings

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
_VAR = re.compile(r"\$\{([A-Z0-9_]+)(?::-([^}]*))?\}")


def _interpolate(text: str) -> str:
    """Compose's ${VAR:-default} with nothing set: the defaults."""
    return _VAR.sub(lambda m: m.group(2) or "", text)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(_interpolate((DEPLOY / "compose.yaml").read_text()))


def _env(service: dict) -> dict[str, str]:
    return {k: str(v) for k, v in (service.get("environment") or {}).items()}


def test_services_and_their_references(compose):
    services = compose["services"]
    assert {"kafka", "postgres", "minio", "api", "worker", "vllm"} <= set(services)
    for name, svc in services.items():
        assert "image" in svc, f"{name} has no image"
        for dep in svc.get("depends_on") or {}:
            assert dep in services, f"{name} depends on unknown service {dep}"
    worker = services["worker"]
    assert int(worker["deploy"]["replicas"]) >= 2
    env = _env(worker)
    hosts = {
        urlparse(env["SNAPSCRIBE_STORE__DB"]).hostname,
        urlparse(env["AWS_ENDPOINT_URL"]).hostname,
        urlparse(env["SNAPSCRIBE_VLM__ENDPOINT"]).hostname,
        env["SNAPSCRIBE_KAFKA__BROKERS"].split(":")[0],
    }
    assert hosts <= set(services), hosts - set(services)
    # the GPU captioner: a GPU reservation and the model the workers ask for
    vllm = services["vllm"]
    assert vllm["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]
    assert env["SNAPSCRIBE_VLM__MODEL"] in vllm["command"]
    assert vllm["command"][vllm["command"].index("--api-key") + 1] == env["SNAPSCRIBE_VLM__API_KEY"]
    # the database and the object store the fleet is pointed at are the ones compose creates
    pg = _env(services["postgres"])
    db = urlparse(env["SNAPSCRIBE_STORE__DB"])
    assert (db.username, db.password, db.path.lstrip("/")) == (
        pg["POSTGRES_USER"],
        pg["POSTGRES_PASSWORD"],
        pg["POSTGRES_DB"],
    )
    minio = _env(services["minio"])
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == (
        minio["MINIO_ROOT_USER"],
        minio["MINIO_ROOT_PASSWORD"],
    )


@pytest.mark.parametrize("name", ["api", "worker"])
def test_snapscribe_services_have_valid_settings_and_commands(compose, name):
    svc = compose["services"][name]
    settings = load_settings(environ=_env(svc))  # a misspelt SNAPSCRIBE_* key is a ConfigError here
    assert settings.store.db.startswith("postgresql://")
    assert settings.blobs.url.startswith("s3://")
    args = svc["command"]
    ctx = cli.make_context("snapscribe", list(args), resilient_parsing=False)
    sub = cli.get_command(ctx, args[0])
    assert sub is not None, args[0]
    sub.make_context(args[0], list(args[1:]), parent=ctx)  # unknown options raise
    if name == "worker":
        grace = float(svc["stop_grace_period"].rstrip("s"))
        assert grace > settings.kafka.drain_timeout_s  # SIGTERM drains before the runtime kills
        assert settings.fetch.schemes == ["s3"]


def test_a_bad_option_would_be_caught(compose):
    """The command check above can fail: an option the CLI does not have is refused."""
    args = ["worker", "--no-such-option", "1"]
    ctx = cli.make_context("snapscribe", list(args))
    with pytest.raises(click.UsageError):
        cli.get_command(ctx, "worker").make_context("worker", args[1:], parent=ctx)


def test_dockerfile_installs_from_the_hashed_lock():
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"pip install --require-hashes --no-deps -r requirements/s3\.txt", text)
    for line in text.splitlines():
        if line.startswith("COPY "):
            for src in line.split()[1:-1]:
                assert (ROOT / src).exists(), f"COPY {src}: not in the repository"
    lock = (ROOT / "requirements" / "s3.txt").read_text()
    assert "boto3==" in lock and "--hash=sha256:" in lock

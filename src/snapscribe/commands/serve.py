"""``snapscribe serve``: the HTTP service; ``snapscribe apikey``: manage its API keys."""

from __future__ import annotations

import os
import secrets
from typing import Any

import click

from .common import settings_from


@click.command()
@click.option("--host", help="address to listen on (default 127.0.0.1)")
@click.option("--port", type=int, help="port (default 8080)")
@click.option("--db", help="SQLite path or database URL (default: <data dir>/snapscribe.db)")
@click.option("--data-dir", type=click.Path(file_okay=False), help="where uploads, thumbnails and caches live")
@click.option("--workers", type=int, help="in-process pipeline workers (default 2)")
@click.option(
    "--brokers",
    help="publish uploads to Kafka at HOST:PORT[,…] for `snapscribe worker` processes instead of "
    'captioning in-process (sets [server] queue = "kafka" and kafka.brokers)',
)
@click.option("--topic", help="uploads topic for --brokers (kafka.topic)")
@click.option("--results-topic", help="review decisions are published here too (kafka.results_topic)")
@click.option("--blobs", help="file:///path or s3://bucket/prefix for uploads and previews (blobs.url)")
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
@click.option(
    "--log-format",
    type=click.Choice(["json", "text"]),
    default="json",
    show_default=True,
    help="json: one object per line with request_id / job_id; text: uvicorn's default",
)
@click.pass_context
def serve(
    ctx: click.Context, host, port, db, data_dir, workers, brokers, topic, results_topic, blobs, log_level, log_format
) -> None:
    """Serve the upload API, the web page at / and the docs at /docs.

    API keys: $SNAPSCRIBE_API_KEYS ("name:key:role,..."), [server] api_keys, or `snapscribe apikey create`.
    With none configured, a temporary key is made up for this run and printed.
    """
    import uvicorn

    from ..server import create_app

    settings = settings_from(
        ctx,
        **{
            "store.db": db,
            "store.data_dir": data_dir,
            "server.host": host,
            "server.port": port,
            "server.workers": workers,
            "server.queue": "kafka" if brokers else None,
            "kafka.brokers": brokers,
            "kafka.topic": topic,
            "kafka.results_topic": results_topic,
            "blobs.url": blobs,
        },
    )
    app = create_app(settings, api_keys=os.environ.get("SNAPSCRIBE_API_KEYS"))
    keys = app.state.service.keys
    if not keys.has_keys():
        key = "ssk_" + secrets.token_urlsafe(18)
        keys.add_static("local", key, "admin")
        click.echo(f"no API keys configured; a temporary admin key for this run: {key}", err=True)
    cfg = settings.server
    queue = f"kafka {settings.kafka.brokers} {settings.kafka.topic}" if cfg.queue == "kafka" else "embedded"
    click.echo(
        f"snapscribe on http://{cfg.host}:{cfg.port}/  (data: {settings.data_dir()}, "
        f"db: {settings.db_url().split('@')[-1]}, blobs: {settings.blobs_url()}, queue: {queue})",
        err=True,
    )
    from ..logs import uvicorn_log_config
    from ..server.limits import uvicorn_options

    logging_kw: dict[str, Any] = {}
    if log_format == "json":
        logging_kw = {"log_config": uvicorn_log_config(log_level), "access_log": False}
    uvicorn.run(
        app,
        host=cfg.host,
        port=cfg.port,
        log_level=log_level,
        timeout_graceful_shutdown=15,
        server_header=False,
        **uvicorn_options(cfg),
        **logging_kw,
    )


@click.group()
def apikey() -> None:
    """Create, list and revoke API keys stored in the database."""


def _db(ctx: click.Context, db: str | None):
    from ..store import Database

    return Database(settings_from(ctx, **{"store.db": db}).db_url())


@apikey.command("create")
@click.argument("name")
@click.option("--rate", type=float, help="requests per second for this key (default: [server] rate_limit)")
@click.option("--burst", type=int, help="burst size for this key (default: [server] rate_burst)")
@click.option(
    "--role",
    type=click.Choice(["uploader", "reviewer", "admin"]),
    default="uploader",
    show_default=True,
    help="uploader: sees only its own uploads; reviewer/admin: sees all, decides reviews",
)
@click.option("--db", help="SQLite path or database URL")
@click.pass_context
def create(ctx: click.Context, name: str, rate: float | None, burst: int | None, role: str, db: str | None) -> None:
    """Make a key for NAME (replacing its old one) and print it; only its hash is stored."""
    from ..server.auth import create_key

    click.echo(create_key(_db(ctx, db), name, rate=rate, burst=burst, role=role))  # type: ignore[arg-type]


@apikey.command("revoke")
@click.argument("name")
@click.option("--db", help="SQLite path or database URL")
@click.pass_context
def revoke(ctx: click.Context, name: str, db: str | None) -> None:
    """Revoke NAME's key."""
    from ..server.auth import revoke_key

    if not revoke_key(_db(ctx, db), name):
        raise click.ClickException(f"no active key named {name!r}")


@apikey.command("list")
@click.option("--db", help="SQLite path or database URL")
@click.pass_context
def list_keys(ctx: click.Context, db: str | None) -> None:
    """Key names, limits and state (never the keys)."""
    rows = _db(ctx, db).query(
        "SELECT name, role, rate_limit, rate_burst, created_at, revoked_at FROM api_keys ORDER BY name"
    )
    for name, role, rate, burst, created, revoked in rows:
        state = f"revoked {revoked}" if revoked else "active"
        click.echo(f"{name}\t{role or 'default'}\t{rate or '-'}/s\tburst {burst or '-'}\t{created}\t{state}")

"""Options and helpers shared by CLI commands."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from ..config import Settings, load_settings
from ..errors import ConfigError


class SetupError(click.ClickException):
    """The machine or the configuration is wrong, not an image: one line on stderr, exit 2."""

    exit_code = 2


def setup_failures() -> tuple[type[BaseException], ...]:
    """Errors that mean the data dir, database, output file or a model package is unusable."""
    import psycopg

    return ConfigError, OSError, sqlite3.Error, psycopg.Error


@contextmanager
def setup_step(what: str) -> Iterator[None]:
    """Turn a setup failure inside the block into ``SetupError("what: why")``."""
    try:
        yield
    except setup_failures() as exc:
        reason = exc.message if isinstance(exc, ConfigError) else (str(exc) or type(exc).__name__)
        raise SetupError(f"{what}: {reason}") from exc


IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".mpo"}


def settings_from(ctx: click.Context, **overrides) -> Settings:
    """Settings from --config plus the command's flags (``section.key`` names)."""
    try:
        settings = load_settings(ctx.obj.get("config") if ctx.obj else None)
        return settings.with_overrides(**overrides)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


def expand_paths(paths: tuple[str, ...]) -> Iterator[Path]:
    """Files as given, and image files found recursively under directories (sorted)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if Path(name).suffix.lower() in IMAGE_SUFFIXES:
                        yield Path(root) / name
        elif path.exists():
            yield path
        else:
            raise click.BadParameter(f"no such file or directory: {raw}", param_hint="PATH")

"""The ``snapscribe`` command line."""

from __future__ import annotations

import logging
import os

import click

from . import __version__
from .commands.bench import bench
from .commands.broker import broker
from .commands.caption import caption
from .commands.common import SetupError
from .commands.ground import ground
from .commands.hashing import hash_cmd, hashlist
from .commands.plan import plan
from .commands.serve import apikey, serve
from .commands.submit import submit
from .commands.worker import worker
from .errors import ConfigError


class _Cli(click.Group):
    """Any command: a configuration or model-package problem is one line and exit 2, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise SetupError(exc.message) from exc


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="snapscribe")
@click.option("--config", type=click.Path(exists=True, dir_okay=False), help="TOML settings file")
@click.option("-v", "--verbose", count=True, help="more logging on stderr")
@click.pass_context
def cli(ctx: click.Context, config: str | None, verbose: int) -> None:
    """snapscribe: safe, grounded captions, tags and hashtags for photo uploads."""
    logging.basicConfig(level=logging.WARNING - 10 * verbose, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    ctx.ensure_object(dict)
    ctx.obj["config"] = config


cli.add_command(caption)
cli.add_command(ground)
cli.add_command(submit)
cli.add_command(worker)
cli.add_command(broker)
cli.add_command(hash_cmd)
cli.add_command(hashlist)
cli.add_command(bench)
cli.add_command(plan)
cli.add_command(serve)
cli.add_command(apikey)


def main() -> None:
    cli(prog_name="snapscribe")


if __name__ == "__main__":
    main()

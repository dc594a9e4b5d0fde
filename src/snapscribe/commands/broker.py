"""``snapscribe broker``: a local Kafka-protocol broker (Tansu, in memory) for trying things out."""

from __future__ import annotations

import signal
import threading

import click


@click.command()
@click.option("--port", type=int, default=9092, show_default=True, help="listen on 127.0.0.1:PORT")
@click.option("--topic", "topics", multiple=True, help="create this topic (repeatable; NAME or NAME:PARTITIONS)")
def broker(port: int, topics: tuple[str, ...]) -> None:
    """Run Tansu on 127.0.0.1 until Ctrl-C or SIGTERM. Data lives in memory only."""
    from ..queue.broker import LocalBroker, ensure_topics

    local = LocalBroker(port).start()
    assert local.process is not None  # start() launched it
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        wanted = {}
        for spec in topics:
            name, _, parts = spec.partition(":")
            wanted[name] = int(parts or 12)
        if wanted:
            ensure_topics(local.bootstrap, wanted)
        click.echo(f"broker listening on {local.bootstrap} (pid {local.process.pid}); Ctrl-C stops it", err=True)
        while not stop.wait(1.0):
            if local.process is None or local.process.poll() is not None:
                raise click.ClickException("the broker exited")
    finally:
        local.stop()

"""``snapscribe submit``: publish one upload message per image file."""

from __future__ import annotations

import json
import sys
import time

import click

from .common import expand_paths, settings_from


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--brokers", help="bootstrap servers, HOST:PORT[,HOST:PORT] (kafka.brokers)")
@click.option("--topic", help="uploads topic (kafka.topic)")
@click.option(
    "--inline-max-bytes",
    type=int,
    help="embed files up to this size as base64 (kafka.inline_max_bytes; default 0 = by reference)",
)
@click.option(
    "--create-topics/--no-create-topics",
    default=True,
    show_default=True,
    help="create the topic if missing (kafka.partitions partitions)",
)
@click.option("--quiet", is_flag=True, help="no line per message on stdout")
@click.pass_context
def submit(ctx: click.Context, paths, brokers, topic, inline_max_bytes, create_topics, quiet) -> None:
    """Publish images (files or directories) to the uploads topic, keyed by image id.

    Prints one JSON line per message: id, uri, partition, offset.
    """
    from ..queue.broker import ensure_topics
    from ..queue.producer import Publisher, upload_for_path

    settings = settings_from(
        ctx, **{"kafka.brokers": brokers, "kafka.topic": topic, "kafka.inline_max_bytes": inline_max_bytes}
    )
    k = settings.kafka
    files = list(expand_paths(paths))
    if not files:
        raise click.UsageError("no image files found in the given paths")
    if create_topics:
        ensure_topics(k.brokers, {k.topic: k.partitions}, k.client)
    publisher = Publisher(k.brokers, k.client)
    start = time.perf_counter()
    sent = [
        (m, publisher.send(k.topic, m.id, m.to_bytes()))
        for m in (upload_for_path(p, settings.intake, k.inline_max_bytes) for p in files)
    ]
    failed = 0
    for msg, future in sent:
        try:
            partition, offset = future.result(60)
        except Exception as exc:  # noqa: BLE001 - PublishError or a timeout
            failed += 1
            click.echo(f"failed to publish {msg.uri}: {exc}", err=True)
            continue
        if not quiet:
            sys.stdout.write(
                json.dumps({"id": msg.id, "uri": msg.uri, "partition": partition, "offset": offset}) + "\n"
            )
    publisher.close()
    click.echo(
        f"submitted {len(sent) - failed} of {len(sent)} to {k.topic} in {time.perf_counter() - start:.1f}s", err=True
    )
    if failed:
        sys.exit(1)

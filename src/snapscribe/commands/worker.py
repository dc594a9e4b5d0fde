"""``snapscribe worker``: join a consumer group and caption the uploads topic into a database."""

from __future__ import annotations

import signal
import sys

import click

from .common import settings_from


@click.command()
@click.option("--brokers", help="bootstrap servers, HOST:PORT[,HOST:PORT] (kafka.brokers)")
@click.option("--topic", help="uploads topic (kafka.topic)")
@click.option("--group", help="consumer group id (kafka.group)")
@click.option("--db", help="sqlite:///PATH or postgresql://... for result rows (store.db)")
@click.option("--blobs", help="file:///path or s3://bucket/prefix shared with `snapscribe serve` (blobs.url)")
@click.option("--results-topic", help="publish result records here (kafka.results_topic; '' = off)")
@click.option("--dlq-topic", help="dead-letter topic (kafka.dlq_topic; '' = off)")
@click.option("--concurrency", type=int, help="images in flight in this process (kafka.concurrency)")
@click.option("--max-attempts", type=int, help="tries before a retryable bad message is dead-lettered")
@click.option("--worker-id", help="name in logs and client.id (default HOST-PID)")
@click.option("--health-port", type=int, help="serve /metrics, /livez, /readyz here (kafka.health_port; 0 = off)")
@click.option(
    "--create-topics/--no-create-topics",
    default=True,
    show_default=True,
    help="create missing topics (kafka.partitions partitions)",
)
@click.pass_context
def worker(
    ctx: click.Context,
    brokers,
    topic,
    group,
    db,
    blobs,
    results_topic,
    dlq_topic,
    concurrency,
    max_attempts,
    worker_id,
    health_port,
    create_topics,
) -> None:
    """Consume uploads in a consumer group; store each result, publish it, then commit.

    Logs one JSON object per line on stderr (progress with throughput and lag every
    kafka.progress_interval_s). SIGTERM or Ctrl-C drains in-flight images, commits and
    leaves the group; a second one stops waiting for an unavailable database.

    Exit status: 0 after a clean stop; 1 when handling a message raised an unexpected error;
    3 when a fatal condition (a fatal Kafka client error, no partitions while the group's
    lag does not fall) lasted kafka.fatal_after_s, so a supervisor restarts the process.
    """
    from ..queue.events import EventLog, json_logging
    from ..queue.worker import Worker, default_worker_id

    settings = settings_from(
        ctx,
        **{
            "kafka.brokers": brokers,
            "kafka.topic": topic,
            "kafka.group": group,
            "store.db": db,
            "blobs.url": blobs,
            "kafka.results_topic": results_topic,
            "kafka.dlq_topic": dlq_topic,
            "kafka.concurrency": concurrency,
            "kafka.max_attempts": max_attempts,
            "kafka.health_port": health_port,
        },
    )
    events = EventLog(worker_id or default_worker_id())
    json_logging(events)
    w = Worker(settings, settings.db_url(), worker_id=events.worker, events=events, create_topics=create_topics)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: w.request_stop())
    sys.exit(w.run())

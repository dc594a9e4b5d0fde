"""Fixtures' helpers for the Kafka worker tests: PostgreSQL databases, worker processes, topic reads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("SNAPSCRIBE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_admin():
    """An autocommit connection to the server's maintenance database, or None when unreachable."""
    try:
        import psycopg

        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception:  # noqa: BLE001 - unreachable, no psycopg, ...
        return None


def db_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def create_database(admin, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(admin, name: str) -> None:
    admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def base_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(REPO / "src"),
            "SNAPSCRIBE_HOME": str(home),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "SNAPSCRIBE_KAFKA__PROGRESS_INTERVAL_S": "1",
            "SNAPSCRIBE_KAFKA__RETRY_BACKOFF_S": "0.2",
            "SNAPSCRIBE_KAFKA__RETRY_BACKOFF_MAX_S": "1",
            "SNAPSCRIBE_KAFKA__MAX_ATTEMPTS": "2",
            "SNAPSCRIBE_KAFKA__DRAIN_TIMEOUT_S": "30",
            "SNAPSCRIBE_KAFKA__PARTITIONS": "6",
        }
    )
    env.pop("SNAPSCRIBE_CONFIG", None)
    return env


def cli(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snapscribe.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def worker_args(brokers: str, t: dict[str, str], database: str, *extra: str) -> list[str]:
    """``snapscribe worker`` options for one set of topics (``t``: topic, group, results, dlq)."""
    return ["--brokers", brokers, "--topic", t["topic"], "--group", t["group"], "--db", db_url(database),
            "--results-topic", t["results"], "--dlq-topic", t["dlq"], *extra]  # fmt: skip


@dataclass
class WorkerProc:
    """A ``snapscribe worker`` subprocess whose JSON-lines log goes to a file."""

    name: str
    log_path: Path
    proc: subprocess.Popen
    _seen: int = 0
    events: list[dict] = field(default_factory=list)

    @classmethod
    def start(cls, name: str, log_dir: Path, env: dict[str, str], *args: str) -> WorkerProc:
        log_path = log_dir / f"{name}.log"
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "snapscribe.cli", "worker", "--worker-id", name, *args],
                env=env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return cls(name, log_path, proc)

    def read_events(self) -> list[dict]:
        for line in self.log_path.read_text(errors="replace").splitlines()[self._seen :]:
            self._seen += 1
            if line.startswith("{"):
                try:
                    self.events.append(json.loads(line))
                except ValueError:
                    pass
        return self.events

    def last(self, event: str) -> dict | None:
        found = [e for e in self.read_events() if e["event"] == event]
        return found[-1] if found else None

    def of(self, event: str) -> list[dict]:
        return [e for e in self.read_events() if e["event"] == event]

    def wait_for(self, predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read_events()
            if predicate(self):
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited ({self.proc.returncode}) waiting for {what}:\n{self.tail()}")
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout}s waiting for {what} on {self.name}:\n{self.tail()}")

    def tail(self, n: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        return self.proc.returncode


def processed(w: WorkerProc) -> int:
    p = w.last("progress")
    return int(p.get("processed", 0)) if p else 0


def read_topic(
    brokers: str,
    topic: str,
    *,
    expect: int | None = None,
    keys: set[str] | None = None,
    idle_s: float = 3.0,
    timeout_s: float = 30.0,
) -> list:
    """Messages on a topic, read from the beginning with a plain assignment (no group join).

    Stops once ``expect`` messages (or every key in ``keys``) arrived, or nothing came for ``idle_s``.
    """
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer(
        {"bootstrap.servers": brokers, "group.id": f"reader-{uuid.uuid4().hex[:6]}", "enable.auto.commit": False}
    )
    parts = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
    out, last, start = [], time.monotonic(), time.monotonic()
    while time.monotonic() - start < timeout_s:
        msg = consumer.poll(0.2)
        if msg is not None and not msg.error():
            out.append(msg)
            last = time.monotonic()
            if (expect is not None and len(out) >= expect) or (
                keys is not None and keys <= {m.key().decode() for m in out if m.key()}
            ):
                break
        elif time.monotonic() - last > idle_s:
            break
    consumer.close()
    return out


def committed(brokers: str, group: str, topic: str, partitions: int) -> dict[int, int]:
    """The group's committed offsets (an offset fetch; it does not join the group)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": brokers, "group.id": group, "enable.auto.commit": False})
    try:
        got = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return {tp.partition: tp.offset for tp in got}
    finally:
        consumer.close()

"""``snapscribe caption PATH...``: the main job on the embedded default."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import click

from ..config import TONES
from ..pipeline import Upload, build_pipeline
from ..records import ImageRecord, Status
from ..store import Database, ResultStore
from .common import SetupError, expand_paths, settings_from, setup_failures, setup_step


def _table_row(rec: ImageRecord, width: int) -> str:
    name = Path(rec.source).name[:28]
    if rec.status is Status.error and rec.error:
        text = f"[{rec.error.code}] {rec.error.message}"
    else:
        text = rec.caption or "-"
        if rec.hashtags:
            text += "  " + " ".join("#" + h for h in rec.hashtags)
    ms = "cached" if rec.cached else f"{sum(rec.timings_ms.values()):.0f} ms"
    line = f"{name:<28}  {rec.status.value:<9}  {ms:>8}  {text}"
    return line[:width] if width else line


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "jsonl"]),
    default="table",
    show_default=True,
    help="table for people, one JSON object per line for programs",
)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="write results here instead of stdout")
@click.option("--db", help="SQLite path or database URL (default: <data dir>/snapscribe.db)")
@click.option("--force", is_flag=True, help="recompute, ignoring cached results and features")
@click.option("--refresh", is_flag=True, help="recompute results but reuse cached model features")
@click.option("--threads", type=int, help="images processed in parallel (default: CPU cores)")
@click.option("--captioner", type=click.Choice(["default", "vlm", "polish"]), help="caption engine")
@click.option("--tagger", type=click.Choice(["default", "clip"]), help="tag engine")
@click.option("--tone", type=click.Choice(TONES), help="caption tone (caption.tone)")
@click.option("--emoji", is_flag=True, default=None, help="append the subject family's emoji (caption.emoji)")
@click.option("--no-progress", is_flag=True, help="no progress bar on stderr")
@click.pass_context
def caption(
    ctx: click.Context, paths, fmt, out, db, force, refresh, threads, captioner, tagger, tone, emoji, no_progress
) -> None:
    """Caption images (files or directories, recursively): caption, hashtags, tags, objects.

    Rejected or broken files become `error` records; the batch always finishes.
    """
    settings = settings_from(
        ctx,
        **{
            "store.db": db,
            "models.threads": threads,
            "engines.captioner": captioner,
            "engines.tagger": tagger,
            "caption.tone": tone,
            "caption.emoji": emoji,
        },
    )
    files = list(expand_paths(paths))
    if not files:
        raise click.UsageError("no image files found in the given paths")
    with setup_step("cannot open the data directory or database"):
        store = ResultStore(Database(settings.db_url()))
    with setup_step("cannot load the models"):
        pipeline = build_pipeline(settings, store)
    with setup_step("cannot write --out"):
        stream = open(out, "w", encoding="utf-8") if out else sys.stdout
    width = 0 if out or not sys.stdout.isatty() else shutil.get_terminal_size()[0]
    show_progress = not no_progress and len(files) > 1
    counts: dict[str, int] = {}
    start = time.perf_counter()
    try:
        from tqdm import tqdm

        bar = tqdm(total=len(files), unit="img", file=sys.stderr, disable=None if show_progress else True, leave=False)
        uploads = (Upload(source=str(p), path=str(p)) for p in files)
        for rec in pipeline.process_many(uploads, force=force, refresh=refresh):
            counts[rec.status.value] = counts.get(rec.status.value, 0) + 1
            stream.write((rec.to_json() if fmt == "jsonl" else _table_row(rec, width)) + "\n")
            stream.flush()
            bar.update(1)
        bar.close()
    except setup_failures() as exc:
        # The store (disk full, read-only, database gone), not an image, failed: stop the batch.
        raise SetupError(f"cannot store results ({settings.db_url()}): {exc}") from exc
    finally:
        if out:
            stream.close()
    elapsed = time.perf_counter() - start
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    click.echo(f"{len(files)} images in {elapsed:.1f}s ({len(files) / elapsed:.1f} img/s): {summary}", err=True)
    if counts.get("error", 0) == len(files):
        raise click.ClickException("every image failed (see the error records)")

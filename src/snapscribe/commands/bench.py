"""``snapscribe bench PATH...``: throughput, latency, CPU and memory, against a naive baseline."""

from __future__ import annotations

import json
import sys

import click

from .common import expand_paths, settings_from


def _ints(text: str | None) -> list[int]:
    if not text:
        return []
    try:
        return [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError as exc:
        raise click.BadParameter(f"expected comma-separated integers, got {text!r}") from exc


@click.command("bench")
@click.argument("paths", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object instead of the text report")
@click.option("--report", "report_dir", type=click.Path(file_okay=False), help="write an HTML page with charts here")
@click.option(
    "--repeat",
    type=click.IntRange(1, 20),
    default=2,
    show_default=True,
    help="cold passes and warm passes over the images",
)
@click.option("--threads", type=click.IntRange(1, 256), help="worker threads (default: settings, else CPU cores)")
@click.option("--limit", type=click.IntRange(1), help="use only the first N images (sorted)")
@click.option("--no-baseline", is_flag=True, help="skip the naive baseline pass")
@click.option("--no-lowres", is_flag=True, help="skip the low-res-first-pass-off comparison")
@click.option("--batch-sizes", default="1,4,16", show_default=True, help="NSFW batch sizes to time (empty: skip)")
@click.option("--threads-sweep", help="extra cold passes at these thread counts, e.g. 1,2,4")
@click.option("--no-save", is_flag=True, help="do not save the result as <data dir>/bench/last.json for `plan`")
@click.pass_context
def bench(
    ctx: click.Context,
    paths,
    as_json,
    report_dir,
    repeat,
    threads,
    limit,
    no_baseline,
    no_lowres,
    batch_sizes,
    threads_sweep,
    no_save,
) -> None:
    """Benchmark the pipeline on images: cold vs warm cache, low-res first pass on vs off, and a
    naive baseline (same code: full resolution, no OCR gate, no cache, one image at a time).

    Every pass runs in a fresh temporary data dir; models are loaded and warmed before timing.
    Progress goes to stderr; the result to stdout (text, or one JSON object with --json).
    """
    from ..perf.bench import render_text, run_bench, save_last

    settings = settings_from(ctx)
    files = [str(p) for p in expand_paths(paths)]
    if limit:
        files = files[:limit]
    if not files:
        raise click.UsageError("no image files found in the given paths")

    def log(msg: str) -> None:
        click.echo(f"bench: {msg}", err=True)

    result = run_bench(
        settings,
        files,
        repeat=repeat,
        threads=threads,
        baseline=not no_baseline,
        lowres=not no_lowres,
        batch_sizes=_ints(batch_sizes),
        threads_sweep=_ints(threads_sweep),
        log=log,
    )
    text = render_text(result)
    if report_dir:
        from ..perf.report import write_report

        path = write_report(result, report_dir, text)
        log(f"report written to {path}")
    if not no_save:
        log(f"saved to {save_last(result, settings)} (read by `snapscribe plan`)")
    if as_json:
        slim = dict(result)
        sys.stdout.write(json.dumps(slim) + "\n")
    else:
        click.echo(text)

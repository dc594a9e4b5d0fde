"""``snapscribe plan``: size the CPU and GPU fleet for an upload rate, and price it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import settings_from


@click.command("plan")
@click.option("--uploads-per-day", type=click.FloatRange(min=1), required=True, help="e.g. 1000000")
@click.option(
    "--peak-factor",
    type=click.FloatRange(min=1),
    default=3.0,
    show_default=True,
    help="peak-hour rate over the daily average",
)
@click.option(
    "--utilisation",
    "target_utilisation",
    type=click.FloatRange(0.05, 1.0),
    default=0.7,
    show_default=True,
    help="target utilisation of each machine",
)
@click.option(
    "--redundancy", type=click.IntRange(0), default=1, show_default=True, help="spare machines per fleet (N+1)"
)
@click.option(
    "--cpu-images-per-s",
    type=click.FloatRange(min=0, min_open=True),
    help="one CPU worker's images/s (default: the bench JSON)",
)
@click.option(
    "--cpu-hour-price",
    type=click.FloatRange(min=0),
    default=0.08,
    show_default=True,
    help="$/h of one CPU worker machine (a 2-vCPU VM: ~$0.05-0.10)",
)
@click.option(
    "--gpu-hour-price",
    type=click.FloatRange(min=0),
    default=3.0,
    show_default=True,
    help="$/h of one H100 (on demand ~$2.5-4)",
)
@click.option(
    "--vlm-batch",
    type=click.Choice(["1", "8", "32", "64"]),
    default="64",
    show_default=True,
    help="which H100 LLaVA-7B anchor to use (docs/gpu-sizing.md)",
)
@click.option(
    "--vlm-images-per-s",
    type=click.FloatRange(min=0, min_open=True),
    help="VLM images/s per GPU (overrides the anchor, e.g. a vLLM measurement)",
)
@click.option(
    "--hosted-vlm-price",
    type=click.FloatRange(min=0),
    default=0.01,
    show_default=True,
    help="$ per image of a hosted VLM",
)
@click.option(
    "--gate-pass-rate",
    type=click.FloatRange(0, 1),
    help="share of uploads the relevance gate sends to the VLM (default: the bench JSON's measurement, else 0.3)",
)
@click.option("--a10g-hour-price", type=click.FloatRange(min=0), default=1.0, show_default=True)
@click.option(
    "--bench-json",
    type=click.Path(exists=True, dir_okay=False),
    help="a `snapscribe bench --json` output (default: <data dir>/bench/last.json if present)",
)
@click.option(
    "--cpu-basis",
    type=click.Choice(["auto", "wall", "cpu"]),
    default="auto",
    show_default=True,
    help="bench figure to size CPU workers by: measured images/s (wall), cores / CPU-s per image "
    "(cpu), or cpu only when the bench machine was oversubscribed (auto)",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@click.pass_context
def plan(
    ctx: click.Context,
    uploads_per_day,
    peak_factor,
    target_utilisation,
    redundancy,
    cpu_images_per_s,
    cpu_hour_price,
    gpu_hour_price,
    vlm_batch,
    vlm_images_per_s,
    hosted_vlm_price,
    gate_pass_rate,
    a10g_hour_price,
    bench_json,
    cpu_basis,
    as_json,
) -> None:
    """How many CPU workers and GPUs N uploads a day need, what they cost per day and per image,
    and how that compares with a hosted VLM for every image or only for gated images.

    Uses measured bench figures (--bench-json, else the last `snapscribe bench` run) and the
    H100 anchors in docs/gpu-sizing.md; every assumption is printed.
    """
    from ..perf.bench import last_bench_path
    from ..perf.plan import PlanInputs, inputs_from_bench, load_bench, make_plan, render_text

    inputs = PlanInputs(
        uploads_per_day=uploads_per_day,
        peak_factor=peak_factor,
        target_utilisation=target_utilisation,
        redundancy=redundancy,
        cpu_hour_price=cpu_hour_price,
        gpu_hour_price=gpu_hour_price,
        vlm_batch=int(vlm_batch),
        vlm_images_per_s=vlm_images_per_s,
        hosted_vlm_price=hosted_vlm_price,
        a10g_hour_price=a10g_hour_price,
    )
    source = bench_json
    if source is None:
        last = last_bench_path(settings_from(ctx))
        source = str(last) if last.is_file() else None
    bench = None
    if source:
        try:
            bench = load_bench(source)
        except (OSError, ValueError) as exc:
            raise click.UsageError(f"cannot read bench figures from {source}: {exc}") from exc
        for key, value in inputs_from_bench(bench, Path(source).name, cpu_basis).items():
            setattr(inputs, key, value)
    if cpu_images_per_s:
        inputs.cpu_images_per_s = cpu_images_per_s
        inputs.cpu_source = "given (--cpu-images-per-s)"
        inputs.cpu_basis = "given"
    if gate_pass_rate is not None:
        inputs.gate_pass_rate = gate_pass_rate
        inputs.gate_source = "given (--gate-pass-rate)"
    elif bench and bench.get("gate_pass_rate") is not None:
        inputs.gate_pass_rate = float(bench["gate_pass_rate"])
        inputs.gate_source = f"measured by snapscribe bench ({Path(source).name})"
    else:
        inputs.gate_source = (
            "assumed: about 1 upload in 3 has a clear subject worth a VLM caption; "
            "the rest get the grounded composer's caption"
        )
    if bench and bench.get("peak_rss_mb"):
        inputs.extra_assumptions.append(
            f"one CPU worker needs about {bench['peak_rss_mb']:.0f} MB of memory (bench peak RSS)"
        )
    try:
        result = make_plan(inputs)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    result["bench_source"] = source
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        click.echo(render_text(result))

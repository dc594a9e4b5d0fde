"""Capacity plan: CPU workers and GPUs for an upload rate, their cost, and the hosted-VLM
alternative. Pure arithmetic over measured (or given) throughputs; every input that is
not measured here is an *assumption* and is listed as one in the output.

The model (all rates in images per second):

* load: ``avg = uploads_per_day / 86400``; ``peak = avg * peak_factor``.
* machines for a load: ``ceil(load / (capacity * target_utilisation)) + redundancy``
  (N+1 by default: one spare so a failed or draining machine does not drop the rate).
* every upload runs the CPU pipeline (intake, hash scan, NSFW, OCR, tags): the safety gates
  stand in front of any captioner, hosted or not.
* the VLM sees either every upload or only the share the relevance gate passes.
* fleet cost per day: a fleet provisioned for the *peak*, running 24 h ("static"); the
  autoscaled lower bound runs ``avg / (capacity * utilisation) + redundancy`` machines on
  average.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SECONDS_PER_DAY = 86_400

# docs/gpu-sizing.md, "Measured anchors": LLaVA-1.5-7B shape, random weights, one H100 80GB, bf16,
# transformers eager generate (no vLLM), 576 image tokens + 41 prompt tokens, 32 new tokens.
H100_LLAVA_IMAGES_PER_S = {1: 1.14, 8: 5.7, 32: 18.4, 64: 27.4}
H100_LLAVA_PEAK_MEMORY_GB_AT_64 = 39
A10G_FRACTION_OF_H100 = (1 / 8, 1 / 6)  # bf16 compute and memory bandwidth ratios, docs/gpu-sizing.md

# The target for one 2-core machine; used only when nothing was measured.
TARGET_CPU_IMAGES_PER_S = 12.0


@dataclass
class PlanInputs:
    uploads_per_day: float = 1_000_000
    peak_factor: float = 3.0
    target_utilisation: float = 0.7
    redundancy: int = 1
    cpu_images_per_s: float = TARGET_CPU_IMAGES_PER_S  # one worker machine
    cpu_cores_per_machine: int = 2
    cpu_source: str = "assumed (issue 7 target, not measured)"
    cpu_basis: str = "assumed"
    cpu_hour_price: float = 0.08
    gpu_hour_price: float = 3.0
    vlm_batch: int = 64
    vlm_images_per_s: float | None = None  # per GPU; None = the H100 anchor at vlm_batch
    hosted_vlm_price: float = 0.01
    gate_pass_rate: float = 0.3
    gate_source: str = "assumed"
    a10g_hour_price: float = 1.0
    extra_assumptions: list[str] = field(default_factory=list)

    @property
    def vlm_rate(self) -> float:
        if self.vlm_images_per_s:
            return float(self.vlm_images_per_s)
        return H100_LLAVA_IMAGES_PER_S[self.vlm_batch]


def machines_for(load: float, capacity: float, utilisation: float, redundancy: int) -> int:
    """Machines that carry ``load`` at ``utilisation`` of their ``capacity``, plus spares."""
    if load <= 0:
        return 0
    if capacity <= 0:
        raise ValueError("capacity must be positive")
    return math.ceil(load / (capacity * utilisation) - 1e-9) + redundancy


def _fleet(avg: float, peak: float, capacity: float, price_h: float, p: PlanInputs) -> dict[str, Any]:
    n_avg = machines_for(avg, capacity, p.target_utilisation, p.redundancy)
    n_peak = machines_for(peak, capacity, p.target_utilisation, p.redundancy)
    auto = (avg / (capacity * p.target_utilisation) + p.redundancy) if avg > 0 else 0.0
    return {
        "load_avg_images_per_s": round(avg, 3),
        "load_peak_images_per_s": round(peak, 3),
        "capacity_per_machine_images_per_s": round(capacity, 3),
        "machines_avg": n_avg,
        "machines_peak": n_peak,
        "cost_per_day_static": round(n_peak * 24 * price_h, 2),
        "cost_per_day_autoscaled": round(auto * 24 * price_h, 2),
        "hour_price": price_h,
    }


def make_plan(p: PlanInputs) -> dict[str, Any]:
    """The plan as one JSON-able dict: loads, fleets per scenario, costs, assumptions."""
    if p.uploads_per_day <= 0:
        raise ValueError("uploads_per_day must be positive")
    if not 0 < p.target_utilisation <= 1:
        raise ValueError("target utilisation must be in (0, 1]")
    if not 0 <= p.gate_pass_rate <= 1:
        raise ValueError("gate pass rate must be in [0, 1]")
    n = float(p.uploads_per_day)
    avg = n / SECONDS_PER_DAY
    peak = avg * p.peak_factor
    vlm = p.vlm_rate
    cpu = _fleet(avg, peak, p.cpu_images_per_s, p.cpu_hour_price, p)
    gpu_all = _fleet(avg, peak, vlm, p.gpu_hour_price, p)
    g = p.gate_pass_rate
    gpu_gated = _fleet(avg * g, peak * g, vlm, p.gpu_hour_price, p)

    def scenario(
        name: str, desc: str, cpu_fleet: dict | None, gpu_fleet: dict | None, hosted_images: float, vlm_images: float
    ):
        static = (
            (cpu_fleet["cost_per_day_static"] if cpu_fleet else 0.0)
            + (gpu_fleet["cost_per_day_static"] if gpu_fleet else 0.0)
            + hosted_images * p.hosted_vlm_price
        )
        auto = (
            (cpu_fleet["cost_per_day_autoscaled"] if cpu_fleet else 0.0)
            + (gpu_fleet["cost_per_day_autoscaled"] if gpu_fleet else 0.0)
            + hosted_images * p.hosted_vlm_price
        )
        return {
            "name": name,
            "description": desc,
            "cpu_workers_avg": cpu_fleet["machines_avg"] if cpu_fleet else 0,
            "cpu_workers_peak": cpu_fleet["machines_peak"] if cpu_fleet else 0,
            "gpus_avg": gpu_fleet["machines_avg"] if gpu_fleet else 0,
            "gpus_peak": gpu_fleet["machines_peak"] if gpu_fleet else 0,
            "vlm_images_per_day": round(vlm_images),
            "hosted_vlm_cost_per_day": round(hosted_images * p.hosted_vlm_price, 2),
            "cost_per_day": round(static, 2),
            "cost_per_day_autoscaled": round(auto, 2),
            "cost_per_image": round(static / n, 6),
            "cost_per_month_30d": round(static * 30, 2),
        }

    scenarios = [
        scenario(
            "hosted_vlm_all", "every upload to a hosted VLM (the seed's reference: no fleet of ours)", None, None, n, n
        ),
        scenario(
            "hosted_vlm_gated",
            "our CPU fleet (safety, tags, grounded caption) + hosted VLM for gated images",
            cpu,
            None,
            n * g,
            n * g,
        ),
        scenario("self_hosted_vlm_all", "our CPU fleet + our H100s captioning every upload", cpu, gpu_all, 0.0, n),
        scenario(
            "self_hosted_vlm_gated",
            "our CPU fleet + our H100s captioning only gated images",
            cpu,
            gpu_gated,
            0.0,
            n * g,
        ),
        scenario("cpu_only", "our CPU fleet alone (embedded default: grounded composer, no VLM)", cpu, None, 0.0, 0.0),
    ]
    reference = scenarios[0]["cost_per_day"]
    for s in scenarios:
        s["saving_vs_hosted_all"] = round(1 - s["cost_per_day"] / reference, 4) if reference else None
        s["times_cheaper_than_hosted_all"] = round(reference / s["cost_per_day"], 1) if s["cost_per_day"] else None

    gpus_by_batch = []
    for batch, rate in sorted(H100_LLAVA_IMAGES_PER_S.items()):
        row: dict[str, float | None] = {
            "batch": batch,
            "h100_images_per_s": rate,
            "batch_compute_s": round(batch / rate, 2),
        }
        for label, share in (("all", 1.0), ("gated", g)):
            peak_load = peak * share
            n_peak = machines_for(peak_load, rate, p.target_utilisation, p.redundancy)
            row[f"gpus_peak_{label}"] = n_peak
            row[f"cost_per_day_{label}"] = round(n_peak * 24 * p.gpu_hour_price, 2)
            # Seconds a fixed batch takes to fill at the average load spread over the non-spare GPUs.
            serving = max(1, n_peak - p.redundancy)
            per_gpu = avg * share / serving
            row[f"batch_fill_s_avg_{label}"] = round(batch / per_gpu, 1) if per_gpu > 0 else None
        gpus_by_batch.append(row)

    lo, hi = A10G_FRACTION_OF_H100
    a10g = []
    for frac in (hi, lo):
        rate = vlm * frac
        n_peak = machines_for(peak * g, rate, p.target_utilisation, p.redundancy)
        a10g.append(
            {
                "fraction_of_h100": round(frac, 3),
                "images_per_s": round(rate, 2),
                "gpus_peak_gated": n_peak,
                "cost_per_day_gated": round(n_peak * 24 * p.a10g_hour_price, 2),
            }
        )

    best = min(scenarios[1:4], key=lambda s: s["cost_per_day"])
    assumptions = [
        f"uploads arrive at {n:,.0f}/day = {avg:.2f} images/s on average; the peak hour runs at {p.peak_factor:g}x "
        f"the average = {peak:.2f} images/s (--peak-factor)",
        f"machines are sized for {p.target_utilisation:.0%} utilisation at the load they carry, plus "
        f"{p.redundancy} spare (N+{p.redundancy}) per fleet",
        f"one CPU worker machine ({p.cpu_cores_per_machine} cores) does {p.cpu_images_per_s:.2f} images/s "
        f"end to end with a cold cache, safety stages included: {p.cpu_source}",
        "every upload passes the CPU pipeline (intake, hash scan, NSFW, OCR + injection, tags) before any captioner, "
        "hosted or not; re-uploads served from the result cache are not subtracted (a saving on top)",
        f"CPU machine price ${p.cpu_hour_price:.3f}/h (a {p.cpu_cores_per_machine}-vCPU cloud VM on demand is "
        f"about $0.05-0.10/h; --cpu-hour-price)",
        f"GPU: one NVIDIA H100 at ${p.gpu_hour_price:.2f}/h (on demand about $2.5-4/h; --gpu-hour-price)",
        (
            f"VLM throughput per GPU {vlm:.2f} images/s (--vlm-images-per-s)"
            if p.vlm_images_per_s
            else f"VLM throughput per H100 {vlm:.2f} images/s: the measured anchor (docs/gpu-sizing.md) "
            f"for LLaVA-1.5-7B at batch {p.vlm_batch} "
            "(bf16, transformers eager generate, 576 image + 41 prompt tokens, 32 new tokens; "
            f"{H100_LLAVA_PEAK_MEMORY_GB_AT_64} GB peak at batch 64); vLLM continuous batching is usually higher, "
            "so GPU counts here are an upper bound"
        ),
        f"relevance gate passes {g:.0%} of uploads to the VLM: {p.gate_source} (--gate-pass-rate)",
        f"hosted VLM price ${p.hosted_vlm_price:.4f} per image (--hosted-vlm-price)",
        f"A10G: {lo:.3f}-{hi:.3f} of an H100's throughput (docs/gpu-sizing.md), ${p.a10g_hour_price:.2f}/h",
        "costs are compute only: no storage, network egress, Kafka/PostgreSQL, or engineering time",
        "static cost = the peak fleet running 24 h; autoscaled = the average-load fleet (fractional) plus spares, "
        "a lower bound",
    ] + list(p.extra_assumptions)
    return {
        "uploads_per_day": n,
        "load": {"avg_images_per_s": round(avg, 3), "peak_images_per_s": round(peak, 3), "peak_factor": p.peak_factor},
        "cpu_fleet": cpu,
        "gpu_fleet_all": gpu_all,
        "gpu_fleet_gated": gpu_gated,
        "scenarios": scenarios,
        "recommended": best["name"],
        "gpus_by_batch": gpus_by_batch,
        "a10g_alternative_gated": a10g,
        "inputs": asdict(p) | {"vlm_images_per_s_used": vlm},
        "assumptions": assumptions,
    }


# -- inputs from a bench run ---------------------------------------------------------------
def inputs_from_bench(bench: dict[str, Any], source: str, basis: str = "auto") -> dict[str, Any]:
    """Plan inputs a bench JSON provides: one worker machine's rate and size.

    ``basis``: ``wall`` = the measured images/s; ``cpu`` = cores / CPU-seconds per image (what a
    dedicated machine of that size does if the worker keeps every core busy); ``auto`` = wall,
    unless other processes oversubscribed the bench machine (load average above its cores),
    when wall-clock figures understate a dedicated machine and the CPU basis is used.
    """
    out: dict[str, Any] = {}
    rate = bench.get("images_per_s")
    if not rate:
        return out
    machine = bench.get("machine") or {}
    cores = int(machine.get("cores") or 2)
    load = (machine.get("loadavg_start") or [None])[0]
    cpu_s = bench.get("cpu_s_per_image")
    cpu_rate = cores / cpu_s if cpu_s else None
    busy = bench.get("cores_busy")
    if basis == "auto":
        basis = "cpu" if (cpu_rate and load is not None and load > cores) else "wall"
    if basis == "cpu" and not cpu_rate:
        basis = "wall"
    where = (
        f"snapscribe bench, {source}, {bench.get('timestamp', '?')}, {bench.get('images', {}).get('count', '?')} images"
    )
    load_txt = f"load average {load:.1f} on {cores} cores" if load is not None else f"{cores} cores"
    if basis == "cpu":
        assert cpu_rate is not None  # basis "cpu" was dropped above when there is no CPU rate
        out["cpu_images_per_s"] = round(float(cpu_rate), 3)
        out["cpu_source"] = (
            f"CPU basis: {cores} cores / {cpu_s:.3f} CPU-s per image measured by {where}; "
            f"assumes a dedicated worker keeps all its cores busy (the bench machine was shared: "
            f"{load_txt}, wall-clock rate {float(rate):.2f} images/s"
            + (f", {busy:.2f} cores busy" if busy else "")
            + ")"
        )
    else:
        out["cpu_images_per_s"] = float(rate)
        out["cpu_source"] = (
            f"wall-clock rate measured by {where} ({load_txt}"
            + (f"; CPU basis would give {cpu_rate:.2f} images/s" if cpu_rate else "")
            + ")"
        )
    out["cpu_cores_per_machine"] = cores
    out["cpu_basis"] = basis
    return out


def load_bench(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def render_text(plan: dict[str, Any]) -> str:
    """The plan for people: fleets, costs, the comparison and every assumption."""
    lines = []
    ld = plan["load"]
    lines.append(
        f"capacity plan for {plan['uploads_per_day']:,.0f} uploads/day: "
        f"{ld['avg_images_per_s']:.2f} images/s average, {ld['peak_images_per_s']:.2f} at peak "
        f"(x{ld['peak_factor']:g})"
    )
    c = plan["cpu_fleet"]
    lines.append(
        f"CPU workers: {c['machines_avg']} for average load, {c['machines_peak']} for peak "
        f"({c['capacity_per_machine_images_per_s']:.2f} images/s per machine, N+1 included)"
    )
    ga, gg = plan["gpu_fleet_all"], plan["gpu_fleet_gated"]
    lines.append(
        f"H100s, every upload captioned: {ga['machines_avg']} average / {ga['machines_peak']} peak; "
        f"gated only: {gg['machines_avg']} / {gg['machines_peak']} "
        f"({ga['capacity_per_machine_images_per_s']:.2f} images/s per GPU)"
    )
    lines.append("")
    lines.append(f"{'scenario':<24}{'CPU':>5}{'GPU':>5}{'$/day':>12}{'$/image':>11}{'x cheaper':>11}")
    for s in plan["scenarios"]:
        cheaper = f"{s['times_cheaper_than_hosted_all']:.1f}" if s["times_cheaper_than_hosted_all"] else "-"
        lines.append(
            f"{s['name']:<24}{s['cpu_workers_peak']:>5}{s['gpus_peak']:>5}{s['cost_per_day']:>12,.2f}"
            f"{s['cost_per_image']:>11.6f}{cheaper:>11}"
        )
    lines.append(f"(peak-provisioned fleets running 24 h; recommended with a VLM: {plan['recommended']})")
    lines.append("")
    lines.append(
        "H100s at peak by fixed batch size (eager-generate anchors); gen s = one batch's compute, "
        "fill s = time to collect a batch at average load"
    )
    lines.append(
        f"{'batch':>6}{'img/s':>8}{'gen s':>7}{'all':>6}{'$/day':>10}{'fill s':>8}{'gated':>7}{'$/day':>10}"
        f"{'fill s':>8}"
    )
    for r in plan["gpus_by_batch"]:
        lines.append(
            f"{r['batch']:>6}{r['h100_images_per_s']:>8.2f}{r['batch_compute_s']:>7.2f}{r['gpus_peak_all']:>6}"
            f"{r['cost_per_day_all']:>10,.0f}"
            f"{r['batch_fill_s_avg_all']:>8.1f}{r['gpus_peak_gated']:>7}{r['cost_per_day_gated']:>10,.0f}"
            f"{r['batch_fill_s_avg_gated']:>8.1f}"
        )
    a = plan["a10g_alternative_gated"]
    lines.append(
        f"A10G instead of H100 (gated): {a[0]['gpus_peak_gated']}-{a[1]['gpus_peak_gated']} GPUs at peak "
        f"(${a[0]['cost_per_day_gated']:,.0f}-{a[1]['cost_per_day_gated']:,.0f}/day)"
    )
    lines.append("")
    lines.append("assumptions:")
    lines.extend(f"  - {x}" for x in plan["assumptions"])
    return "\n".join(lines)

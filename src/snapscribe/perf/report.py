"""``snapscribe bench --report DIR``: an HTML page with matplotlib charts of a bench result."""

from __future__ import annotations

import html
import json
import textwrap
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .bench import _fmt_factor


def _plt():
    try:
        import matplotlib
    except ImportError as exc:
        raise ConfigError(
            "bench --report draws its charts with matplotlib: pip install 'snapscribe[report]'", "missing_model"
        ) from exc

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


COLOURS = {"ours": "#2b7bba", "lowres_off": "#f0a030", "baseline": "#c0392b", "warm": "#27ae60"}


def stage_chart(r: dict[str, Any], path: Path) -> None:
    plt = _plt()
    series = [("ours, 1 thread", r.get("stages_1t") or r["stages"], COLOURS["ours"])]
    if "lowres_off_stages" in r:
        series.append(("low-res off, 1 thread", r["lowres_off_stages"], COLOURS["lowres_off"]))
    if "baseline_stages" in r:
        series.append(("naive baseline", r["baseline_stages"], COLOURS["baseline"]))
    keys = [
        k
        for k in dict.fromkeys([k for _, s, _ in series for k in s])
        if max(s.get(k, {}).get("mean_ms", 0.0) for _, s, _ in series) >= 0.05
    ]
    from .bench import PIPELINE_ORDER

    order = {k: i for i, k in enumerate(PIPELINE_ORDER + ["untimed"])}
    keys.sort(key=lambda k: order.get(k, len(order)))
    keys.reverse()  # pipeline order from top to bottom
    height = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(keys) + 1.5))
    for i, (label, st, colour) in enumerate(series):
        ys = [j + (len(series) - 1 - i) * height - 0.4 + height / 2 for j in range(len(keys))]
        ax.barh(ys, [st.get(k, {}).get("mean_ms", 0.0) for k in keys], height=height, label=label, color=colour)
    ax.set_yticks(range(len(keys)), keys)
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel("mean ms per image (log scale above 1 ms)")
    ax.set_title("Where the time goes, per stage (cold, one image at a time)")
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def latency_histogram(r: dict[str, Any], path: Path) -> None:
    import numpy as np

    plt = _plt()
    lat = r["latencies_ms"]
    fig, ax = plt.subplots(figsize=(9, 4))
    all_vals = [v for k in ("cold", "lowres_off", "baseline") for v in lat.get(k, []) if v > 0]
    lo, hi = max(min(all_vals), 1.0), max(all_vals) if all_vals else 10.0
    bins = np.logspace(np.log10(lo * 0.9), np.log10(hi * 1.1), 40)
    for key, label, colour in (
        ("cold", "ours (cold)", COLOURS["ours"]),
        ("lowres_off", "low-res off", COLOURS["lowres_off"]),
        ("baseline", "naive baseline", COLOURS["baseline"]),
    ):
        if lat.get(key):
            ax.hist(lat[key], bins=bins, alpha=0.55, label=label, color=colour)
    for q, style in ((r["p50_ms"], "-"), (r["p95_ms"], "--")):
        ax.axvline(q, color=COLOURS["ours"], linestyle=style, linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel("end-to-end latency per image, ms (log); lines: ours p50 (solid), p95 (dashed)")
    ax.set_ylabel("images")
    ax.set_title("Latency distribution")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def throughput_chart(r: dict[str, Any], path: Path) -> None:
    plt = _plt()
    palette = [COLOURS["baseline"], COLOURS["lowres_off"], "#8e44ad", COLOURS["ours"], COLOURS["warm"]]
    steps = r.get("ladder") or []
    rows = [(textwrap.fill(st["step"], 16), st["images_per_s"], st["factor"]) for st in steps]
    for s in r.get("threads_sweep", []):
        rows.append((f"ours,\n{s['threads']} threads", s["images_per_s"], None))
    fig, ax = plt.subplots(figsize=(10, 4.2))
    colours = [palette[i] if i < len(palette) - 1 else "#7f8c8d" for i in range(len(rows))]
    if steps:
        colours[len(steps) - 1] = COLOURS["warm"]
    bars = ax.bar([x[0] for x in rows], [max(x[1], 1e-3) for x in rows], color=colours)
    for bar, (_, v, f) in zip(bars, rows):
        label = f"{v:,.1f}" + (f"\n({_fmt_factor(f)})" if f else "")
        ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylim(top=max(x[1] for x in rows) * 4)
    ax.set_ylabel("images per second (log)")
    ax.axhline(12, color="#555", linestyle=":", linewidth=1)
    ax.annotate(
        "12 img/s = 1M uploads/day on one machine",
        (0.01, 12),
        xycoords=("axes fraction", "data"),
        va="bottom",
        fontsize=8,
        color="#555",
    )
    ax.set_title("Throughput as each optimisation is switched on (same images; all cold but the last)")
    ax.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_report(r: dict[str, Any], out_dir: str | Path, text: str | None = None) -> Path:
    """Write ``index.html``, the PNG charts and ``bench.json`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    charts = [
        ("throughput.png", throughput_chart, "Throughput: cold, warm, low-res off, naive baseline"),
        ("stages.png", stage_chart, "Per-stage mean latency"),
        ("latency_hist.png", latency_histogram, "Latency histogram"),
    ]
    for name, fn, _ in charts:
        fn(r, out / name)
    (out / "bench.json").write_text(json.dumps(r, indent=1))
    m, im = r["machine"], r["images"]
    summary = [
        [f"ours, {r['threads']} threads, cold", r["images_per_s"], r["p50_ms"], r["p95_ms"], r["cpu_s_per_image"]],
        [
            "ours, 1 thread, cold",
            r["single_thread_images_per_s"],
            r["single_thread_p50_ms"],
            r["single_thread_p95_ms"],
            r["single_thread_cpu_s_per_image"],
        ],
        ["warm (result cache)", r["warm_images_per_s"], r["warm_p50_ms"], r["warm_p95_ms"], ""],
    ]
    if "lowres_off_images_per_s" in r:
        summary.append(
            [
                "low-res first pass off, 1 thread",
                r["lowres_off_images_per_s"],
                r["lowres_off_p50_ms"],
                r["lowres_off_p95_ms"],
                r["lowres_off_cpu_s_per_image"],
            ]
        )
    if "baseline_images_per_s" in r:
        summary.append(
            [
                "naive baseline, 1 thread",
                r["baseline_images_per_s"],
                r["baseline_p50_ms"],
                r["baseline_p95_ms"],
                r["baseline_cpu_s_per_image"],
            ]
        )
    gains = r.get("gains")
    gain_html = ""
    if gains:
        gain_html = (
            f"<p class='big'>{r['speedup_vs_baseline']:.1f}&times; the naive baseline's throughput "
            f"(cold), {r['warm_speedup_vs_baseline']:.0f}&times; warm.</p>"
            f"<p>= {gains['cpu_per_image']:.2f}&times; less CPU per image "
            f"({gains['baseline_cpu_ms_per_image']:.0f} &rarr; {gains['ours_cpu_ms_per_image']:.0f} ms) "
            f"&times; more cores kept busy ({gains['cores_busy_baseline']:.2f} &rarr; "
            f"{gains['cores_busy_ours']:.2f}). Stage by stage, one image at a time:</p>"
            + _table(
                ["stage", "baseline ms", "ours (1 thread) ms", "saved ms", "share of saving", "what moves it"],
                [
                    [
                        g["stage"],
                        g["baseline_ms"],
                        g["ours_1t_ms"],
                        g["saved_ms"],
                        f"{g['share_of_saving']:.0%}",
                        g["lever"],
                    ]
                    for g in gains["stages"]
                ],
            )
        )
    if r.get("ladder"):
        gain_html = (
            _table(
                ["step", "images/s", "factor", "what"],
                [[st["step"], st["images_per_s"], _fmt_factor(st["factor"]), st["what"]] for st in r["ladder"]],
            )
            + gain_html
        )
    stage_rows = [
        [k, v["images"], v["mean_ms"], v["p50_ms"], v["p95_ms"], f"{v['share']:.0%}"] for k, v in r["stages"].items()
    ]
    batch_html = ""
    if r.get("nsfw_batch"):
        batch_html = "<h2>NSFW model by batch size</h2>" + _table(
            ["batch", "ms/image", "images/s"],
            [[b["batch"], b["ms_per_image"], b["images_per_s"]] for b in r["nsfw_batch"]],
        )
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>snapscribe bench {html.escape(r["timestamp"])}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1000px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }} td, th {{ border: 1px solid #ccc; padding: 3px 8px; }}
th {{ background: #f3f3f3; }} td {{ text-align: right; }} td:first-child {{ text-align: left; }}
.big {{ font-size: 1.4em; font-weight: 600; }} img {{ max-width: 100%; }} .muted {{ color: #666; }}
pre {{ background: #f7f7f7; padding: 1em; overflow-x: auto; font-size: 12px; }}
</style></head><body>
<h1>snapscribe bench</h1>
<p class="muted">{html.escape(r["timestamp"])} &middot; snapscribe {html.escape(r["version"])} &middot;
{im["count"]} images from {html.escape(str(im["where"]))} (median long side {im["median_long_side"]} px) &middot;
{m["cores"]} cores, {html.escape(m["cpu_model"])}, Python {m["python"]} &middot; load average
{m["loadavg_start"][0]} &rarr; {m["loadavg_end"][0]}</p>
<p class="big">{r["images_per_s"]:.1f} images/s cold &middot; {r["warm_images_per_s"]:,.0f} images/s warm &middot;
p50 {r["p50_ms"]:.0f} ms, p95 {r["p95_ms"]:.0f} ms &middot; peak RSS {r["peak_rss_mb"]:.0f} MB</p>
<img src="throughput.png" alt="throughput">
{_table(["run", "images/s", "p50 ms", "p95 ms", "CPU s/image"], summary)}
<h2>Where the gains come from</h2>
{gain_html}
<img src="stages.png" alt="per-stage latency">
<h2>Per stage (ours, cold, threaded)</h2>
{_table(["stage", "images", "mean ms/image", "p50 ms", "p95 ms", "share"], stage_rows)}
<h2>Latency</h2>
<img src="latency_hist.png" alt="latency histogram">
{batch_html}
<h2>Notes</h2><ul>{"".join(f"<li>{html.escape(n)}</li>" for n in r["notes"])}</ul>
{f"<h2>Text output</h2><pre>{html.escape(text)}</pre>" if text else ""}
<p class="muted">Raw figures: <a href="bench.json">bench.json</a></p>
</body></html>
"""
    path = out / "index.html"
    path.write_text(page)
    return path

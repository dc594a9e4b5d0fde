"""`snapscribe plan` arithmetic against hand-computed numbers, and `snapscribe bench` end to end
on a few small images (JSON keys, sane values, warm faster than cold, baseline, HTML report)."""

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from snapscribe.cli import cli
from snapscribe.perf.plan import PlanInputs, inputs_from_bench, machines_for, make_plan, render_text

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples").glob("*.jpg"))


def _scenario(plan, name):
    return next(s for s in plan["scenarios"] if s["name"] == name)


# -- plan: hand-computed ---------------------------------------------------------------------
def test_machines_for_is_ceil_plus_spares():
    assert machines_for(8.4, 12, 0.7, 1) == 2  # exactly one machine's worth at 70 %: no extra
    assert machines_for(8.41, 12, 0.7, 1) == 3
    assert machines_for(0, 12, 0.7, 1) == 0
    assert machines_for(100, 10, 1.0, 0) == 10


def test_plan_for_one_million_a_day_by_hand():
    plan = make_plan(
        PlanInputs(
            uploads_per_day=1_000_000,
            peak_factor=3,
            target_utilisation=0.7,
            redundancy=1,
            cpu_images_per_s=12,
            cpu_hour_price=0.08,
            gpu_hour_price=3.0,
            vlm_batch=64,
            hosted_vlm_price=0.01,
            gate_pass_rate=0.3,
        )
    )
    # 1e6 / 86400 = 11.574 img/s; x3 = 34.722
    assert plan["load"]["avg_images_per_s"] == pytest.approx(11.574, abs=1e-3)
    assert plan["load"]["peak_images_per_s"] == pytest.approx(34.722, abs=1e-3)
    cpu = plan["cpu_fleet"]
    # 11.574 / (12 * 0.7) = 1.38 -> 2 (+1); 34.722 / 8.4 = 4.13 -> 5 (+1)
    assert (cpu["machines_avg"], cpu["machines_peak"]) == (3, 6)
    assert cpu["cost_per_day_static"] == pytest.approx(6 * 24 * 0.08)  # 11.52
    assert cpu["cost_per_day_autoscaled"] == pytest.approx((11.574074 / 8.4 + 1) * 24 * 0.08, abs=0.01)  # 4.57
    # H100 at batch 64: 27.4 img/s x 0.7 = 19.18 -> all: avg 0.60 -> 1 (+1), peak 1.81 -> 2 (+1)
    gall, ggated = plan["gpu_fleet_all"], plan["gpu_fleet_gated"]
    assert (gall["machines_avg"], gall["machines_peak"]) == (2, 3)
    # gated 30 %: peak 10.42 / 19.18 = 0.54 -> 1 (+1)
    assert (ggated["machines_avg"], ggated["machines_peak"]) == (2, 2)
    hosted_all = _scenario(plan, "hosted_vlm_all")
    assert hosted_all["cost_per_day"] == pytest.approx(10_000.0)
    assert hosted_all["cost_per_image"] == pytest.approx(0.01)
    assert _scenario(plan, "self_hosted_vlm_gated")["vlm_images_per_day"] == 300_000
    assert _scenario(plan, "hosted_vlm_gated")["cost_per_day"] == pytest.approx(11.52 + 300_000 * 0.01)
    self_all = _scenario(plan, "self_hosted_vlm_all")
    assert self_all["cost_per_day"] == pytest.approx(11.52 + 3 * 24 * 3.0)  # 227.52
    assert self_all["cost_per_image"] == pytest.approx(227.52 / 1e6, abs=1e-6)
    self_gated = _scenario(plan, "self_hosted_vlm_gated")
    assert self_gated["cost_per_day"] == pytest.approx(11.52 + 2 * 24 * 3.0)  # 155.52
    assert self_gated["times_cheaper_than_hosted_all"] == pytest.approx(10_000 / 155.52, abs=0.05)
    assert plan["recommended"] == "self_hosted_vlm_gated"
    # batch 1 anchor: 34.722 / (1.14 * 0.7) = 43.5 -> 44 (+1)
    b1 = next(r for r in plan["gpus_by_batch"] if r["batch"] == 1)
    assert b1["gpus_peak_all"] == 45
    assert b1["batch_compute_s"] == pytest.approx(1 / 1.14, abs=0.01)
    assert any("27.40 images/s" in a for a in plan["assumptions"])
    assert any("N+1" in a for a in plan["assumptions"])
    assert "self_hosted_vlm_gated" in render_text(plan)


def test_plan_scales_linearly_and_vlm_override():
    p = make_plan(
        PlanInputs(
            uploads_per_day=10_000_000,
            peak_factor=2,
            target_utilisation=0.5,
            redundancy=0,
            cpu_images_per_s=20,
            vlm_images_per_s=100,
            gate_pass_rate=1.0,
        )
    )
    # 115.74 avg, 231.48 peak; CPU: 231.48 / 10 -> 24; GPU 231.48 / 50 -> 5
    assert p["cpu_fleet"]["machines_peak"] == 24
    assert p["gpu_fleet_all"]["machines_peak"] == 5
    assert p["gpu_fleet_gated"]["machines_peak"] == 5  # gate passes everything
    assert p["inputs"]["vlm_images_per_s_used"] == 100


def test_plan_inputs_from_bench():
    quiet = {
        "images_per_s": 15.5,
        "cpu_s_per_image": 0.1,
        "timestamp": "t",
        "machine": {"cores": 4, "loadavg_start": [1.0, 1.0, 1.0]},
        "images": {"count": 9},
    }
    got = inputs_from_bench(quiet, "b.json")
    assert got["cpu_images_per_s"] == 15.5 and got["cpu_cores_per_machine"] == 4 and got["cpu_basis"] == "wall"
    assert "measured" in got["cpu_source"] and "40.00 images/s" in got["cpu_source"]
    # an oversubscribed bench machine: auto sizes by CPU time, 4 cores / 0.1 s = 40 img/s
    busy = dict(quiet, machine={"cores": 4, "loadavg_start": [9.0, 9.0, 9.0]})
    got = inputs_from_bench(busy, "b.json")
    assert got["cpu_basis"] == "cpu" and got["cpu_images_per_s"] == pytest.approx(40.0)
    assert inputs_from_bench(busy, "b.json", "wall")["cpu_images_per_s"] == 15.5
    assert inputs_from_bench(quiet, "b.json", "cpu")["cpu_images_per_s"] == pytest.approx(40.0)


def test_plan_cli_json_reads_bench_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SNAPSCRIBE_HOME", str(tmp_path / "home"))
    bench = tmp_path / "b.json"
    bench.write_text(
        json.dumps(
            {
                "images_per_s": 6.0,
                "cpu_s_per_image": 0.3,
                "peak_rss_mb": 900,
                "machine": {"cores": 2},
                "images": {"count": 3},
                "timestamp": "x",
                "gate_pass_rate": 0.25,
            }
        )
    )
    res = CliRunner().invoke(cli, ["plan", "--uploads-per-day", "1000000", "--bench-json", str(bench), "--json"])
    assert res.exit_code == 0, res.output
    plan = json.loads(res.output)
    # 34.722 / (6 * 0.7) = 8.27 -> 9 (+1)
    assert plan["cpu_fleet"]["machines_peak"] == 10
    assert any("measured by snapscribe bench" in a for a in plan["assumptions"])
    assert plan["inputs"]["cpu_basis"] == "wall"  # no load average in the file: wall clock
    assert any("900 MB" in a for a in plan["assumptions"])
    assert plan["inputs"]["gate_pass_rate"] == 0.25  # the gate's measured pass share, not the assumed 30%
    assert any("passes 25%" in a and "measured by snapscribe bench" in a for a in plan["assumptions"])
    # text form, no bench saved in the fresh home: the assumed target rate, said so
    res = CliRunner().invoke(cli, ["plan", "--uploads-per-day", "1000000"])
    assert res.exit_code == 0, res.output
    assert "not measured" in res.output and "assumptions:" in res.output


# -- bench: end to end on small images -------------------------------------------------------
@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    images = root / "images"
    images.mkdir()
    for src in SAMPLES[:3]:
        with Image.open(src) as im:
            im = im.convert("RGB")
            im.thumbnail((256, 256))
            im.save(images / src.name, quality=88)
    report = root / "report"
    home = root / "home"
    res = CliRunner(env={"SNAPSCRIBE_HOME": str(home)}).invoke(
        cli,
        [
            "bench",
            str(images),
            "--json",
            "--report",
            str(report),
            "--repeat",
            "1",
            "--threads",
            "2",
            "--batch-sizes",
            "1,2",
            "--no-lowres",
        ],
    )
    assert res.exit_code == 0, res.output
    line = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
    assert len(line) == 1, res.stdout
    return json.loads(line[0]), report, home


def test_bench_json_has_the_figures(bench_run):
    r, _, _ = bench_run
    for key in (
        "images_per_s",
        "p50_ms",
        "p95_ms",
        "peak_rss_mb",
        "baseline_images_per_s",
        "warm_images_per_s",
        "stages",
        "machine",
        "timestamp",
        "cpu_s_per_image",
        "speedup_vs_baseline",
        "gains",
    ):
        assert key in r, key
    assert r["images"]["count"] == 3
    # the relevance gate's measured pass share on the first cold pass
    assert r["gate"]["seen"] == 3 and r["gate_pass_rate"] == pytest.approx(r["gate"]["passed"] / 3)
    assert r["gate_pass_rate"] > 0
    assert r["images_per_s"] > 0 and r["baseline_images_per_s"] > 0
    assert 0 < r["p50_ms"] <= r["p95_ms"]
    assert r["warm_images_per_s"] > r["images_per_s"]  # served from the result cache
    assert r["warm_cached_share"] == 1.0
    assert 50 < r["peak_rss_mb"] < 8000
    assert r["machine"]["cores"] >= 1 and r["machine"]["python"]
    for stage in ("intake", "hash_scan", "detect", "classify"):
        assert r["stages"][stage]["mean_ms"] > 0
        assert r["stages"][stage]["images"] == 3
    # the baseline runs OCR on every image without the gate, at full resolution, on one thread
    assert r["baseline_stages"]["ocr"]["images"] == 3
    assert [s["threads"] for s in r["passes"]] == [2, 2, 2, 2, 1]  # 1 cold, 3 warm, 1 single-thread
    assert r["single_thread_images_per_s"] > 0
    assert [st["step"] for st in r["ladder"]][0] == "naive baseline"
    assert r["ladder"][-1]["images_per_s"] == pytest.approx(r["warm_images_per_s"], abs=0.1)
    assert r["nsfw_batch"] and all(b["ms_per_image"] > 0 for b in r["nsfw_batch"])
    assert math.isclose(r["gains"]["speedup"], r["speedup_vs_baseline"], rel_tol=0.02)


def test_bench_writes_report_and_saves_for_plan(bench_run):
    r, report, home = bench_run
    page = (report / "index.html").read_text()
    assert "<img" in page and "naive baseline" in page
    pngs = sorted(p.name for p in report.glob("*.png"))
    assert pngs == ["latency_hist.png", "stages.png", "throughput.png"]
    assert all((report / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    saved = json.loads((home / "bench" / "last.json").read_text())
    assert saved["images_per_s"] == r["images_per_s"]
    res = CliRunner(env={"SNAPSCRIBE_HOME": str(home)}).invoke(cli, ["plan", "--uploads-per-day", "1000000", "--json"])
    assert res.exit_code == 0, res.output
    plan = json.loads(res.output)
    if plan["inputs"]["cpu_basis"] == "wall":
        assert plan["inputs"]["cpu_images_per_s"] == r["images_per_s"]
    else:  # the test machine was oversubscribed
        assert plan["inputs"]["cpu_images_per_s"] == pytest.approx(
            r["machine"]["cores"] / r["cpu_s_per_image"], rel=1e-3
        )


def test_bench_text_and_report_with_every_section(bench_run, tmp_path):
    from snapscribe.perf.bench import render_text
    from snapscribe.perf.report import write_report

    r = dict(bench_run[0])
    # the low-res-off and threads-sweep sections, without paying for another pass here
    r.update(
        lowres_off_images_per_s=r["images_per_s"] / 2,
        lowres_off_p50_ms=r["p50_ms"] * 2,
        lowres_off_p95_ms=r["p95_ms"] * 2,
        lowres_off_cpu_s_per_image=r["cpu_s_per_image"] * 2,
        lowres_off_stages=r["stages"],
        lowres_speedup=2.0,
        threads_sweep=[dict(r["passes"][0], threads=1)],
    )
    r["latencies_ms"] = dict(r["latencies_ms"], lowres_off=[x * 2 for x in r["latencies_ms"]["cold"]])
    text = render_text(r)
    assert "low-res first pass off" in text and "threads=1" in text and "naive baseline" in text
    assert "dominant stages" in text
    page = write_report(r, tmp_path / "rep", text)
    assert page.is_file() and (tmp_path / "rep" / "stages.png").is_file()

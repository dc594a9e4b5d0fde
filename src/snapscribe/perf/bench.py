"""``snapscribe bench``: measure the pipeline honestly, and explain where the time goes.

What one bench run does, all in one process, on the same images:

1. **ours, cold**: the configured pipeline (default settings, ``threads`` workers) in a fresh
   temporary data dir: no result cache, no feature cache. Models are loaded and warmed
   *before* timing (each pipeline processes a few mirrored, re-encoded copies of the first
   images, whose bytes differ and so never seed the cache; the OCR engine is forced once).
   ``repeat`` > 1 runs further cold passes with ``force`` (cache lookups skipped).
2. **ours, warm**: the same images again, served from the result cache.
3. **low-res off**: the same pipeline with the low-resolution first pass disabled
   (``models.low_res_side`` >= every image side: the work image is the full decode and JPEG
   draft (DCT-scaled) decoding never applies).
4. **naive baseline**: the *same pipeline code* configured the naive way: full-resolution
   work image, no JPEG draft decode, full OCR on every image (no gate, no staged confirm
   pass), no result or
   feature cache (``force``), one image at a time on one thread.
5. **NSFW batch sizes**: the one engine with a batched path, at a few batch sizes.
6. optional **threads sweep**: cold passes at other thread counts.

Per image it records the wall latency of ``Pipeline.process`` (wrapped; falls back to the
sum of stage timings when a pipeline does not go through ``process``) and the pipeline's own
per-stage timings. CPU seconds are process CPU time (all threads) over images. Peak RSS is
``ru_maxrss`` taken right after ours' passes (what a worker needs) and at the end.
"""

from __future__ import annotations

import io
import json
import os
import platform
import resource
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..config import Settings
from ..cpu import cpuinfo
from ..pipeline import Pipeline, Upload, build_pipeline
from ..records import ImageRecord, Status
from ..store import Database, ResultStore

# The settings that turn the pipeline into the naive baseline, and into "low-res off".
# A value for a key the settings do not have is skipped (and reported).
LOWRES_OFF_SIDE = 1 << 14
LOWRES_OFF = {"models.low_res_side": LOWRES_OFF_SIDE}
NAIVE = {
    "models.low_res_side": LOWRES_OFF_SIDE,
    "ocr.gate": False,
    "ocr.staged": False,
    "models.threads": 1,
    "detector.engine": "opencv",
    "ocr.detector": "fp32",
    "nsfw.model": "fp32",
}

# Where a stage's time goes, and which optimisation moves it: used to explain the ratio.
STAGE_LEVERS = {
    "read": "file read",
    "hash": "sha256 of the bytes",
    "cache": "result-cache lookup",
    "feature_cache": "feature-cache lookup",
    "intake": "decode (JPEG draft/DCT scaling when the image is >= 2x the first-pass side)",
    "normalize": "resize once to the low-res work image and model inputs",
    "hash_scan": "PDQ on the low-res work image (x 4 views x 8 dihedral; views in matrix form)",
    "nsfw": "open_nsfw on the low-res work image",
    "ocr": "edge gate, then a small confirm detector (int8); full detection + recognition only on text",
    "attributes": "pixel statistics on the low-res work image",
    "detect": "SSD at a fixed 300 px input, translated to onnxruntime (baseline: cv2.dnn)",
    "classify": "EfficientNet at a fixed 280 px input",
    "tags": "tagging",
    "caption": "grounded composer",
    "ground": "grounding guard",
    "store": "SQLite write",
}

PIPELINE_ORDER = [
    "read",
    "hash",
    "cache",
    "intake",
    "normalize",
    "hash_scan",
    "nsfw",
    "ocr",
    "feature_cache",
    "attributes",
    "detect",
    "classify",
    "tags",
    "caption",
    "ground",
    "store",
]


# -- machine -------------------------------------------------------------------------------
def machine_info() -> dict[str, Any]:
    model = cpuinfo("model name")
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cores": cores,
        "cpu_count": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "memory_gb": mem_gb,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


def peak_rss_mb() -> float:
    # Linux reports KiB, macOS bytes.
    raw = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(raw / (1024 * 1024) if platform.system() == "Darwin" else raw / 1024, 1)


def current_rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


# -- statistics ----------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else 0.0


@dataclass
class PassResult:
    """One timed pass over the images."""

    name: str
    threads: int
    wall_s: float
    cpu_s: float
    latencies_ms: list[float]
    stage_ms: list[dict[str, float]]
    statuses: list[str]
    cached: int = 0
    notes: list[str] = field(default_factory=list)
    ocr_stages: dict[str, list[float]] = field(default_factory=dict)  # where OCR stopped -> ms each
    ocr_text: int = 0

    def ocr_shares(self) -> dict[str, float]:
        total = sum(len(v) for v in self.ocr_stages.values()) or 1
        return {k: round(len(v) / total, 3) for k, v in sorted(self.ocr_stages.items())}

    def ocr_ms(self) -> dict[str, float]:
        """Mean OCR ms (gate + detection + recognition) of the images that stopped at each step."""
        return {k: round(statistics.fmean(v), 1) for k, v in sorted(self.ocr_stages.items()) if v}

    @property
    def n(self) -> int:
        return len(self.latencies_ms)

    @property
    def images_per_s(self) -> float:
        return self.n / self.wall_s if self.wall_s > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "threads": self.threads,
            "images": self.n,
            "wall_s": round(self.wall_s, 3),
            "images_per_s": round(self.images_per_s, 2),
            "cpu_s": round(self.cpu_s, 3),
            "cpu_s_per_image": round(self.cpu_s / self.n, 4) if self.n else None,
            "p50_ms": round(percentile(self.latencies_ms, 50), 2),
            "p95_ms": round(percentile(self.latencies_ms, 95), 2),
            "cached": self.cached,
        }


def combine(passes: Sequence[PassResult], name: str) -> PassResult:
    """Several passes as one: total images over total wall time; all latencies pooled."""
    return PassResult(
        name=name,
        threads=passes[0].threads,
        wall_s=sum(p.wall_s for p in passes),
        cpu_s=sum(p.cpu_s for p in passes),
        latencies_ms=[x for p in passes for x in p.latencies_ms],
        stage_ms=[x for p in passes for x in p.stage_ms],
        statuses=[x for p in passes for x in p.statuses],
        cached=sum(p.cached for p in passes),
    )


def stage_table(p: PassResult) -> dict[str, dict[str, float]]:
    """Per stage: how many images ran it, mean over *all* images (ms/image), p50/p95 over
    the images that ran it, and its share of the summed per-image latency."""
    names: list[str] = []
    for row in p.stage_ms:
        for k in row:
            if k not in names:
                names.append(k)
    order = {k: i for i, k in enumerate(PIPELINE_ORDER)}
    names.sort(key=lambda k: order.get(k, len(order)))
    total_latency = sum(p.latencies_ms) or 1.0
    out: dict[str, dict[str, float]] = {}
    for k in names:
        vals = [row[k] for row in p.stage_ms if k in row]
        out[k] = {
            "images": len(vals),
            "mean_ms": round(sum(vals) / max(1, p.n), 3),
            "p50_ms": round(percentile(vals, 50), 3),
            "p95_ms": round(percentile(vals, 95), 3),
            "share": round(sum(vals) / total_latency, 4),
        }
    # Time inside process() that no stage timer covers: evidence fusion, record building.
    other = [lat - sum(row.values()) for lat, row in zip(p.latencies_ms, p.stage_ms)]
    out["untimed"] = {
        "images": p.n,
        "mean_ms": round(sum(other) / max(1, p.n), 3),
        "p50_ms": round(percentile(other, 50), 3),
        "p95_ms": round(percentile(other, 95), 3),
        "share": round(sum(other) / total_latency, 4),
    }
    return out


# -- running -------------------------------------------------------------------------------
class _Probe:
    """Instruments one pipeline instance (not its class) for the bench:

    * wraps ``process`` to time each call (thread-safe); records that do not come through
      ``process`` fall back to the sum of their stage timings;
    * wraps the OCR reader's ``read`` to count how many images ran the full OCR pass.
    """

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self.by_record: dict[int, float] = {}
        self.ocr_stages: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        original = pipeline.process

        def timed(*args, **kwargs):
            start = time.perf_counter()
            rec = original(*args, **kwargs)
            ms = (time.perf_counter() - start) * 1000.0
            with self._lock:
                self.by_record[id(rec)] = ms
            return rec

        pipeline.process = timed  # type: ignore[method-assign]
        reader = getattr(getattr(pipeline, "safety", None), "reader", None)
        if reader is not None and hasattr(reader, "read"):
            read = reader.read

            def counted(*args, **kwargs):
                res = read(*args, **kwargs)
                # "gate" (cleared by the edge gate), "detect" (detector found no text), "recognise"
                stage = getattr(res, "stage", "") or ("recognise" if getattr(res, "ran_full", False) else "gate")
                ms = float(getattr(res, "gate_ms", 0.0)) + float(getattr(res, "ocr_ms", 0.0))
                with self._lock:
                    self.ocr_stages.setdefault(stage, []).append(ms)
                return res

            reader.read = counted

    def latency(self, rec: ImageRecord) -> tuple[float, bool]:
        with self._lock:
            ms = self.by_record.pop(id(rec), None)
        if ms is None:
            return sum(rec.timings_ms.values()), False
        return ms, True

    def take_ocr(self) -> dict[str, list[float]]:
        with self._lock:
            out, self.ocr_stages = self.ocr_stages, {}
        return out


def _run_pass(
    name: str,
    pipeline: Pipeline,
    probe: _Probe,
    uploads: list[Upload],
    *,
    threads: int,
    force: bool,
    sequential: bool = False,
) -> PassResult:
    probe.take_ocr()
    cpu0, t0 = time.process_time(), time.perf_counter()
    if sequential:
        records = [pipeline.process(u, force=force) for u in uploads]
    else:
        records = list(pipeline.process_many(uploads, force=force))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    lat, stages, statuses, cached, probed = [], [], [], 0, 0
    for rec in records:
        ms, ok = probe.latency(rec)
        probed += ok
        lat.append(ms)
        stages.append(dict(rec.timings_ms))
        statuses.append(rec.status.value)
        cached += bool(rec.cached)
    notes = (
        []
        if probed == len(records)
        else [f"{name}: {len(records) - probed} latencies are sums of stage timings (not routed through process())"]
    )
    result = PassResult(name, 1 if sequential else threads, wall, cpu, lat, stages, statuses, cached, notes)
    result.ocr_stages = probe.take_ocr()
    result.ocr_text = sum(1 for r in records if r.safety.ocr_text)  # safety is never None
    return result


def _mirrored_jpeg(path: str) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        img = ImageOps.mirror(im.convert("RGB"))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=91)
    return buf.getvalue()


def _warm(pipeline: Pipeline, files: list[str], threads: int) -> float:
    """Load and exercise every model before timing, without seeding any cache for ``files``:
    through ``process_many`` (worker threads) and once on this thread (sequential passes)."""
    t0 = time.perf_counter()
    k = min(len(files), max(2, threads))
    warm = [Upload(source=f"warmup-{i}", data=_mirrored_jpeg(f)) for i, f in enumerate(files[:k])]
    list(pipeline.process_many(warm, force=True))
    pipeline.process(warm[0], force=True)
    reader = getattr(getattr(pipeline, "safety", None), "reader", None)
    if reader is not None:  # the OCR engine loads lazily, only when the gate first passes
        try:
            from PIL import Image

            with Image.open(files[0]) as im:
                reader.read(np.asarray(im.convert("RGB")), force=True)
        except Exception:  # noqa: BLE001 - a warm-up failure shows up in the timed pass instead
            pass
    return time.perf_counter() - t0


class Bench:
    """Builds pipelines in temporary data dirs and times passes over one image list."""

    def __init__(self, base: Settings, files: list[str], *, threads: int, log: Callable[[str], None] | None = None):
        self.base = base
        self.files = files
        self.threads = threads
        self.log = log or (lambda _m: None)
        self.tmp = Path(tempfile.mkdtemp(prefix="snapscribe-bench-"))
        self.skipped_overrides: list[str] = []
        self._fields = {sec: set(vals) for sec, vals in base.model_dump().items() if isinstance(vals, dict)}

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def settings(self, label: str, overrides: dict[str, Any]) -> Settings:
        usable = {}
        for key, value in overrides.items():
            sec, _, fld = key.partition(".")
            if fld in self._fields.get(sec, ()):
                usable[key] = value
            else:
                self.skipped_overrides.append(f"{label}: {key} (no such setting)")
        data_dir = self.tmp / label
        data_dir.mkdir(parents=True, exist_ok=True)
        # The tag vocabulary's text embeddings are model state, not a result or feature cache:
        # share them so later pipelines do not re-embed the vocabulary while warming up.
        for prior in self.tmp.glob("*/minilm-embeddings.npz"):
            if prior.parent != data_dir:
                shutil.copy(prior, data_dir / prior.name)
                break
        # A fresh data dir (and database inside it) per pipeline: cold means cold.
        return self.base.with_overrides(**usable, **{"store.data_dir": str(data_dir), "store.db": ""})

    def pipeline(self, label: str, overrides: dict[str, Any]) -> tuple[Pipeline, _Probe, float, float]:
        settings = self.settings(label, overrides)
        t0 = time.perf_counter()
        store = ResultStore(Database(settings.db_url()))
        pipe = build_pipeline(settings, store)
        build_s = time.perf_counter() - t0
        threads = settings.models.threads or self.threads
        warm_s = _warm(pipe, self.files, threads)
        self.log(f"{label}: pipeline built in {build_s:.1f}s, warmed in {warm_s:.1f}s")
        return pipe, _Probe(pipe), build_s, warm_s

    def uploads(self) -> list[Upload]:
        return [Upload(source=f, path=f) for f in self.files]


def nsfw_batches(pipeline: Pipeline, files: list[str], sizes: Sequence[int]) -> list[dict[str, Any]]:
    """ms per image of the NSFW model at each batch size (the engine's batched path)."""
    nsfw = getattr(getattr(pipeline, "safety", None), "nsfw", None)
    if nsfw is None or not hasattr(nsfw, "score_batch") or not sizes:
        return []
    from PIL import Image

    side = pipeline.settings.models.low_res_side
    images = []
    for f in files[: max(sizes)]:
        with Image.open(f) as im:
            img = im.convert("RGB")
            img.thumbnail((side, side))
            images.append(img)
    out = []
    for size in sizes:
        batch = (images * (size // len(images) + 1))[:size]
        old = getattr(nsfw, "batch_size", size)
        nsfw.batch_size = size
        try:
            nsfw.score_batch(batch)  # warm this shape
            reps = max(1, 16 // size)
            t0 = time.perf_counter()
            for _ in range(reps):
                nsfw.score_batch(batch)
            ms = (time.perf_counter() - t0) * 1000 / (reps * size)
        finally:
            nsfw.batch_size = old
        out.append({"batch": size, "ms_per_image": round(ms, 2), "images_per_s": round(1000 / ms, 1)})
    return out


# -- the whole run -------------------------------------------------------------------------
def run_bench(
    base: Settings,
    files: list[str],
    *,
    repeat: int = 2,
    threads: int | None = None,
    baseline: bool = True,
    lowres: bool = True,
    batch_sizes: Sequence[int] = (1, 4, 16),
    threads_sweep: Sequence[int] = (),
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run every pass and return the bench result (the ``--json`` object)."""
    log = log or (lambda _m: None)
    if not files:
        raise ValueError("no images to benchmark")
    repeat = max(1, repeat)
    threads = threads or base.models.threads or os.cpu_count() or 1
    machine = machine_info()
    started = datetime.now(UTC)
    for f in files:  # page cache: the timed passes measure decoding, not the disk
        Path(f).read_bytes()
    bench = Bench(base, files, threads=threads, log=log)
    notes = [
        "models are loaded and warmed before any timed pass (mirrored copies of the first images, "
        "whose bytes differ, so they never seed the cache)",
        "cold = a fresh data dir per pipeline: no result cache, no feature cache; repeats after the "
        "first cold pass use force (cache lookups skipped)",
        "warm = the same images again, answered from the result cache; warm img/s is the median pass",
        "ours 1 thread, low-res off and the baseline run one image at a time, so their per-stage times "
        "compare like for like; the threaded pass's stage times include waiting for a core",
    ]
    lowres_pass = base_pass = None
    sweep = []
    try:
        ours, probe, build_s, warm_s = bench.pipeline("ours", {"models.threads": threads})
        cold_passes, warm_passes = [], []
        gate_before = (ours.gate.seen, ours.gate.passed)
        for i in range(repeat):
            log(f"ours cold pass {i + 1}/{repeat} ({threads} threads)")
            cold_passes.append(_run_pass(f"cold{i + 1}", ours, probe, bench.uploads(), threads=threads, force=i > 0))
            if i == 0:  # the relevance gate's decisions on the first cold pass (every image decided once)
                gate: dict[str, Any] = {
                    "seen": ours.gate.seen - gate_before[0],
                    "passed": ours.gate.passed - gate_before[1],
                    "budget": ours.gate.budget,
                    "kinds": list(ours.gate.kinds),
                }
        for i in range(max(3, repeat)):
            warm_passes.append(_run_pass(f"warm{i + 1}", ours, probe, bench.uploads(), threads=threads, force=False))
        log("ours cold pass, 1 thread")
        seq_pass = _run_pass("ours_1t", ours, probe, bench.uploads(), threads=1, force=True, sequential=True)
        rss_ours = peak_rss_mb()
        rss_ours_now = current_rss_mb()
        batch = nsfw_batches(ours, files, batch_sizes)
        del ours, probe

        if lowres:
            pipe, pr, _, _ = bench.pipeline("lowres_off", LOWRES_OFF | {"models.threads": 1})
            log("low-res first pass off, 1 thread")
            lowres_pass = _run_pass("lowres_off_1t", pipe, pr, bench.uploads(), threads=1, force=False, sequential=True)
            del pipe, pr
        if baseline:
            pipe, pr, _, _ = bench.pipeline("baseline", NAIVE)
            log("naive baseline (one image at a time, full resolution, no OCR gate, no cache)")
            base_pass = _run_pass("baseline", pipe, pr, bench.uploads(), threads=1, force=True, sequential=True)
            del pipe, pr
        for t in threads_sweep:
            pipe, pr, _, _ = bench.pipeline(f"threads{t}", {"models.threads": t})
            log(f"threads={t} cold pass")
            sweep.append(_run_pass(f"threads{t}", pipe, pr, bench.uploads(), threads=t, force=False).summary())
            del pipe, pr
    finally:
        bench.close()

    cold, warm = combine(cold_passes, "cold"), combine(warm_passes, "warm")
    cold_sum = cold.summary()
    warm_rates = sorted(p.images_per_s for p in warm_passes)
    warm_rate = statistics.median(warm_rates)
    stages = stage_table(cold)
    seq_stages = stage_table(seq_pass)
    n = cold_passes[0].n
    status = {s: cold_passes[0].statuses.count(s) for s in sorted(set(cold_passes[0].statuses))}
    result: dict[str, Any] = {
        "version": __version__,
        "timestamp": started.isoformat(timespec="seconds"),
        "duration_s": round((datetime.now(UTC) - started).total_seconds(), 1),
        "machine": machine | {"loadavg_end": [round(x, 2) for x in os.getloadavg()]},
        "images": _image_info(files),
        "threads": threads,
        "repeat": repeat,
        "model_load_s": round(build_s, 2),
        "warmup_s": round(warm_s, 2),
        "images_per_s": cold_sum["images_per_s"],
        "p50_ms": cold_sum["p50_ms"],
        "p95_ms": cold_sum["p95_ms"],
        "cpu_s_per_image": cold_sum["cpu_s_per_image"],
        "cores_busy": round(cold.cpu_s / cold.wall_s, 2) if cold.wall_s else None,
        "peak_rss_mb": rss_ours,
        "rss_mb_after_ours": rss_ours_now,
        "warm_images_per_s": round(warm_rate, 1),
        "warm_images_per_s_mean": round(warm.images_per_s, 1),
        "warm_p50_ms": warm.summary()["p50_ms"],
        "warm_p95_ms": warm.summary()["p95_ms"],
        "warm_cached_share": round(warm.cached / max(1, warm.n), 3),
        "single_thread_images_per_s": seq_pass.summary()["images_per_s"],
        "single_thread_p50_ms": seq_pass.summary()["p50_ms"],
        "single_thread_p95_ms": seq_pass.summary()["p95_ms"],
        "single_thread_cpu_s_per_image": seq_pass.summary()["cpu_s_per_image"],
        "stages": stages,
        "stages_1t": seq_stages,
        "passes": [p.summary() for p in cold_passes + warm_passes + [seq_pass]],
        "latencies_ms": {
            "cold": [round(x, 2) for x in cold.latencies_ms],
            "cold_1t": [round(x, 2) for x in seq_pass.latencies_ms],
            "warm": [round(x, 3) for x in warm.latencies_ms],
        },
        "status_counts": status,
        "gate_pass_rate": round(gate["passed"] / gate["seen"], 3) if gate["seen"] else None,
        "gate": gate,
        "safe_share": round((status.get(Status.captioned.value, 0) + status.get(Status.review.value, 0)) / n, 3),
        "ocr": {
            "stages": cold_passes[0].ocr_shares(),
            "ms_by_stage_1t": seq_pass.ocr_ms(),
            "past_gate_share": round(1 - cold_passes[0].ocr_shares().get("gate", 0.0), 3),
            "text_found_share": round(cold_passes[0].ocr_text / n, 3),
            "baseline_stages": base_pass.ocr_shares() if base_pass else None,
            "baseline_ms_by_stage": base_pass.ocr_ms() if base_pass else None,
        },
        "nsfw_batch": batch,
        "threads_sweep": sweep,
        "settings": {
            "low_res_side": base.models.low_res_side,
            "ocr_gate": base.ocr.gate,
            "ocr_enabled": base.ocr.enabled,
            "ocr_staged": getattr(base.ocr, "staged", None),
            "nsfw_enabled": base.nsfw.enabled,
            "captioner": base.engines.captioner,
        },
        "notes": notes + [x for p in cold_passes + warm_passes + [seq_pass] for x in p.notes],
    }
    if lowres_pass is not None:
        s = lowres_pass.summary()
        result.update(
            lowres_off_images_per_s=s["images_per_s"],
            lowres_off_p50_ms=s["p50_ms"],
            lowres_off_p95_ms=s["p95_ms"],
            lowres_off_cpu_s_per_image=s["cpu_s_per_image"],
            lowres_off_stages=stage_table(lowres_pass),
        )
        result["lowres_speedup"] = round(seq_pass.images_per_s / s["images_per_s"], 2) if s["images_per_s"] else None
        result["latencies_ms"]["lowres_off"] = [round(x, 2) for x in lowres_pass.latencies_ms]
    if base_pass is not None:
        s = base_pass.summary()
        bstages = stage_table(base_pass)
        result.update(
            baseline_images_per_s=s["images_per_s"],
            baseline_p50_ms=s["p50_ms"],
            baseline_p95_ms=s["p95_ms"],
            baseline_cpu_s_per_image=s["cpu_s_per_image"],
            baseline_stages=bstages,
        )
        result["latencies_ms"]["baseline"] = [round(x, 2) for x in base_pass.latencies_ms]
        result["speedup_vs_baseline"] = (
            round(cold.images_per_s / base_pass.images_per_s, 2) if base_pass.images_per_s else None
        )
        result["warm_speedup_vs_baseline"] = (
            round(warm_rate / base_pass.images_per_s, 1) if base_pass.images_per_s else None
        )
        result["gains"] = explain_gains(cold, seq_pass, base_pass, seq_stages, bstages)
    result["ladder"] = ladder(base_pass, lowres_pass, seq_pass, cold, warm_rate)
    result["peak_rss_mb_total"] = peak_rss_mb()
    if bench.skipped_overrides:
        result["notes"].append("settings not available, skipped: " + "; ".join(bench.skipped_overrides))
    return result


def ladder(
    base: PassResult | None, lowres_off: PassResult | None, seq: PassResult, cold: PassResult, warm_rate: float
) -> list[dict[str, Any]]:
    """Cold throughput as each optimisation is switched on, one at a time, on the same images."""
    steps: list[tuple[str, str, float]] = []
    if base is not None:
        steps.append(
            ("naive baseline", "full resolution, full OCR on every image, no cache, 1 thread", base.images_per_s)
        )
    if lowres_off is not None:
        steps.append(
            (
                "+ staged OCR gate" if base is not None else "low-res off",
                "edge gate + small confirm detector before full OCR",
                lowres_off.images_per_s,
            )
        )
    if lowres_off is not None:
        steps.append(("+ low-res first pass", "cheap stages on the low-res work image", seq.images_per_s))
    elif base is not None:
        steps.append(
            (
                "+ OCR gate and low-res first pass",
                "staged OCR gate; cheap stages on the low-res work image",
                seq.images_per_s,
            )
        )
    else:
        steps.append(("ours, 1 thread", "one image at a time", seq.images_per_s))
    steps.append((f"+ {cold.threads} threads", "images in parallel", cold.images_per_s))
    steps.append(("+ warm cache", "same images again, from the result cache", warm_rate))
    out, prev = [], None
    for name, what, rate in steps:
        out.append(
            {
                "step": name,
                "what": what,
                "images_per_s": round(rate, 2),
                "factor": round(rate / prev, 2) if prev else None,
            }
        )
        prev = rate
    return out


def explain_gains(
    cold: PassResult, seq: PassResult, base: PassResult, seq_stages: dict, bstages: dict
) -> dict[str, Any]:
    """Split ours/baseline into less CPU work per image x more cores kept busy, and compare
    stages like for like (ours on one thread vs the baseline, both one image at a time).

    speedup = baseline wall/image / ours wall/image
            = (baseline CPU/image / ours CPU/image) x (ours cores busy / baseline cores busy)
    where cores busy = process CPU seconds / wall seconds.
    """
    ours_wall = cold.wall_s / cold.n
    base_wall = base.wall_s / base.n
    ours_cpu = cold.cpu_s / cold.n
    base_cpu = base.cpu_s / base.n
    rows = []
    saved_total = 0.0
    for k in dict.fromkeys(list(bstages) + list(seq_stages)):
        b = bstages.get(k, {}).get("mean_ms", 0.0)
        o = seq_stages.get(k, {}).get("mean_ms", 0.0)
        rows.append(
            {
                "stage": k,
                "baseline_ms": round(b, 2),
                "ours_1t_ms": round(o, 2),
                "saved_ms": round(b - o, 2),
                "ratio": round(b / o, 2) if o > 0 else None,
                "lever": STAGE_LEVERS.get(k, ""),
            }
        )
        saved_total += max(0.0, b - o)
    for r in rows:
        r["share_of_saving"] = round(max(0.0, r["saved_ms"]) / saved_total, 3) if saved_total else 0.0
    rows.sort(key=lambda r: -r["saved_ms"])
    return {
        "speedup": round(base_wall / ours_wall, 2),
        "cpu_per_image": round(base_cpu / ours_cpu, 2) if ours_cpu else None,
        "cores_busy_ours": round(cold.cpu_s / cold.wall_s, 2) if cold.wall_s else None,
        "cores_busy_baseline": round(base.cpu_s / base.wall_s, 2) if base.wall_s else None,
        "single_thread_speedup": round(seq.images_per_s / base.images_per_s, 2) if base.images_per_s else None,
        "ours_cpu_ms_per_image": round(ours_cpu * 1000, 1),
        "baseline_cpu_ms_per_image": round(base_cpu * 1000, 1),
        "ours_1t_latency_ms": round(statistics.fmean(seq.latencies_ms), 1),
        "baseline_latency_ms": round(statistics.fmean(base.latencies_ms), 1),
        "stages": rows,
    }


def _image_info(files: list[str]) -> dict[str, Any]:
    from PIL import Image

    sides: list[int] = []
    mps: list[float] = []
    fmts: dict[str | None, int] = {}
    sizes: list[int] = []
    for f in files:
        try:
            with Image.open(f) as im:
                sides.append(max(im.size))
                mps.append(im.size[0] * im.size[1] / 1e6)
                fmts[im.format] = fmts.get(im.format, 0) + 1
        except Exception:  # noqa: BLE001 - a broken file is still benchmarked (as an error record)
            fmts["unreadable"] = fmts.get("unreadable", 0) + 1
        sizes.append(os.path.getsize(f))
    common = os.path.commonpath(files) if files else ""
    return {
        "count": len(files),
        "formats": fmts,
        "where": common,
        "median_long_side": int(statistics.median(sides)) if sides else None,
        "mean_megapixels": round(statistics.fmean(mps), 3) if mps else None,
        "mean_kb": round(statistics.fmean(sizes) / 1024, 1) if sizes else None,
    }


# -- saving and printing -------------------------------------------------------------------
def last_bench_path(settings: Settings) -> Path:
    return settings.data_dir() / "bench" / "last.json"


def save_last(result: dict[str, Any], settings: Settings) -> Path:
    path = last_bench_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1))
    return path


def _fmt_factor(f: float | None) -> str:
    if not f:
        return ""
    return f"x{f:,.0f}" if f >= 100 else f"x{f:.2f}"


def _fmt_ms(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.2f}" if x < 10 else f"{x:.0f}"


def render_text(r: dict[str, Any]) -> str:
    m, im = r["machine"], r["images"]
    load0, load1 = m["loadavg_start"][0], m["loadavg_end"][0]
    noisy = max(load0, load1) > m["cores"] * 0.5
    out = [
        f"snapscribe bench {r['version']} — {im['count']} images ({', '.join(im['formats'])}, median long side "
        f"{im['median_long_side']} px, {im['mean_megapixels']} MP) from {im['where']}",
        f"machine: {m['cores']} cores ({m['cpu_model']}), {m['memory_gb']} GB, Python {m['python']}; load average "
        f"{load0:.1f} at start, {load1:.1f} at end"
        + (" — shared/noisy: wall-clock figures are pessimistic, CPU s/image is the steadier figure" if noisy else ""),
        f"models loaded and warmed ({r['model_load_s'] + r['warmup_s']:.1f}s) before timing; {r['threads']} threads; "
        f"{r['repeat']} cold passes",
        "",
        f"{'cold, same images':<36}{'img/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'CPU s/img':>11}",
        f"{'ours, ' + str(r['threads']) + ' threads (fresh cache)':<36}{r['images_per_s']:>9.2f}"
        f"{_fmt_ms(r['p50_ms']):>9}{_fmt_ms(r['p95_ms']):>9}{r['cpu_s_per_image']:>11.3f}",
        f"{'ours, 1 thread':<36}{r['single_thread_images_per_s']:>9.2f}{_fmt_ms(r['single_thread_p50_ms']):>9}"
        f"{_fmt_ms(r['single_thread_p95_ms']):>9}{r['single_thread_cpu_s_per_image']:>11.3f}",
    ]
    if "lowres_off_images_per_s" in r:
        out.append(
            f"{'low-res first pass off, 1 thread':<36}{r['lowres_off_images_per_s']:>9.2f}"
            f"{_fmt_ms(r['lowres_off_p50_ms']):>9}{_fmt_ms(r['lowres_off_p95_ms']):>9}"
            f"{r['lowres_off_cpu_s_per_image']:>11.3f}"
        )
    if "baseline_images_per_s" in r:
        out.append(
            f"{'naive baseline, 1 thread':<36}{r['baseline_images_per_s']:>9.2f}"
            f"{_fmt_ms(r['baseline_p50_ms']):>9}{_fmt_ms(r['baseline_p95_ms']):>9}"
            f"{r['baseline_cpu_s_per_image']:>11.3f}"
        )
    for s in r.get("threads_sweep", []):
        out.append(
            f"{'ours, threads=' + str(s['threads']):<36}{s['images_per_s']:>9.2f}{_fmt_ms(s['p50_ms']):>9}"
            f"{_fmt_ms(s['p95_ms']):>9}{s['cpu_s_per_image']:>11.3f}"
        )
    out.append(
        f"{'warm (result cache), median pass':<36}{r['warm_images_per_s']:>9.1f}{_fmt_ms(r['warm_p50_ms']):>9}"
        f"{_fmt_ms(r['warm_p95_ms']):>9}"
    )
    others = [x for x, k in (("low-res-off", "lowres_off_stages"), ("baseline", "baseline_stages")) if k in r]
    out.append(
        f"peak RSS {r['peak_rss_mb']:.0f} MB after ours' passes"
        + (
            f" ({r['peak_rss_mb_total']:.0f} MB for the whole bench, which also loads the {' and '.join(others)} "
            f"pipeline{'s' if len(others) > 1 else ''})"
            if others
            else ""
        )
    )
    if r.get("ladder"):
        out += ["", "where the speed comes from (cold img/s as each optimisation is switched on):"]
        for st in r["ladder"]:
            f = _fmt_factor(st["factor"])
            out.append(f"  {st['step']:<30}{st['images_per_s']:>10.2f} img/s {f:>8}   {st['what']}")
    g = r.get("gains")
    if g:
        out += [
            f"ours vs naive baseline: {r['speedup_vs_baseline']:.2f}x cold, {r['warm_speedup_vs_baseline']:.0f}x "
            f"warm = {g['cpu_per_image']:.2f}x less CPU per image ({g['baseline_cpu_ms_per_image']:.0f} -> "
            f"{g['ours_cpu_ms_per_image']:.0f} ms) x {g['cores_busy_ours'] / max(g['cores_busy_baseline'], 1e-9):.2f}x "
            f"more cores busy ({g['cores_busy_baseline']:.2f} -> {g['cores_busy_ours']:.2f})"
        ]
    ocr = r.get("ocr") or {}
    if ocr:

        def _shares(d):
            return ", ".join(f"{k} {v:.0%}" for k, v in d.items()) if d else "-"

        def _ms(d):
            return ", ".join(f"{k} {v:.0f} ms" for k, v in d.items()) if d else "-"

        out.append(
            f"OCR: where each image stopped — ours: {_shares(ocr['stages'])}; baseline: "
            f"{_shares(ocr.get('baseline_stages'))}; text found in {ocr['text_found_share']:.0%}"
        )
        out.append(
            f"     mean OCR ms by where it stopped (1 thread) — ours: {_ms(ocr.get('ms_by_stage_1t'))}; "
            f"baseline: {_ms(ocr.get('baseline_ms_by_stage'))}"
        )
    out += ["", "per stage, cold, mean ms per image (over all images); 1-thread columns compare like for like:"]
    head = f"{'stage':<14}{'ours':>8}{'p95':>8}{'share':>7}{'ours 1t':>9}"
    has_low = "lowres_off_stages" in r
    has_base = "baseline_stages" in r
    if has_low:
        head += f"{'low-res off':>12}"
    if has_base:
        head += f"{'baseline':>10}{'saved':>8}  lever"
    out.append(head)
    keys = list(dict.fromkeys(list(r["stages"]) + list(r.get("baseline_stages", {}))))
    for k in keys:
        st = r["stages"].get(k, {})
        one = r["stages_1t"].get(k, {}).get("mean_ms", 0.0)
        line = (
            f"{k:<14}{_fmt_ms(st.get('mean_ms', 0.0)):>8}{_fmt_ms(st.get('p95_ms')):>8}"
            f"{st.get('share', 0.0):>7.0%}{_fmt_ms(one):>9}"
        )
        if has_low:
            line += f"{_fmt_ms(r['lowres_off_stages'].get(k, {}).get('mean_ms', 0.0)):>12}"
        if has_base:
            b = r["baseline_stages"].get(k, {}).get("mean_ms", 0.0)
            line += f"{_fmt_ms(b):>10}{b - one:>8.1f}  {STAGE_LEVERS.get(k, '')}"
        out.append(line)
    top = sorted(((k, v["mean_ms"]) for k, v in r["stages_1t"].items()), key=lambda kv: -kv[1])[:3]
    total = sum(v["mean_ms"] for v in r["stages_1t"].values()) or 1.0
    out.append("dominant stages (ours, 1 thread): " + ", ".join(f"{k} {v:.0f} ms ({v / total:.0%})" for k, v in top))
    if r.get("nsfw_batch"):
        out += [
            "",
            "NSFW model by batch size (ms/image): "
            + ", ".join(f"batch {b['batch']}: {b['ms_per_image']:.1f}" for b in r["nsfw_batch"])
            + "; detector and classifier run one image per call, threads are their parallelism",
        ]
    out.append(f"statuses (cold pass 1): {r['status_counts']}")
    out += ["", "notes:"] + [f"  - {n}" for n in r["notes"]]
    return "\n".join(out)

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest

pytest_plugins = ["fleet_fixtures"]

# Markers by module or test, in one table (the module's own decorators may add more): `slow` is
# anything that takes more than a few seconds, so `pytest -m "not slow"` stays the fast inner loop.
MARKERS: dict[str, tuple[str, ...]] = {
    "test_kafka_workers.py": ("slow", "kafka", "postgres"),
    "test_fleet_e2e.py": ("slow", "kafka", "postgres", "browser"),
    "test_serve_kafka.py": ("slow", "kafka"),
    "test_store_postgres.py": ("postgres",),
    "test_polish.py": ("slow", "llm"),
    "test_vlm.py": ("slow", "llm"),
    "test_devset_quality.py": ("slow",),
    "test_clip.py": ("slow",),
    "test_bench_plan.py": ("slow",),
    "test_server_restart.py": ("slow",),
    "test_server_web.py": ("slow", "browser"),
    "test_server_queue.py": ("postgres",),
    "test_grounding.py::test_flag_rates_on_the_dev_set_check_set": ("slow",),
    "test_caption_cli.py::test_rerun_is_served_from_cache_and_force_recomputes": ("slow",),
    "test_minilm.py::test_numpy_encoder_equals_sentence_transformers": ("slow",),
    "test_minilm.py::test_search_ranking_is_the_same": ("slow",),
    "test_minilm.py::test_default_runtime_imports_no_torch": ("slow",),
    "test_safety_gates.py::test_edited_copies_of_listed_photos_are_blocked_and_unrelated_photos_are_not": ("slow",),
    "test_pdq_fast.py::test_matches_pdqhash_on_devset": ("slow",),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.path.name
        name = item.originalname if hasattr(item, "originalname") else item.name
        for key in (module, f"{module}::{name}"):
            for marker in MARKERS.get(key, ()):
                item.add_marker(getattr(pytest.mark, marker))

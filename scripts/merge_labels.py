#!/usr/bin/env python3
"""Merge labelling files (same schema as devset/labels.json, plus "family") into devset/labels-extra.json.

Drops duplicates (by file name and by SHA-256, first wins) and files already in devset/labels.json,
and refuses images from packages reserved for independent evaluation.

    python scripts/merge_labels.py LABELS.json [LABELS.json ...] [--out devset/labels-extra.json]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESERVED = {
    "scratch",
    "kphotoalbum",
    "gnome-control-center-data",
    "qtwebengine5-examples",
    "qtdeclarative5-examples",
    "darknet",
    "labelme-examples",
    "libdlib19.1",
    "liblemonldap-ng-portal-perl",
    "tuxpaint-data",
    "palapeli-data",
    "wand-doc",
    "node-opencv",
    "lifeograph",
    "scribus-template",
    "python-cherrypy3-doc",
    "puzzle-jigsaw",
    "libjs-jquery-backstretch",
    "ruby-rmagick-doc",
    "qtbase5-examples",
    "pyqt5-examples",
    "libjs-jquery-colorbox",
    "python-kivy-examples",
    "libjs-jquery-slides",
    "gnome-taquin",
    "libjs-cropper",
    "fotoxx-common",
    "wordpress-theme-twentytwentyone",
    "libjs-slimbox",
    "golang-github-rwcarlsen-goexif-dev",
    "golang-github-disintegration-imaging-dev",
    "gambas3-examples",
    "digikam-data",
    "libvlfeat-doc",
    "exif-js",
    "ultralytics",
    "mahotas",
    "imgaug",
}


_DLIB = re.compile(r"(^|[^a-z0-9])(lib)?dlib")  # dlib in any packaging (python3-dlib, libdlib19.1), not "stdlib"


def reserved(package: str) -> bool:
    return package in RESERVED or package.startswith("gimp-help-") or bool(_DLIB.search(package.lower()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", type=Path, nargs="+")
    ap.add_argument("--out", type=Path, default=ROOT / "devset" / "labels-extra.json")
    args = ap.parse_args(argv)
    base = json.loads((ROOT / "devset" / "labels.json").read_text())["images"]
    seen_files = {i["file"] for i in base}
    seen_sha = {i.get("sha256") for i in base}
    merged = []
    for path in args.inputs:
        for img in json.loads(path.read_text())["images"]:
            pkg = str(img.get("origin", {}).get("package", ""))
            if reserved(pkg):
                raise SystemExit(f"{path}: {img['file']} comes from reserved package {pkg}")
            if img["file"] in seen_files or img.get("sha256") in seen_sha:
                continue
            seen_files.add(img["file"])
            seen_sha.add(img.get("sha256"))
            merged.append(img)
    out = {
        "about": "More labelled images (by looking), from packages other than the dev set's: same schema as "
        "labels.json plus 'family' (people, pets, animals, food, nature, city, interior, vehicle, art, "
        "text, other) and a richer 'kind' (photo, painting, drawing, screenshot, text_graphic, "
        "chart, abstract, texture, illustration). Fetch with scripts/fetch_devset.py --labels "
        "devset/labels-extra.json --cache devset/cache-extra; split by package in devset/split.json.",
        "version": 1,
        "images": merged,
    }
    args.out.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(merged)} images")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

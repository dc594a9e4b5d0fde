"""pdq_fast (numpy/OpenCV PDQ) against the reference implementation (``pdqhash``)."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from test_pdq import PIL_TRANSPOSE_NAMES  # PDQ's names for PIL's transposes

from snapscribe.safety import pdq, pdq_fast
from snapscribe.safety.pdq import DIHEDRAL_NAMES, PdqHash, hamming, prepare_pixels

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SNAPSCRIBE_SHARED_DIR") or ROOT.parent / "shared")
REF = SHARED / "reference" / "pdq"
DEVSET = ROOT / "devset" / "cache" / "1024"

REF_FILES = [
    "bridge-mods/aaa-orig.jpg",
    "misc-images/c.png",
    "misc-images/small.jpg",
    "labelme-subset/q0003.jpg",
    "labelme-subset/q0746.jpg",
]
needs_ref = pytest.mark.skipif(not (REF / REF_FILES[0]).is_file(), reason=f"PDQ reference photos not found at {REF}")
needs_devset = pytest.mark.skipif(not DEVSET.is_dir(), reason=f"devset images not found at {DEVSET}")

# Accuracy bounds against pdqhash, per dihedral form.
MEAN_BITS, MAX_BITS, QUALITY_TOL = 4, 10, 5


def _open(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return im.convert("RGB")


def _fit512(img: Image.Image) -> Image.Image:
    """The pipeline's work image: long side 512, aspect kept."""
    img = img.copy()
    img.thumbnail((512, 512), Image.Resampling.LANCZOS)
    return img


def _pads(h: int, w: int) -> list[tuple[int, int]]:
    return [(max(1, int(h * f)), max(1, int(w * f))) for f in (0.02, 0.04)]


def _views(img: Image.Image):
    """(label, fast hashes, pdqhash hashes) for the views the hash scan uses."""
    ref_arr = prepare_pixels(img, "reference")  # 512 x 512 nearest, as the reference CLI
    yield "reference-512", pdq_fast.compute_dihedral(ref_arr), pdq.compute_dihedral(ref_arr)
    work = np.asarray(_fit512(img))
    yield "work", pdq_fast.compute_dihedral(work), pdq.compute_dihedral(work)
    h, w = work.shape[:2]
    pads = _pads(h, w)
    fast = pdq_fast.dihedral_views_from_luma(pdq_fast.luma_plane(work), pads)
    for (py, px), hashes in zip(pads, fast):
        padded = np.pad(work, ((py, py), (px, px), (0, 0)), mode="reflect")
        yield f"pad{py}x{px}", hashes, pdq.compute_dihedral(padded)
    grey = cv2.medianBlur(cv2.cvtColor(work, cv2.COLOR_RGB2GRAY), 7)
    yield "median", pdq_fast.compute_dihedral(grey), pdq.compute_dihedral(np.repeat(grey[:, :, None], 3, axis=2))


def _check_accuracy(paths: list[Path]) -> None:
    dists, quality_diffs = [], []
    for path in paths:
        for label, fast, ref in _views(_open(path)):
            assert [n for n, _ in fast] == list(DIHEDRAL_NAMES)
            dists.append([hamming(f, r) for (_, f), (_, r) in zip(fast, ref)])
            quality_diffs.append(abs(fast[0][1].quality - ref[0][1].quality))
            assert all(f.quality == fast[0][1].quality for _, f in fast)
    d = np.array(dists)
    print(
        f"\n{len(paths)} images, {len(d)} views: mean bits/form {d.mean(0).round(2).tolist()}, "
        f"max/form {d.max(0).tolist()}, max quality diff {max(quality_diffs)}"
    )
    assert (d.mean(axis=0) <= MEAN_BITS).all(), d.mean(axis=0)
    assert (d.max(axis=0) <= MAX_BITS).all(), d.max(axis=0)
    assert max(quality_diffs) <= QUALITY_TOL


@needs_ref
def test_matches_pdqhash_on_reference_photos() -> None:
    _check_accuracy([REF / rel for rel in REF_FILES])


@needs_devset
def test_matches_pdqhash_on_devset() -> None:
    paths = sorted(p for p in DEVSET.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"})[:6]
    if not paths:
        pytest.skip("devset folder is empty")
    _check_accuracy(paths)


@needs_ref
def test_dihedral_forms_match_transformed_images() -> None:
    """The form named X is the hash nearest to the hash of the image transformed by X.

    Like the reference, not always within a few bits: PDQ's box window and decimation
    grid are not symmetric under flips, so a transformed image's own hash lands some bits
    from the DCT-domain form (pdqhash shows the same distances, checked here too)."""
    work = _fit512(_open(REF / "bridge-mods/aaa-orig.jpg"))
    fast, ref = dict(pdq_fast.compute_dihedral(work)), dict(pdq.compute_dihedral(work))
    for transpose, name in PIL_TRANSPOSE_NAMES.items():
        moved = work.transpose(transpose)
        h_fast = pdq_fast.compute_dihedral(moved)[0][1]
        h_ref = pdq.compute_dihedral(moved)[0][1]
        assert hamming(h_fast, h_ref) <= 4
        dists = {n: hamming(h_fast, v) for n, v in fast.items()}
        assert min(dists, key=dists.get) == name and dists[name] <= 31, (name, dists)
        assert min(d for n, d in dists.items() if n != name) > 64, (name, dists)
        assert abs(dists[name] - hamming(h_ref, ref[name])) <= 4, (name, dists[name], hamming(h_ref, ref[name]))
    # The reference's own transformed files (separately re-encoded JPEGs).
    files = sorted((REF / "dih").glob("bridge-*.jpg"))
    assert len(files) == 8
    original = dict(pdq_fast.compute_dihedral(_open(files[0])))
    for name, path in zip(DIHEDRAL_NAMES, files):
        h = pdq_fast.compute_dihedral(_open(path))[0][1]
        dists = {n: hamming(h, v) for n, v in original.items()}
        assert min(dists, key=dists.get) == name and dists[name] <= 31, (path.name, dists)


def test_padding_is_folded_exactly() -> None:
    """A padded view equals hashing the np.pad'ed plane, including pads longer than the axis
    and the reference pre-scale of views over 512 px."""
    rng = np.random.default_rng(5)
    small = rng.integers(0, 256, size=(9, 12), dtype=np.uint8)
    for shape, pad in (((40, 70), (50, 3)), ((300, 512), (6, 10)), ((512, 512), (20, 20))):
        plane = cv2.resize(small, shape[::-1], interpolation=cv2.INTER_CUBIC).astype(np.float32)
        for downscale in ("reference", "none"):
            folded = pdq_fast.dihedral_from_luma(plane, pad, downscale=downscale)
            padded = np.pad(plane, ((pad[0], pad[0]), (pad[1], pad[1])), mode="reflect")
            if downscale == "reference":
                padded = prepare_pixels(np.repeat(padded.astype(np.uint8)[:, :, None], 3, axis=2))[:, :, 0]
            built = pdq_fast.dihedral_from_luma(padded.astype(np.float32), downscale="none")
            for (_, a), (_, b) in zip(folded, built):
                assert hamming(a, b) <= 2 and abs(a.quality - b.quality) <= 1


def test_grey_input_and_tiny_images() -> None:
    rng = np.random.default_rng(7)
    img = cv2.resize(rng.integers(0, 256, size=(6, 8), dtype=np.uint8), (700, 300), interpolation=cv2.INTER_CUBIC)
    rgb = np.repeat(img[:, :, None], 3, axis=2)
    grey_hashes = pdq_fast.compute_dihedral(img)  # 2-D input, pre-scaled like RGB
    assert [h for _, h in grey_hashes] == [h for _, h in pdq_fast.compute_dihedral(rgb)]
    assert all(hamming(a, b) <= 4 for (_, a), (_, b) in zip(grey_hashes, pdq.compute_dihedral(rgb)))
    with pytest.raises(ValueError):
        pdq_fast.compute_dihedral(img, downscale="lanczos")
    # Below 5 px on a side, the reference returns an all-zero hash with quality 0.
    tiny = pdq_fast.compute_dihedral(np.full((4, 30, 3), 200, np.uint8))
    assert all(h == PdqHash(hex="0" * 64, bits=bytes(32), quality=0) for _, h in tiny)

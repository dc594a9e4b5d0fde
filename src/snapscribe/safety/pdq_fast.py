"""PDQ in numpy + OpenCV, for the hash-scan robustness views (same math as the reference).

This is the ThreatExchange PDQ algorithm (``pdq/cpp/hashing/pdqhashing.cpp`` and
``pdq/cpp/downscaling/downscaling.cpp``), written out in linear algebra:

1. luma ``Y = 0.299 R + 0.587 G + 0.114 B`` in float32 (a grey plane is used as is);
2. Jarosz filter: two rounds of a 1-D box filter along the rows, then along the
   columns. The window is ``computeJaroszFilterWindowSize(dim, 64) = ceil(dim / 128)``
   per axis, and output ``i`` averages the input pixels ``[i - (w - h), i + h - 1]`` with
   ``h = (w + 2) // 2`` that lie inside the image (the reference's ``box1DFloat``: at the
   edges it divides by the number of pixels actually summed, not by ``w``);
3. decimation to 64 x 64, reading input ``floor((k + 0.5) * dim / 64)``;
4. quality from the 64 x 64 gradient sum (``pdqImageDomainQualityMetric``);
5. ``B = D A D^T`` with the 16 x 64 DCT matrix ``D``; bit ``(i, j)`` = ``B[i, j] > median``
   (Torben's median of 256 values, i.e. the lower median, ``sorted(B)[127]``);
6. the 8 dihedral forms from ``B`` by sign flips of alternate rows / columns and transposes.

Everything in steps 2-3 is linear and separable, so the filtered, decimated image is
``A = Ry @ Y @ Rx.T`` with two small ``64 x dim`` operators (cached per size). Reflect
padding and the reference CLI's nearest-neighbour pre-scale to 512 x 512 are index maps,
so a padded view's operators fold them in and the padded image is never built: the 2% and
4% padded views of one image share one luma plane and one matrix product.

Differences from the C++ are float rounding only (its running box sums vs. our matrix
products), which could move a bit only where a DCT coefficient sits within ~1e-4 of the
median: on 130 real photos (devset + ThreatExchange samples; original, padded and median
views) every hash and quality equals pdqhash's. ``pdq.compute_dihedral`` (``pdqhash``)
stays the reference for hashes that must equal other tools'. ~0.9 ms for a 512 x 512 RGB
image, all 8 forms, one core (pdqhash: ~5 ms).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image

from .pdq import DIHEDRAL_NAMES, DOWNSAMPLE_DIMS, Downscale, PdqHash, prepare_pixels

__all__ = ["compute_dihedral", "dihedral_from_luma", "dihedral_views_from_luma", "luma_plane", "transformed_from_luma"]

#: Side of PDQ's downsampled image, and of the DCT block kept (16 x 16 = 256 bits).
_DS = 64
_NB = 16
#: Images with a side below this hash to all zeros with quality 0 (``MIN_HASHABLE_DIM``).
MIN_HASHABLE_DIM = 5

# DCT matrix D[i][j] = sqrt(2/64) cos(pi/2/64 (i+1)(2j+1)), i < 16, j < 64 (dct_matrix_64).
_I = np.arange(1, _NB + 1, dtype=np.float64)[:, None]
_J = np.arange(_DS, dtype=np.float64)[None, :]
_DCT = (np.sqrt(2.0 / _DS) * np.cos(np.pi / 2.0 / _DS * _I * (2 * _J + 1))).astype(np.float32)
_DCT_T = np.ascontiguousarray(_DCT.T)
del _I, _J

# Sign patterns of the dihedral transforms in the DCT domain (dct16OriginalTo*):
# SX flips the even rows (0-based), SY the even columns.
_PAR = np.arange(_NB) % 2 == 1
_SX = np.where(_PAR, 1.0, -1.0).astype(np.float32)[:, None]
_SY = np.where(_PAR, 1.0, -1.0).astype(np.float32)[None, :]
del _PAR

_F100 = np.float32(100.0)
_F255 = np.float32(255.0)


# ---------------------------------------------------------------- operators


def _window_size(dim: int) -> int:
    """``computeJaroszFilterWindowSize(dim, 64)``: ceil(dim / 128)."""
    return (dim + 2 * _DS - 1) // (2 * _DS)


def _reflect_index(n: int, pad: int) -> np.ndarray:
    """Source index of each position of a length-``n`` axis reflect-padded by ``pad`` on
    both sides (``np.pad(mode="reflect")``: mirrored about the edge pixel, which is not
    repeated; pads longer than the axis keep reflecting)."""
    pos = np.arange(-pad, n + pad)
    if n == 1:
        return np.zeros_like(pos)
    period = 2 * (n - 1)
    pos = np.mod(pos, period)
    return np.where(pos >= n, period - pos, pos)


@lru_cache(maxsize=128)  # <= 128 kB each: 64 x n float32
def _axis_operator(n: int, pad: int = 0, resize: int = 0) -> np.ndarray:
    """The 64 x n float32 matrix mapping one axis of an image (length ``n``) to PDQ's 64
    samples along it: decimation of two rounds of the edge-normalised box filter, applied
    after reflect padding by ``pad`` at both ends and then (``resize`` > 0) the reference
    CLI's corner-aligned nearest-neighbour resize of the padded axis to ``resize`` pixels."""
    padded = n + 2 * pad
    m = resize or padded
    w = _window_size(m)
    half = (w + 2) // 2
    idx = np.arange(m)
    lo = np.maximum(idx - (w - half), 0)  # box1DFloat: output i averages input [lo_i, hi_i],
    hi = np.minimum(idx + half - 1, m - 1)  # the pixels of its window inside the axis
    inv = 1.0 / (hi - lo + 1)
    samples = ((np.arange(_DS) + 0.5) * m / _DS).astype(np.int64)  # decimateFloat
    # Row k = sum over i in sample k's window of inv[s_k] * inv[i] * [lo_i <= j <= hi_i],
    # built as +/- steps at lo_i and hi_i + 1 and a running sum along j.
    i = lo[samples][:, None] + np.arange(w)[None, :]  # 64 x w, clipped below
    valid = i <= hi[samples][:, None]
    i = np.minimum(i, m - 1)
    weight = np.where(valid, inv[samples][:, None] * inv[i], 0.0)
    base = (np.arange(_DS) * (m + 1))[:, None]
    size = _DS * (m + 1)
    steps = np.bincount((base + lo[i]).ravel(), weight.ravel(), size) - np.bincount(
        (base + hi[i] + 1).ravel(), weight.ravel(), size
    )
    op = np.cumsum(steps.reshape(_DS, m + 1)[:, :m], axis=1)  # 64 x m
    if pad or resize:
        # Source pixel (in the unpadded axis) of each of the m positions; sum the columns
        # that read the same source pixel.
        source = _reflect_index(n, pad)
        if resize:
            source = source[(np.arange(resize) * padded) // resize]
        flat = ((np.arange(_DS) * n)[:, None] + source[None, :]).ravel()
        op = np.bincount(flat, op.ravel(), _DS * n).reshape(_DS, n)
    op = op.astype(np.float32)
    op.flags.writeable = False
    return op


def _resize_to(h: int, w: int, downscale: Downscale) -> int:
    """Side the reference pre-scale resizes an h x w image to on both axes (0: none)."""
    if downscale == "reference":
        return DOWNSAMPLE_DIMS if (h > DOWNSAMPLE_DIMS or w > DOWNSAMPLE_DIMS) else 0
    if downscale == "none":
        return 0
    raise ValueError(f"downscale {downscale!r} is not supported on a luma plane (use 'reference' or 'none')")


# ---------------------------------------------------------------- hashing


def luma_plane(image: Image.Image | np.ndarray) -> np.ndarray:
    """PDQ's float32 luma of an RGB image (PIL or HxWx3 uint8); a 2-D array (grey uint8
    or an existing luma plane) is returned as float32."""
    arr = np.asarray(image.convert("RGB") if isinstance(image, Image.Image) and image.mode != "RGB" else image)
    if arr.ndim == 2:
        return arr if arr.dtype == np.float32 else arr.astype(np.float32)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise ValueError("expected an HxWx3 uint8 RGB array or a 2-D grey/luma plane")
    # OpenCV's float RGB->grey uses exactly 0.299, 0.587, 0.114 (float32), as fillFloatLumaFromRGB.
    return cv2.cvtColor(arr.astype(np.float32), cv2.COLOR_RGB2GRAY)


def _quality(a: np.ndarray) -> int:
    """pdqImageDomainQualityMetric: int(((u - v) * 100) / 255) truncates toward zero, in float."""
    dy = ((a[:-1, :] - a[1:, :]) * _F100 / _F255).astype(np.int32)
    dx = ((a[:, :-1] - a[:, 1:]) * _F100 / _F255).astype(np.int32)
    gradient_sum = int(np.abs(dy).sum()) + int(np.abs(dx).sum())
    return min(gradient_sum // 90, 100)


def _hashes_from_64(a: np.ndarray) -> list[tuple[str, PdqHash]]:
    """The 8 dihedral hashes of a 64 x 64 downsample."""
    quality = _quality(a)
    b = _DCT @ a @ _DCT_T  # 16 x 16
    bx, by = b * _SX, b * _SY
    bxy = bx * _SY
    forms = np.stack((b, by.T, bxy, bx.T, bx, by, b.T, bxy.T)).reshape(8, _NB * _NB)  # DIHEDRAL_NAMES order
    median = np.partition(forms, 127, axis=1)[:, 127:128]  # torben(): the lower median
    # Bit k = 16 i + j is set when B[i, j] > median; the 64-hex text form lists bit 255 first.
    packed = np.packbits(forms[:, ::-1] > median, axis=1)
    out = []
    for name, row in zip(DIHEDRAL_NAMES, packed):
        raw = row.tobytes()
        out.append((name, PdqHash(hex=raw.hex(), bits=raw, quality=quality)))
    return out


def _empty() -> list[tuple[str, PdqHash]]:
    raw = bytes(32)
    return [(name, PdqHash(hex=raw.hex(), bits=raw, quality=0)) for name in DIHEDRAL_NAMES]


def dihedral_views_from_luma(
    luma: np.ndarray, pads: Sequence[tuple[int, int]], *, downscale: Downscale = "reference"
) -> list[list[tuple[str, PdqHash]]]:
    """The 8 dihedral hashes of each reflect-padded view of one luma plane.

    ``pads`` holds ``(pad_y, pad_x)`` per view: the view is ``np.pad(luma, ((pad_y, pad_y),
    (pad_x, pad_x)), mode="reflect")`` ((0, 0) is the plane itself), pre-scaled as
    ``pdq.prepare_pixels(view, downscale)`` would ("reference": to 512 x 512 by nearest
    neighbour when a side exceeds 512; "none"). The view is never built: padding and
    pre-scale are folded into the filter operators, and the views share one matrix product.
    """
    y = np.asarray(luma, dtype=np.float32)
    if y.ndim != 2:
        raise ValueError("expected a 2-D luma plane")
    h, w = y.shape
    results: list[list[tuple[str, PdqHash]] | None] = [None] * len(pads)
    todo = []  # (view index, (pad_y, resize), (pad_x, resize))
    for k, (py, px) in enumerate(pads):
        hh, ww = h + 2 * py, w + 2 * px
        resize = _resize_to(hh, ww, downscale)
        if min(resize or hh, resize or ww) < MIN_HASHABLE_DIM:
            results[k] = _empty()
        else:
            todo.append((k, (py, resize), (px, resize)))
    if todo:
        ops = [_axis_operator(h, *ay) for _, ay, _ in todo]
        t = (np.concatenate(ops) if len(ops) > 1 else ops[0]) @ y  # (64 * views) x w
        for n, (k, _, ax) in enumerate(todo):
            results[k] = _hashes_from_64(t[n * _DS : (n + 1) * _DS] @ _axis_operator(w, *ax).T)
    return results  # type: ignore[return-value]


def dihedral_from_luma(
    luma: np.ndarray, pad: tuple[int, int] = (0, 0), *, downscale: Downscale = "reference"
) -> list[tuple[str, PdqHash]]:
    """The 8 dihedral hashes of a luma plane (optionally of its reflect-padded view)."""
    return dihedral_views_from_luma(luma, [pad], downscale=downscale)[0]


#: The pixel transform each dihedral name stands for (PIL's transposes, see ``pdq.DIHEDRAL_NAMES``),
#: on a 2-D plane: rotate90 = ROTATE_90 (counter-clockwise), flipx = FLIP_TOP_BOTTOM,
#: flipy = FLIP_LEFT_RIGHT, flip_plus1 = TRANSPOSE, flip_minus1 = TRANSVERSE.
PLANE_TRANSFORMS = {
    "original": lambda a: a,
    "rotate90": lambda a: np.rot90(a, 1),
    "rotate180": lambda a: np.rot90(a, 2),
    "rotate270": lambda a: np.rot90(a, 3),
    "flipx": lambda a: a[::-1],
    "flipy": lambda a: a[:, ::-1],
    "flip_plus1": lambda a: a.T,
    "flip_minus1": lambda a: np.rot90(a, 2).T,
}


def transformed_from_luma(
    luma: np.ndarray, names: Sequence[str] = DIHEDRAL_NAMES, *, downscale: Downscale = "reference"
) -> list[tuple[str, PdqHash]]:
    """PDQ of the truly rotated / mirrored luma plane, per dihedral name.

    The DCT-domain forms of :func:`dihedral_from_luma` are exact only when PDQ's box filter and
    decimation grid are symmetric; they are not (the grid reads ``floor((k + 0.5) * dim / 64)``
    and the window is off-centre), and on a 256 px photo a mirrored form lands up to ~90 bits
    (mean ~29) from the hash of the mirrored pixels. These hashes are of the transformed pixels:
    the hash a mirrored or rotated copy of the image would have.

    The filter operators depend only on an axis' length, so with ``A(Y) = Ry Y Rx^T`` a
    transposed image gives ``A(Y^T) = A(Y)^T`` and a reversed axis ``A(Y J) = (Ry Y) J Rx^T``:
    all 8 forms come from two products, ``Ry Y`` and ``Ry Y[::-1]`` (the same result as
    transforming the pixels and hashing them, as :data:`PLANE_TRANSFORMS` would).
    """
    y = np.asarray(luma, dtype=np.float32)
    if y.ndim != 2:
        raise ValueError("expected a 2-D luma plane")
    h, w = y.shape
    resize = _resize_to(h, w, downscale)
    if min(resize or h, resize or w) < MIN_HASHABLE_DIM:
        return [(name, h_) for name, h_ in _empty() if name in names]
    ry, rx_t = _axis_operator(h, 0, resize), _axis_operator(w, 0, resize).T
    t = ry @ y  # 64 x w
    t_fx = ry[:, ::-1] @ y  # rows reversed: Ry (J Y)
    a = t @ rx_t
    a_fy = t[:, ::-1] @ rx_t  # columns reversed
    a_fx = t_fx @ rx_t
    a_180 = t_fx[:, ::-1] @ rx_t
    forms = {
        "original": a,
        "flipy": a_fy,
        "flipx": a_fx,
        "rotate180": a_180,
        "flip_plus1": a.T,
        "rotate90": a_fy.T,
        "rotate270": a_fx.T,
        "flip_minus1": a_180.T,
    }
    return [(name, _hashes_from_64(np.ascontiguousarray(forms[name]))[0][1]) for name in names]


def compute_dihedral(
    image: Image.Image | np.ndarray, *, downscale: Downscale = "reference"
) -> list[tuple[str, PdqHash]]:
    """Hashes of the 8 rotations/flips of the image, as ``(name, hash)`` in DIHEDRAL_NAMES
    order, like :func:`snapscribe.safety.pdq.compute_dihedral` (within a few bits of it).

    RGB input (PIL, or HxWx3 uint8) is downscaled as ``pdq.prepare_pixels`` does; a 2-D
    array (grey uint8, or a float32 luma plane) takes ``downscale="reference"`` or ``"none"``.
    """
    if isinstance(image, np.ndarray) and image.ndim == 2:
        return dihedral_from_luma(luma_plane(image), downscale=downscale)
    return dihedral_from_luma(luma_plane(prepare_pixels(image, downscale)))

"""PDQ perceptual hashes (Meta's ThreatExchange algorithm, via the ``pdqhash`` package).

A hash is 256 bits. Its standard text form is 64 hex digits, most significant bit
first, exactly as the reference ``pdq-photo-hasher`` prints it; ``bits`` holds the same
value as 32 big-endian bytes, so ``bits.hex() == hex``.

Large images are downscaled before hashing, for speed (the Jarosz filters cost is
proportional to the pixel count: ~430 ms -> ~8 ms for a 1600 px photo). The default
``downscale="reference"`` reproduces what the reference C++ CLI does (``pdqio.cpp``:
when either side exceeds 512 px, a corner-aligned nearest-neighbour resize to
512 x 512, aspect ratio not kept), so our hashes equal the published reference hashes
bit for bit, which is what hash lists produced by the reference tools contain.
``"lanczos"`` keeps the aspect ratio (long side 512, Lanczos filter) and lands a few
bits away; ``"none"`` hashes at full resolution (python-threatexchange behaviour).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

import numpy as np
from PIL import Image

HASH_BITS = 256
HASH_BYTES = 32
HASH_HEX_LEN = 64
DOWNSAMPLE_DIMS = 512

#: Names of the 8 dihedral variants, in ``pdqhash.compute_dihedral`` order. PDQ's naming,
#: in PIL terms: rotate90 = ROTATE_90 (counter-clockwise), flipx = FLIP_TOP_BOTTOM,
#: flipy = FLIP_LEFT_RIGHT, flip_plus1 = TRANSPOSE, flip_minus1 = TRANSVERSE. The hash
#: named X equals (within a few bits) the hash of the image transformed by X.
DIHEDRAL_NAMES = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flipx",
    "flipy",
    "flip_plus1",
    "flip_minus1",
)

Downscale = Literal["reference", "lanczos", "none"]
HashLike = Union[str, bytes, bytearray, memoryview, np.ndarray, "PdqHash"]


@dataclass(frozen=True)
class PdqHash:
    """One PDQ hash: ``hex`` (64 hex digits, MSB first), ``bits`` (32 bytes), ``quality`` (0..100)."""

    hex: str
    bits: bytes
    quality: int

    @classmethod
    def from_hex(cls, hex_str: str, quality: int = 100) -> PdqHash:
        raw = hex_to_bytes(hex_str)
        return cls(hex=raw.hex(), bits=raw, quality=quality)

    def distance(self, other: HashLike) -> int:
        """Hamming distance to another hash."""
        return hamming(self.bits, other)


# ---------------------------------------------------------------- conversions


def hex_to_bytes(hex_str: str) -> bytes:
    """64 hex digits (MSB first) -> 32 bytes. Raises ValueError on bad input."""
    s = hex_str.strip().lower()
    if s.startswith("0x"):
        s = s[2:]
    if len(s) != HASH_HEX_LEN:
        raise ValueError(f"PDQ hash must be {HASH_HEX_LEN} hex digits, got {len(s)}: {hex_str!r}")
    try:
        return bytes.fromhex(s)
    except ValueError as exc:
        raise ValueError(f"PDQ hash is not hexadecimal: {hex_str!r}") from exc


def bytes_to_hex(raw: bytes) -> str:
    """32 bytes -> 64 lowercase hex digits."""
    if len(raw) != HASH_BYTES:
        raise ValueError(f"PDQ hash must be {HASH_BYTES} bytes, got {len(raw)}")
    return bytes(raw).hex()


def bits_to_hex(bits: np.ndarray) -> str:
    """A 256-element 0/1 vector (MSB first, as ``pdqhash`` returns it) -> hex."""
    vec = np.asarray(bits).reshape(-1)
    if vec.size != HASH_BITS:
        raise ValueError(f"expected {HASH_BITS} bits, got {vec.size}")
    return np.packbits(vec.astype(np.uint8) != 0).tobytes().hex()


def hex_to_bits(hex_str: str) -> np.ndarray:
    """hex -> 256-element uint8 0/1 vector, MSB first."""
    return np.unpackbits(np.frombuffer(hex_to_bytes(hex_str), dtype=np.uint8))


def as_hash_bytes(value: HashLike) -> bytes:
    """Normalise a hash given as hex, 32 bytes, a 32-byte/256-bit array or a PdqHash to 32 bytes."""
    if isinstance(value, PdqHash):
        return value.bits
    if isinstance(value, str):
        return hex_to_bytes(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        if len(raw) != HASH_BYTES:
            raise ValueError(f"PDQ hash must be {HASH_BYTES} bytes, got {len(raw)}")
        return raw
    if isinstance(value, np.ndarray):
        arr = value.reshape(-1)
        if arr.size == HASH_BYTES and arr.dtype == np.uint8:
            return arr.tobytes()
        if arr.size == HASH_BITS:
            return np.packbits(arr.astype(np.uint8) != 0).tobytes()
        raise ValueError(f"cannot read a PDQ hash from an array of shape {value.shape}, dtype {value.dtype}")
    raise TypeError(f"unsupported hash type: {type(value).__name__}")


def hamming(a: HashLike, b: HashLike) -> int:
    """Hamming distance between two hashes (hex strings, bytes, arrays or PdqHash)."""
    x = int.from_bytes(as_hash_bytes(a), "big") ^ int.from_bytes(as_hash_bytes(b), "big")
    return x.bit_count()


# ---------------------------------------------------------------- hashing


def prepare_pixels(image: Image.Image | np.ndarray, downscale: Downscale = "reference") -> np.ndarray:
    """The C-contiguous HxWx3 uint8 RGB array that is hashed, after downscaling."""
    if isinstance(image, np.ndarray):
        arr = image
        if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
            raise ValueError("expected an HxWx3 uint8 RGB array")
        pil = None
    else:
        pil = image if image.mode == "RGB" else image.convert("RGB")
        arr = None
    if downscale == "reference":
        if arr is None:
            arr = np.asarray(pil)
        h, w = arr.shape[:2]
        if h > DOWNSAMPLE_DIMS or w > DOWNSAMPLE_DIMS:
            # CImg resize(512, 512) with its default nearest-neighbour interpolation:
            # output pixel x reads input floor(x * W / 512) (corner-aligned).
            ys = (np.arange(DOWNSAMPLE_DIMS) * h) // DOWNSAMPLE_DIMS
            xs = (np.arange(DOWNSAMPLE_DIMS) * w) // DOWNSAMPLE_DIMS
            arr = arr[ys][:, xs]
    elif downscale == "lanczos":
        if pil is None:
            assert arr is not None  # pil is only None when an array was given
            pil = Image.fromarray(arr)
        w, h = pil.size
        if max(w, h) > DOWNSAMPLE_DIMS:
            scale = DOWNSAMPLE_DIMS / max(w, h)
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            pil = pil.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        arr = np.asarray(pil)
    elif downscale == "none":
        if arr is None:
            arr = np.asarray(pil)
    else:
        raise ValueError(f"unknown downscale mode: {downscale!r}")
    return np.ascontiguousarray(arr, dtype=np.uint8)


def _to_hash(bits: np.ndarray, quality: int) -> PdqHash:
    raw = np.packbits(np.asarray(bits).astype(np.uint8) != 0).tobytes()
    return PdqHash(hex=raw.hex(), bits=raw, quality=int(quality))


def compute_pdq(image: Image.Image | np.ndarray, *, downscale: Downscale = "reference") -> PdqHash:
    """PDQ hash of an upright RGB image (other PIL modes are converted to RGB)."""
    import pdqhash

    bits, quality = pdqhash.compute(prepare_pixels(image, downscale))
    return _to_hash(bits, quality)


def compute_dihedral(
    image: Image.Image | np.ndarray, *, downscale: Downscale = "reference"
) -> list[tuple[str, PdqHash]]:
    """Hashes of the 8 rotations/flips of the image, as ``(name, hash)`` in DIHEDRAL_NAMES order.

    Costs about the same as one hash: the transforms are applied to PDQ's DCT output.
    Matching a list hash against all 8 catches rotated or mirrored re-uploads.
    """
    import pdqhash

    vectors, quality = pdqhash.compute_dihedral(prepare_pixels(image, downscale))
    return [(name, _to_hash(v, quality)) for name, v in zip(DIHEDRAL_NAMES, vectors)]

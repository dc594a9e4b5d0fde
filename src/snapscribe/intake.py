"""Intake: turn untrusted upload bytes into one upright RGB image, or a clear IntakeError.

Checks run cheapest first: byte size, then the header (format, dimensions — a
decompression bomb is rejected before any pixel is decoded), then the decode itself.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from .config import IntakeConfig
from .errors import IntakeError

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "MPO"})

# Pillow's own bomb guard would raise on our configured cap anyway; we check ourselves
# from the header so the error carries our code, and keep Pillow's as a second line.
Image.MAX_IMAGE_PIXELS = None


@dataclass(frozen=True)
class DecodedImage:
    """An upright 8-bit RGB image with what intake learned about the file."""

    image: Image.Image
    format: str
    original_size: tuple[int, int]  # (width, height) as stored, before EXIF rotation
    upright_size: tuple[int, int]  # full-resolution (width, height) after EXIF rotation
    exif_rotated: bool
    animated: bool

    @property
    def scale_to_upright(self) -> float:
        """Multiply coordinates in ``image`` by this to get pixels of the full upright image."""
        return self.upright_size[0] / self.image.size[0]


_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")


def _looks_like_image(data: bytes) -> bool:
    return data.startswith(_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except UnidentifiedImageError as exc:
        if _looks_like_image(data):
            raise IntakeError(
                "the file starts like an image but its header is cut short or broken",
                "truncated_image" if len(data) < 1024 else "corrupt_image",
            ) from exc
        raise IntakeError("the file is not a recognised image format", "not_an_image") from exc
    except Image.DecompressionBombError as exc:  # pragma: no cover - MAX_IMAGE_PIXELS is None
        raise IntakeError(str(exc), "decompression_bomb") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise IntakeError(f"cannot read the image header: {exc}", "corrupt_image") from exc


def _check_header(img: Image.Image, cfg: IntakeConfig) -> None:
    if img.format not in ALLOWED_FORMATS:
        raise IntakeError(f"unsupported image format {img.format!r}", "unsupported_format")
    width, height = img.size
    if width <= 0 or height <= 0:
        raise IntakeError("the image has no pixels", "corrupt_image")
    if width * height > cfg.max_pixels:
        raise IntakeError(
            f"{width}x{height} is {width * height:,} pixels, over the cap of {cfg.max_pixels:,}"
            " (possible decompression bomb)",
            "decompression_bomb",
        )
    if max(width, height) > cfg.max_side:
        raise IntakeError(f"{width}x{height} exceeds the maximum side of {cfg.max_side}px", "dimensions_too_large")
    if min(width, height) < cfg.min_side:
        raise IntakeError(f"{width}x{height} is smaller than the minimum side of {cfg.min_side}px", "image_too_small")


def _to_rgb(img: Image.Image) -> Image.Image:
    """8-bit RGB, compositing transparency onto white and scaling 16-bit data."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        import numpy as np

        arr = np.asarray(img, dtype=np.float64)
        scale = 255.0 / 65535.0 if arr.max() > 255 else 1.0
        img = Image.fromarray(np.clip(arr * scale, 0, 255).astype("uint8"))
    elif img.mode == "F":
        import numpy as np

        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        img = Image.fromarray(((arr - lo) * (255.0 / ((hi - lo) or 1.0))).astype("uint8"))
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if img.mode != "RGB":
        return img.convert("RGB")
    return img


def _opened_and_checked(data: bytes, cfg: IntakeConfig) -> Image.Image:
    """Byte-size cap, then the header: format and dimensions, before any pixel is decoded."""
    if not data:
        raise IntakeError("the file is empty", "empty_file")
    if len(data) > cfg.max_bytes:
        raise IntakeError(f"the file is {len(data):,} bytes, over the cap of {cfg.max_bytes:,}", "file_too_large")
    img = _open(data)
    _check_header(img, cfg)
    return img


def decode(data: bytes, cfg: IntakeConfig, *, draft_side: int | None = None) -> DecodedImage:
    """Validate and decode upload bytes into an upright RGB image.

    ``draft_side`` lets JPEG decode at a reduced scale (DCT scaling) when the pipeline
    never needs more than that many pixels on the long side: a large speed-up.
    """
    img = _opened_and_checked(data, cfg)
    fmt = img.format or "unknown"
    original_size = img.size
    animated = bool(getattr(img, "is_animated", False))
    try:
        if animated:
            img.seek(0)
        if draft_side and fmt in ("JPEG", "MPO"):
            # Keep at least draft_side pixels on the long side; EXIF rotation doesn't change it.
            scale = max(original_size) / draft_side
            if scale >= 2:
                w, h = original_size
                img.draft("RGB", (max(1, int(w / scale)), max(1, int(h / scale))))
        img.load()
        orientation = img.getexif().get(0x0112, 1) if hasattr(img, "getexif") else 1
        upright = ImageOps.exif_transpose(img) if orientation not in (None, 1) else img
        rgb = _to_rgb(upright)
        rgb.load()
    except IntakeError:
        raise
    except Image.DecompressionBombError as exc:  # pragma: no cover
        raise IntakeError(str(exc), "decompression_bomb") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        text = str(exc)
        code = "truncated_image" if "truncated" in text or "broken data stream" in text else "corrupt_image"
        raise IntakeError(f"cannot decode the image: {text}", code) from exc
    w, h = original_size
    upright_size = (h, w) if orientation in (5, 6, 7, 8) else (w, h)
    return DecodedImage(
        image=rgb,
        format=fmt,
        original_size=original_size,
        upright_size=upright_size,
        exif_rotated=orientation not in (None, 1),
        animated=animated,
    )


def read_source(path: str, cfg: IntakeConfig) -> bytes:
    """Read a file's bytes with the size cap applied before reading it all."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(cfg.max_bytes + 1)
    except IsADirectoryError as exc:
        raise IntakeError(f"{path} is a directory", "unreadable_file") from exc
    except OSError as exc:
        raise IntakeError(f"cannot read {path}: {exc.strerror or exc}", "unreadable_file") from exc
    if len(data) > cfg.max_bytes:
        raise IntakeError(f"the file is over the cap of {cfg.max_bytes:,} bytes", "file_too_large")
    return data


def probe(data: bytes, cfg: IntakeConfig) -> tuple[str, tuple[int, int]]:
    """The cheap checks of :func:`decode` (size, format, header dimensions) without decoding pixels.

    Returns ``(format, (width, height))`` or raises the same :class:`IntakeError` codes.
    Damage further into the file (truncation) is only found by a full decode.
    """
    img = _opened_and_checked(data, cfg)
    return img.format or "unknown", img.size

"""Builders for broken and hostile upload files, shared by the tests."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def photo_like(w: int = 320, h: int = 240, seed: int = 0) -> Image.Image:
    """A noisy gradient with shapes: enough structure for every stage to run on."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    arr = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 127 // max(w + h, 1)], -1)
    arr = arr + rng.normal(0, 8, arr.shape)
    arr[h // 4 : h // 2, w // 4 : w // 2] = [200, 40, 40]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def jpeg_bytes(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, **kw)
    return buf.getvalue()


def png_bytes(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **kw)
    return buf.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims an enormous image (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    idat = zlib.compress(row * 16, 9)  # only a few rows: the header alone must be enough to refuse it
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def exif_rotated_jpeg(img: Image.Image, orientation: int = 6) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return jpeg_bytes(img, exif=exif.tobytes())


def animated_gif(frames: int = 3) -> bytes:
    imgs = [Image.new("RGB", (64, 48), c) for c in [(255, 0, 0), (0, 255, 0), (0, 0, 255)][:frames]]
    buf = io.BytesIO()
    imgs[0].save(buf, "GIF", save_all=True, append_images=imgs[1:], duration=100, loop=0)
    return buf.getvalue()


def hostile_files() -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, expected error code)."""
    good = jpeg_bytes(photo_like())
    return {
        "empty.jpg": (b"", "empty_file"),
        "truncated.jpg": (good[: len(good) // 2], "truncated_image"),
        "text.jpg": (b"this is not an image, just some text\n" * 10, "not_an_image"),
        "html.png": (b"<html><script>alert(1)</script></html>", "not_an_image"),
        "bomb.png": (png_bomb(), "decompression_bomb"),
        "header-only.jpg": (good[:20], "truncated_image"),
        "garbage.webp": (b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(range(256)) * 4, "corrupt_image"),
    }

"""Give freed memory back to the operating system after a big image.

glibc keeps freed heap in its arenas, so one 64-megapixel decode would leave a long-running
server or worker hundreds of MB larger for good. ``malloc_trim`` returns it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from typing import Any

BIG_INPUT_BYTES = 4 * 1024 * 1024  # inputs from this size on are followed by a trim ...
BIG_INPUT_PIXELS = 12_000_000  # ... and so are images from this many pixels (a small PNG can decode huge)

_libc: Any = None  # the C library once loaded; False where it cannot be


def release_memory() -> None:
    """Collect garbage and trim the C heap (a no-op where glibc's malloc_trim is missing)."""
    global _libc
    gc.collect()
    if _libc is None:
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        except OSError:
            _libc = False
    if _libc and hasattr(_libc, "malloc_trim"):
        _libc.malloc_trim(0)

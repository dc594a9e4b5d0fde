"""Whether this CPU runs the shipped int8 ONNX models exactly, and which model copy to load.

onnxruntime multiplies uint8 activations by int8 weights. With VNNI (AVX-512 VNNI, AVX-VNNI) or
AMX the products are summed in 32 bits, exactly. On x86 CPUs without them (AVX2 only, e.g. AMD
Zen 3) it uses ``vpmaddubsw``, which saturates pairs of products at 16 bits: the same model gives
other scores there (onnxruntime's quantization guide, "saturation"). Measured on such a host, the
int8 open_nsfw sent 2 of 187 benign photos to review where the float model sent none. So
``"auto"`` loads an int8 copy only where the CPU sums exactly and the float model elsewhere; a
safety decision must not depend on the CPU it ran on.

bf16 is a speed choice, not an exactness one: the detector's bf16 part (``detector.precision``,
:mod:`snapscribe.engines.ssd_bf16`) only pays where AMX multiplies bf16 tiles (measured 1.8x per
call on an AMX host); elsewhere OpenVINO would emulate it, so ``"auto"`` keeps the float detector.
"""

from __future__ import annotations

import platform
from functools import lru_cache
from pathlib import Path
from typing import Literal

__all__ = [
    "AMX_BF16_FLAGS",
    "EXACT_INT8_FLAGS",
    "DetectorPrecision",
    "ModelPrecision",
    "amx_bf16",
    "cpu_flags",
    "cpuinfo",
    "int8_exact",
    "use_bf16",
    "use_int8",
]

ModelPrecision = Literal["auto", "int8", "fp32"]
DetectorPrecision = Literal["auto", "bf16", "fp32"]

#: /proc/cpuinfo flags of the instructions that sum u8 x s8 products in 32 bits.
EXACT_INT8_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})
#: /proc/cpuinfo flag of the AMX bf16 tile multiply (Intel Sapphire Rapids and later).
AMX_BF16_FLAGS = frozenset({"amx_bf16"})


def cpuinfo(field: str) -> str:
    """The first value of ``field`` in /proc/cpuinfo ("model name", "flags"); "" where there is none."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.split(":", 1)[0].strip() == field:
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU feature flags the kernel reports (empty where /proc/cpuinfo is absent)."""
    return frozenset(cpuinfo("flags").split())


def int8_exact(flags: frozenset[str] | None = None, machine: str | None = None) -> bool:
    """True where int8 models compute exactly: x86 with VNNI or AMX, or an Arm CPU (its
    dot-product kernels widen before they add)."""
    arch = (machine or platform.machine()).lower()
    if arch in {"arm64", "aarch64"}:
        return True
    if arch not in {"x86_64", "amd64", "i386", "i686"}:
        return False
    if flags is None:
        flags = cpu_flags()
        if not flags:  # not Linux: numpy's own CPU probe
            try:
                from numpy._core._multiarray_umath import __cpu_features__ as features
            except ImportError:  # pragma: no cover - numpy < 2
                return False
            return bool(features.get("AVX512VNNI") or features.get("AVX_VNNI"))
    return bool(flags & EXACT_INT8_FLAGS)


def use_int8(choice: ModelPrecision) -> bool:
    """Whether a model setting (``"auto"``, ``"int8"`` or ``"fp32"``) loads the int8 copy here."""
    return choice == "int8" or (choice == "auto" and int8_exact())


def amx_bf16(flags: frozenset[str] | None = None) -> bool:
    """True where the CPU multiplies bf16 matrices on AMX tiles."""
    return bool((cpu_flags() if flags is None else flags) & AMX_BF16_FLAGS)


def use_bf16(choice: DetectorPrecision) -> bool:
    """Whether ``detector.precision`` (``"auto"``, ``"bf16"`` or ``"fp32"``) runs the bf16 detector here."""
    return choice == "bf16" or (choice == "auto" and amx_bf16())

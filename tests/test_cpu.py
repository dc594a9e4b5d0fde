"""Which model copy ``auto`` loads: int8 only where the CPU sums u8 x s8 products exactly."""

from __future__ import annotations

from snapscribe import cpu
from snapscribe.config import Settings

AVX2 = frozenset({"sse4_2", "avx", "avx2", "fma"})


def test_int8_is_exact_only_with_vnni_or_amx_on_x86() -> None:
    assert not cpu.int8_exact(AVX2, "x86_64")  # Zen 3: vpmaddubsw saturates at 16 bits
    assert not cpu.int8_exact(AVX2 | {"avx512f", "avx512bw"}, "x86_64")  # Skylake-SP: no VNNI
    for flag in ("avx512_vnni", "avx_vnni", "amx_int8"):
        assert cpu.int8_exact(AVX2 | {flag}, "x86_64"), flag
    assert cpu.int8_exact(frozenset(), "aarch64")
    assert not cpu.int8_exact(frozenset({"avx512_vnni"}), "riscv64")


def test_settings_default_to_auto_and_follow_this_cpu() -> None:
    s = Settings()
    assert s.nsfw.model == "auto" and s.ocr.detector == "auto"
    here = cpu.int8_exact()
    assert cpu.use_int8("auto") is here
    assert cpu.use_int8("int8") and not cpu.use_int8("fp32")
    if cpu.cpu_flags():  # Linux: the answer is the kernel's flags
        assert here is bool(cpu.cpu_flags() & cpu.EXACT_INT8_FLAGS) or cpu.platform.machine() == "aarch64"


def test_each_model_resolves_its_setting_through_the_same_choice() -> None:
    from snapscribe.safety import nsfw, ocr

    assert nsfw.model_path("fp32") is None and ocr.detector_path("fp32") is None
    assert nsfw.model_path("int8") == str(nsfw.INT8_MODEL) and ocr.detector_path("int8") == str(ocr.INT8_DETECTOR)
    assert (nsfw.model_path("auto") is not None) is cpu.int8_exact() is (ocr.detector_path("auto") is not None)

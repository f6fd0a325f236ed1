"""Which number format the fine-tuned model's encoder computes in: bfloat16 where the hardware has it, else float32."""

from __future__ import annotations

from pipeline.core.config import PRECISIONS
from pipeline.core.errors import ModelError


def native_bf16(device: str) -> bool:
    """Whether `device` multiplies bfloat16 matrices in hardware (AMX or AVX512-BF16 CPUs, recent GPUs)."""
    import torch

    if device.startswith("cuda"):
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    cpu = getattr(torch, "cpu", None)
    checks = [getattr(cpu, name, None) for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported")]
    return any(check() for check in checks if check is not None)


def resolve_precision(precision: str, device: str) -> str:
    """fp32 or bf16 for a `precision` setting; auto takes bf16 only where it is native (emulated bf16 is slower
    than float32). Measured on the functional suite: no decision changed (README, "Hate model speed")."""
    if precision not in PRECISIONS:
        raise ModelError(f"precision {precision!r} is invalid; must be one of: {', '.join(PRECISIONS)}")
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    return precision

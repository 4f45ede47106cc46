"""Addresses and sizes as people read them: zero-padded hex, binary units."""

from __future__ import annotations

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def fmt_addr(addr: int, bits: int = 64) -> str:
    return f"0x{addr:0{bits // 4}x}"


def fmt_size(size: int) -> str:
    """Exact where a unit divides the size (1520 MiB), else approximate (~128 TiB)."""
    if size <= 0:
        return "0 B"
    top = min((size.bit_length() - 1) // 10, len(_UNITS) - 1)
    for i in range(top, -1, -1):
        q, r = divmod(size, 1 << (10 * i))
        if r == 0 and q < 10_000:
            return f"{q} {_UNITS[i]}"
    value = size / (1 << (10 * top))
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"~{text} {_UNITS[top]}"

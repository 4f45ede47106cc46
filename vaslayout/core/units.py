"""Addresses and sizes as people read them: zero-padded hex, binary units."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Sequence

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def fmt_addr(addr: int, bits: int = 64) -> str:
    return f"0x{addr:0{bits // 4}x}"


def fmt_bound(value: int, bits: int = 64) -> str:
    """A bound for a message, never wider than `bits`: 2^bits itself, or past it as 2^bits + 0x..., or -0x...

    An exclusive end at the very top (2^64 on a 64-bit layout) or a bad value
    beyond it would otherwise print as a number no address of the layout can be.
    """
    top = 1 << bits
    if value < 0:
        return "-" + fmt_bound(-value, bits)
    if value < top:
        return fmt_addr(value, bits)
    if value == top:
        return f"2^{bits}"
    if value - top < top:
        return f"2^{bits} + {fmt_addr(value - top, bits)}"
    return f"{fmt_size(value)} (past 2^{bits})"


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


# array typecodes by item size in bytes, for hex_column's one-call conversion; where "L" is as wide
# as "Q" it wins, as it takes an int in a simple loop and "Q" by the general byte-array conversion
_WORDS = {array(code).itemsize: code for code in "QLI"}


def hex_column(values: Sequence[int], digits: int) -> list[str]:
    """Each value as `digits` zero-padded lowercase hex digits: f"{v:0{digits}x}" for every v, in C.

    A process's 65,530 mappings make two such columns; formatting them one
    number at a time costs as much as the rest of the line. Packed big-endian
    into one array, bytes.hex turns them all into text in one call. Values
    that do not fit `digits` (or widths other than 8 and 16) go the slow way.
    """
    code = _WORDS.get(digits // 2) if digits in (8, 16) else None
    if code is not None and values:
        try:
            words = array(code, values)
        except OverflowError:  # negative, or wider than the column
            pass
        else:
            if sys.byteorder == "little":
                words.byteswap()
            return words.tobytes().hex(" ", digits // 2).split(" ")
    return [f"{v:0{digits}x}" for v in values]

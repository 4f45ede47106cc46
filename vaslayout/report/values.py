"""Values a kernel engineer recognises on sight, and how registers relate.

Poison values: include/linux/poison.h (POISON_POINTER_DELTA is
CONFIG_ILLEGAL_POINTER_VALUE, 0xdead000000000000 on x86-64 and arm64;
LIST_POISON1 = 0x100 + delta, LIST_POISON2 = 0x122 + delta; slab
POISON_INUSE 0x5a, POISON_FREE 0x6b, POISON_END 0xa5; SLUB red zones
0xbb/0xcc). ERR_PTR: include/linux/err.h (MAX_ERRNO 4095).
"""

from __future__ import annotations

import errno

MASK64 = (1 << 64) - 1
POISON_DELTA = 0xdead000000000000
_POISONS = {
    0x100: ("LIST_POISON1", "list_del() poisons ->next with it"),
    0x122: ("LIST_POISON2", "list_del() poisons ->prev with it"),
    0x00100100: ("LIST_POISON1", "its value before v4.3"),
    0x00200200: ("LIST_POISON2", "its value before v4.3"),
}
_SLAB_BYTES = {
    0x6b: "POISON_FREE: slab memory after kfree() (use after free)",
    0x5a: "POISON_INUSE: slab memory allocated but never written",
    0xa5: "POISON_END: the end marker of a poisoned slab object",
    0xbb: "SLUB_RED_INACTIVE: the red zone of a free SLUB object",
    0xcc: "SLUB_RED_ACTIVE: the red zone of an allocated SLUB object",
}
STACKLEAK_POISON = 0xffffffffffff4111  # include/linux/stackleak.h (STACKLEAK_POISON, -0xBEEF)


def _errno_name(n: int) -> str:
    name = errno.errorcode.get(n)
    return f"-{name}" if name else f"-{n}"


def known_value(value: int, bits: int = 64) -> str | None:
    """A name for a value that is not an ordinary pointer, or None."""
    mask = (1 << bits) - 1
    if bits == 64 and value >> 48 == POISON_DELTA >> 48:
        low = value - POISON_DELTA
        near = [base for base in _POISONS if 0 <= low - base < 0x100]
        if near:
            base = max(near)
            name, why = _POISONS[base]
            plus = f" + 0x{low - base:x}" if low != base else ""
            return f"{name}{plus} ({why}): a pointer read from a list entry already deleted"
        return f"POISON_POINTER_DELTA + 0x{low:x}: a poisoned pointer (include/linux/poison.h)"
    if value == STACKLEAK_POISON:
        return "STACKLEAK_POISON: an erased, never-used kernel stack slot"
    neg = (mask + 1) - value
    if 0 < neg <= 4095:
        return f"ERR_PTR({_errno_name(neg)}): an error code used as a pointer (include/linux/err.h)"
    if 0 < value < 0x10000:
        return f"NULL + 0x{value:x}: a field of a NULL struct pointer (below mmap_min_addr, never mapped)"
    if value == 0:
        return "NULL"
    nbytes = bits // 8
    raw = value.to_bytes(nbytes, "little")
    if len(set(raw)) == 1 and raw[0] in _SLAB_BYTES:
        return f"slab poison 0x{raw[0]:02x} x {nbytes}: {_SLAB_BYTES[raw[0]]}"
    printable = [b for b in raw if 0x20 <= b < 0x7f]
    if len(printable) >= nbytes - 1 and len(set(raw)) > 1 or (len(set(raw)) == 1 and 0x20 <= raw[0] < 0x7f):
        text = "".join(chr(b) if 0x20 <= b < 0x7f else "." for b in raw)
        return f"looks like ASCII text {text!r} (little-endian bytes): data, not a pointer"
    return None


def one_bit_flip(value: int, good: list[int], bits: int = 64) -> tuple[int, int] | None:
    """(bit, corrected value) when flipping one bit puts value within 4 GiB of a known-good pointer."""
    for bit in range(bits - 1, -1, -1):
        flipped = value ^ (1 << bit)
        for g in good:
            if abs(flipped - g) < 1 << 32 and abs(value - g) >= 1 << 32:
                return bit, flipped
    return None

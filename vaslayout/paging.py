"""Paging modes as data: which address bits index which table level.

Level names are the kernel's (pgd, p4d, pud, pmd, pte). A folded level
(p4d under 4-level paging) has no bits of its own and always index 0, as
the kernel's PTRS_PER_P4D == 1 makes it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    name: str
    hi: int  # highest bit, inclusive; hi < lo means folded
    lo: int

    @property
    def bits(self) -> int:
        return max(0, self.hi - self.lo + 1)

    @property
    def folded(self) -> bool:
        return self.bits == 0

    @property
    def entries(self) -> int:
        return 1 << self.bits

    def index(self, addr: int) -> int:
        return (addr >> self.lo) & ((1 << self.bits) - 1)


@dataclass(frozen=True)
class PagingMode:
    name: str
    title: str
    address_bits: int  # width of an address
    va_bits: int  # bits the MMU translates; above them, sign extension
    levels: tuple[Level, ...]
    page_shift: int
    source: str

    @property
    def sign_extended(self) -> bool:
        return self.va_bits < self.address_bits

    def canonical(self, addr: int) -> bool:
        """Bits address_bits-1 .. va_bits-1 all equal (x86-64's rule)."""
        if not self.sign_extended:
            return True
        top = addr >> (self.va_bits - 1)
        return top == 0 or top == (1 << (self.address_bits - self.va_bits + 1)) - 1

    def indices(self, addr: int) -> dict[str, int]:
        out = {level.name: level.index(addr) for level in self.levels}
        out["offset"] = addr & ((1 << self.page_shift) - 1)
        return out

    def fields(self) -> list[tuple[str, int, int]]:
        """(label, hi, lo) from the top bit down, for drawing an address."""
        out: list[tuple[str, int, int]] = []
        if self.sign_extended:
            out.append(("sign", self.address_bits - 1, self.va_bits))
        out.extend((lv.name, lv.hi, lv.lo) for lv in self.levels)
        out.append(("offset", self.page_shift - 1, 0))
        return out


def _levels(*spec: tuple[str, int, int]) -> tuple[Level, ...]:
    return tuple(Level(*s) for s in spec)


MODES: dict[str, PagingMode] = {
    m.name: m
    for m in (
        PagingMode(
            "x86-32",
            "x86 32-bit, 2-level (10/10/12)",
            32,
            32,
            _levels(("pgd", 31, 22), ("pte", 21, 12)),
            12,
            "arch/x86/include/asm/pgtable-2level_types.h",
        ),
        PagingMode(
            "x86-32-pae",
            "x86 32-bit PAE, 3-level (2/9/9/12)",
            32,
            32,
            _levels(("pgd", 31, 30), ("pmd", 29, 21), ("pte", 20, 12)),
            12,
            "arch/x86/include/asm/pgtable-3level_types.h",
        ),
        PagingMode(
            "x86-64-4level",
            "x86-64, 4-level (9/9/9/9/12, 48-bit)",
            64,
            48,
            _levels(("pgd", 47, 39), ("p4d", 38, 39), ("pud", 38, 30), ("pmd", 29, 21), ("pte", 20, 12)),
            12,
            "arch/x86/include/asm/pgtable_64_types.h",
        ),
        PagingMode(
            "x86-64-5level",
            "x86-64, 5-level (9/9/9/9/9/12, 57-bit)",
            64,
            57,
            _levels(("pgd", 56, 48), ("p4d", 47, 39), ("pud", 38, 30), ("pmd", 29, 21), ("pte", 20, 12)),
            12,
            "arch/x86/include/asm/pgtable_64_types.h",
        ),
    )
}

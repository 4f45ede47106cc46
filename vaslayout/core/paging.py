"""Paging modes as data: which address bits index which table level.

Level names are the kernel's (pgd, p4d, pud, pmd, pte). A folded level
(p4d under 4-level paging) has no bits of its own and always index 0, as
the kernel's PTRS_PER_P4D == 1 makes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


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
    va_bits: int  # bits the MMU translates
    levels: tuple[Level, ...]
    page_shift: int
    source: str
    # The top bits [address_bits-1 .. upper_from] must all be equal. x86-64 and
    # RISC-V sign-extend the highest translated bit (upper_from = va_bits - 1);
    # arm64 picks the table base by bit 55 and needs bits 63..va_bits all equal.
    upper_from: int | None = None
    upper_label: str = "sign"
    fault: str = "raises #GP (general protection fault)"
    fault_name: str = "#GP"
    # What the hardware walks, where it differs from Linux's view (ARM short descriptors).
    hw_levels: tuple[Level, ...] = ()
    hw_title: str = ""

    @property
    def upper_lo(self) -> int:
        return self.va_bits - 1 if self.upper_from is None else self.upper_from

    @property
    def sign_extended(self) -> bool:
        return self.va_bits < self.address_bits

    def canonical(self, addr: int) -> bool:
        """Bits address_bits-1 .. upper_lo all equal."""
        if not self.sign_extended:
            return True
        top = addr >> self.upper_lo
        return top == 0 or top == (1 << (self.address_bits - self.upper_lo)) - 1

    def canonical_rule(self) -> str:
        hi, lo = self.address_bits - 1, self.upper_lo
        if lo == self.va_bits - 1:
            return f"bits {hi}..{lo} must all be equal (sign extension of bit {lo})"
        return f"bits {hi}..{lo} must be all 0 (user, TTBR0) or all 1 (kernel, TTBR1)"

    @cached_property
    def non_canonical(self) -> str:
        """What an answer says of any non-canonical address here; made once, as half a random batch is one."""
        return f"Non-canonical: {self.canonical_rule()} and here they are not, so any load or store {self.fault}"

    def indices(self, addr: int) -> dict[str, int]:
        return {name: (addr >> lo) & mask for name, lo, mask in self._index_plan}

    @cached_property
    def _index_plan(self) -> tuple[tuple[str, int, int], ...]:
        """(name, lowest bit, mask) of every level and the page offset: indices() runs for every lookup."""
        levels = tuple((lv.name, lv.lo, (1 << lv.bits) - 1) for lv in self.levels)
        return (*levels, ("offset", 0, (1 << self.page_shift) - 1))

    def fields(self) -> list[tuple[str, int, int]]:
        """(label, hi, lo) from the top bit down, for drawing an address."""
        out: list[tuple[str, int, int]] = []
        if self.sign_extended:
            top = self.levels[0].hi if self.levels else self.va_bits - 1
            out.append((self.upper_label, self.address_bits - 1, top + 1))
        out.extend((lv.name, lv.hi, lv.lo) for lv in self.levels)
        out.append(("offset", self.page_shift - 1, 0))
        return out

    def hw_fields(self) -> list[tuple[str, int, int]]:
        return [(lv.name, lv.hi, lv.lo) for lv in self.hw_levels]


def _levels(*spec: tuple[str, int, int]) -> tuple[Level, ...]:
    return tuple(Level(*s) for s in spec)


_X86_64 = "arch/x86/include/asm/pgtable_64_types.h"
_ARM64 = "Documentation/arch/arm64/memory.rst; arch/arm64/include/asm/pgtable-hwdef.h"
_RISCV = "Documentation/arch/riscv/vm-layout.rst; arch/riscv/include/asm/pgtable-64.h"
_RISCV_FAULT = "raises a page fault (the hardware refuses non-canonical addresses)"
_ARM64_FAULT = "raises a translation fault (no translation table covers it)"

MODES: dict[str, PagingMode] = {
    m.name: m
    for m in (
        PagingMode("x86-32", "x86 32-bit, 2-level (10/10/12)", 32, 32,
                   _levels(("pgd", 31, 22), ("pte", 21, 12)), 12,
                   "arch/x86/include/asm/pgtable-2level_types.h"),
        PagingMode("x86-32-pae", "x86 32-bit PAE, 3-level (2/9/9/12)", 32, 32,
                   _levels(("pgd", 31, 30), ("pmd", 29, 21), ("pte", 20, 12)), 12,
                   "arch/x86/include/asm/pgtable-3level_types.h"),
        PagingMode("x86-64-4level", "x86-64, 4-level (9/9/9/9/12, 48-bit)", 64, 48,
                   _levels(("pgd", 47, 39), ("p4d", 38, 39), ("pud", 38, 30), ("pmd", 29, 21), ("pte", 20, 12)),
                   12, _X86_64),
        PagingMode("x86-64-5level", "x86-64, 5-level (9/9/9/9/9/12, 57-bit)", 64, 57,
                   _levels(("pgd", 56, 48), ("p4d", 47, 39), ("pud", 38, 30), ("pmd", 29, 21), ("pte", 20, 12)),
                   12, _X86_64),
        PagingMode("arm-2level", "ARM 32-bit short descriptors: Linux 11/9/12 over hardware 12/8/12", 32, 32,
                   _levels(("pgd", 31, 21), ("pte", 20, 12)), 12,
                   "arch/arm/include/asm/pgtable-2level.h",
                   hw_levels=_levels(("l1", 31, 20), ("l2", 19, 12)),
                   hw_title="hardware: 4096 first-level entries of 1 MiB, 256 second-level entries"),
        PagingMode("arm-lpae", "ARM 32-bit LPAE, 3-level (2/9/9/12)", 32, 32,
                   _levels(("pgd", 31, 30), ("pmd", 29, 21), ("pte", 20, 12)), 12,
                   "arch/arm/include/asm/pgtable-3level.h"),
        PagingMode("arm64-4k-48", "arm64, 4 KiB pages, 4 levels (48-bit)", 64, 48,
                   _levels(("pgd", 47, 39), ("pud", 38, 30), ("pmd", 29, 21), ("pte", 20, 12)), 12, _ARM64,
                   upper_from=48, upper_label="ttbr", fault=_ARM64_FAULT, fault_name="translation fault"),
        PagingMode("arm64-64k-52", "arm64, 64 KiB pages, 3 levels (52-bit)", 64, 52,
                   _levels(("pgd", 51, 42), ("pmd", 41, 29), ("pte", 28, 16)), 16, _ARM64,
                   upper_from=52, upper_label="ttbr", fault=_ARM64_FAULT, fault_name="translation fault"),
        # CONFIG_PGTABLE_LEVELS (arch/arm64/Kconfig): 3 for 4K/39 and 16K/47, 2 for 64K/42, 5 for 4K/52 (LPA2)
        PagingMode("arm64-4k-39", "arm64, 4 KiB pages, 3 levels (39-bit)", 64, 39,
                   _levels(("pgd", 38, 30), ("pmd", 29, 21), ("pte", 20, 12)), 12, _ARM64,
                   upper_from=39, upper_label="ttbr", fault=_ARM64_FAULT, fault_name="translation fault"),
        PagingMode("arm64-16k-47", "arm64, 16 KiB pages, 3 levels (47-bit)", 64, 47,
                   _levels(("pgd", 46, 36), ("pmd", 35, 25), ("pte", 24, 14)), 14, _ARM64,
                   upper_from=47, upper_label="ttbr", fault=_ARM64_FAULT, fault_name="translation fault"),
        PagingMode("arm64-64k-42", "arm64, 64 KiB pages, 2 levels (42-bit)", 64, 42,
                   _levels(("pgd", 41, 29), ("pte", 28, 16)), 16, _ARM64,
                   upper_from=42, upper_label="ttbr", fault=_ARM64_FAULT, fault_name="translation fault"),
        PagingMode("arm64-4k-52", "arm64, 4 KiB pages, 5 levels (52-bit, LPA2)", 64, 52,
                   _levels(("pgd", 51, 48), ("p4d", 47, 39), ("pud", 38, 30), ("pmd", 29, 21), ("pte", 20, 12)),
                   12, _ARM64, upper_from=52, upper_label="ttbr", fault=_ARM64_FAULT, fault_name="translation fault"),
        PagingMode("riscv-sv39", "RISC-V Sv39, 3 levels (9/9/9/12)", 64, 39,
                   _levels(("pgd", 38, 30), ("pmd", 29, 21), ("pte", 20, 12)), 12, _RISCV,
                   fault=_RISCV_FAULT, fault_name="page fault"),
        PagingMode("riscv-sv48", "RISC-V Sv48, 4 levels (9/9/9/9/12)", 64, 48,
                   _levels(("pgd", 47, 39), ("pud", 38, 30), ("pmd", 29, 21), ("pte", 20, 12)), 12, _RISCV,
                   fault=_RISCV_FAULT, fault_name="page fault"),
        PagingMode("riscv-sv57", "RISC-V Sv57, 5 levels (9/9/9/9/9/12)", 64, 57,
                   _levels(("pgd", 56, 48), ("p4d", 47, 39), ("pud", 38, 30), ("pmd", 29, 21), ("pte", 20, 12)),
                   12, _RISCV, fault=_RISCV_FAULT, fault_name="page fault"),
    )
}

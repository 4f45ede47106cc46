"""The kernel's own "KASAN: ... in range [a-b]" line, reproduced.

mm/kasan/report.c, kasan_non_canonical_hook() (torvalds/linux @015b109f1f7a
and @11db24b67fea read for this):

    if (addr < KASAN_SHADOW_OFFSET)
        return;
    orig_addr = (addr - KASAN_SHADOW_OFFSET) << KASAN_SHADOW_SCALE_SHIFT;
    if (orig_addr < PAGE_SIZE)       bug_type = "null-ptr-deref";
    else if (orig_addr < TASK_SIZE)  bug_type = "probably user-memory-access";
    else                             bug_type = "maybe wild-memory-access";
    pr_alert("KASAN: %s in range [0x%016lx-0x%016lx]\n", bug_type,
             orig_addr, orig_addr + KASAN_GRANULE_SIZE - 1);

orig_addr is an unsigned long, so the shift wraps at 64 bits. Newer kernels
add one case before the last: an address inside the shadow region itself
(addr_in_shadow()) is "probably wild-memory-access". x86-64 calls the hook
from the #GP handler (a non-canonical address); arm64 calls it from
die_kernel_fault() for any kernel fault. The granule is 8 bytes for
generic KASAN (scale shift 3) and 16 for the software tag-based mode (4).

The translator words the same rule as a sentence; here it is needed as
data (the range and the words), to compare with the line the kernel printed.
"""

from __future__ import annotations

from dataclasses import dataclass

MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class KasanLine:
    start: int
    end: int  # inclusive, as the kernel prints it
    bug: str  # "null-ptr-deref", "probably user-memory-access", ...

    @property
    def kind(self) -> str:
        """The bug type without "probably"/"maybe"."""
        return self.bug.split()[-1]

    @property
    def text(self) -> str:
        return f"KASAN: {self.bug} in range [0x{self.start:016x}-0x{self.end:016x}]"


def kernel_line(addr: int, offset: int, scale_shift: int, *, page_size: int, task_size: int,
                shadow: tuple[int, int] | None = None) -> KasanLine | None:
    """What kasan_non_canonical_hook() prints for a fault at addr (None: it prints nothing).

    shadow is [KASAN_SHADOW_START, KASAN_SHADOW_END) for kernels whose hook has
    the addr_in_shadow() case; None for the older three-way rule.
    """
    if addr < offset:
        return None
    orig = ((addr - offset) << scale_shift) & MASK64
    if orig < page_size:
        bug = "null-ptr-deref"
    elif orig < task_size:
        bug = "probably user-memory-access"
    elif shadow is not None and shadow[0] <= addr < shadow[1]:
        bug = "probably wild-memory-access"
    else:
        bug = "maybe wild-memory-access"
    return KasanLine(orig, orig + (1 << scale_shift) - 1, bug)


def shadow_of(addr: int, offset: int, scale_shift: int) -> int:
    """The first byte a shadow byte at addr describes: (addr - offset) << shift, 64-bit."""
    return ((addr - offset) << scale_shift) & MASK64


def offset_from_line(fault: int, start: int, scale_shift: int) -> int:
    """KASAN_SHADOW_OFFSET as a printed line and its fault address imply it."""
    return (fault - (start >> scale_shift)) & MASK64

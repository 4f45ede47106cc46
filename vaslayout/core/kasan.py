"""KASAN's shadow arithmetic, and which line the kernel prints about it.

The decode is kasan_non_canonical_hook() in mm/kasan/report.c: for a
faulting address at or above KASAN_SHADOW_OFFSET it takes the address as a
shadow byte, works back to the granule of memory that byte describes,
(addr - KASAN_SHADOW_OFFSET) << KASAN_SHADOW_SCALE_SHIFT in an unsigned
long, and names it: null-ptr-deref below PAGE_SIZE, probably
user-memory-access below the current task's TASK_SIZE, probably
wild-memory-access inside the shadow region (addr_in_shadow(), newer
kernels), else maybe wild-memory-access. It prints

    KASAN: <bug type> in range [0x%016lx-0x%016lx]

Whether that line appears at all is the architecture's choice, and this
module says so instead of claiming it everywhere:

- x86-64 calls the hook from die_addr() only after a #GP whose address is
  non-canonical (arch/x86/kernel/traps.c, exc_general_protection: "KASAN is
  interested only in the non-canonical case, clear it otherwise"). A fault
  on a canonical address, the shadow region included, is a #PF and prints
  no decode.
- arm64 calls it from die_kernel_fault() for every kernel fault it cannot
  handle (arch/arm64/mm/fault.c), canonical or not, so any fault at or above
  the offset gets the line (kernels from about v6.0 on; the 5.9 report in the
  syzkaller fixtures has none).
- Software tag-based KASAN (arm64) uses the same hook with 16-byte granules
  (KASAN_SHADOW_SCALE_SHIFT 4, arch/arm64/Makefile). Hardware tag-based KASAN
  (MTE) has no shadow memory and no such hook (report.c builds it only for
  CONFIG_KASAN_GENERIC || CONFIG_KASAN_SW_TAGS).

Pure: reads a resolved Layout, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaslayout.core.model import Layout

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from typing import Any

MODES = {0: "generic", 1: "sw-tags", 2: "hw-tags"}
MODE_TITLES = {
    "generic": "generic KASAN",
    "sw-tags": "software tag-based KASAN",
    "hw-tags": "hardware tag-based KASAN (MTE)",
}

# TASK_SIZE of a 32-bit task on a 64-bit kernel, the value the hook compares with.
# x86-64: TASK_SIZE = TIF_ADDR32 ? IA32_PAGE_OFFSET : TASK_SIZE_MAX, and
# IA32_PAGE_OFFSET = ADDR_LIMIT_3GB ? 0xc0000000 : 0xFFFFe000
# (arch/x86/include/asm/page_64_types.h; processor.h in older kernels).
# arm64: TASK_SIZE = TIF_32BIT ? TASK_SIZE_32 : TASK_SIZE_64, and
# TASK_SIZE_32 = 0x100000000 - PAGE_SIZE (arch/arm64/include/asm/processor.h;
# 0x100000000 with 64 KiB pages and CONFIG_KUSER_HELPERS).
COMPAT_TASK_SIZE = {"x86_64": {1: 0xFFFF_E000, 2: 0xC000_0000}}
X86_TRIGGER = ("x86 prints a KASAN decode only after a #GP on a non-canonical address "
               "(arch/x86/kernel/traps.c, exc_general_protection)")
ARM64_TRIGGER = "arm64 prints it for any kernel fault it cannot handle (arch/arm64/mm/fault.c, die_kernel_fault)"


def mode_of(layout: Layout) -> str:
    """The layout's KASAN mode: its kasan_mode param (0 generic, 1 sw-tags, 2 hw-tags), else generic."""
    p = layout.params.get("kasan_mode")
    return MODES.get(p.value, "generic") if p is not None else "generic"


def compat_of(layout: Layout) -> int:
    """0 for a 64-bit task, 1 for a 32-bit (compat) one, 2 for x86's ADDR_LIMIT_3GB personality."""
    p = layout.params.get("compat_task")
    return p.value if p is not None else 0


def task_size(layout: Layout) -> int:
    """TASK_SIZE of the current task, as the hook sees it.

    A 32-bit task (the compat_task param) has the compat TASK_SIZE; a
    64-bit one the layout's TASK_SIZE_MAX or TASK_SIZE (arm64, RISC-V,
    32-bit layouts), else x86-64's (1 << __VIRTUAL_MASK_SHIFT) - PAGE_SIZE.
    """
    compat = compat_of(layout)
    page = 1 << layout.paging.page_shift
    if compat:
        table = COMPAT_TASK_SIZE.get(layout.arch)
        if table is not None and compat in table:
            return table[compat]
        if layout.arch == "arm64":
            return (1 << 32) - (page if page == 4096 else 0)
    declared = layout.role_value("task_size")  # the layout's `roles: {task_size: ...}`
    if declared is not None:
        return declared
    mode = layout.paging
    if mode.sign_extended:
        return (1 << (mode.va_bits - 1)) - page
    user = layout.role_region("user")
    return user.end if user is not None else 0


def shadow_bounds(layout: Layout) -> tuple[int, int] | None:
    """[KASAN_SHADOW_START, KASAN_SHADOW_END): the layout's own values, else x86-64's formula."""
    k = layout.kasan
    if k is None:
        return None
    start, end = layout.role_value("kasan_shadow_start"), layout.role_value("kasan_shadow_end")
    if start is not None and end is not None:  # the layout's own kasan.h values, declared as roles
        return start, end
    mode = layout.paging
    if mode.sign_extended:  # arch/x86/include/asm/kasan.h: the shadow of the kernel half
        shift = mode.va_bits - 1
        start = k.offset + ((layout.size - (1 << shift)) >> k.scale_shift)
        return start, start + (1 << (shift - k.scale_shift))
    regions = [r for path in layout.paths for r in path if r.kind == "kasan"]
    if not regions:
        return None
    return min(r.start for r in regions), max(r.end for r in regions)


@dataclass(frozen=True)
class ShadowByte:
    """An address read as a KASAN shadow byte, and what the kernel makes of a fault there."""

    address: int
    mode: str
    offset: int
    scale_shift: int
    start: int  # the first byte of memory this shadow byte describes (kasan_shadow_to_mem)
    bug: str  # the hook's words: null-ptr-deref, probably user-memory-access, ...
    in_shadow: bool  # inside [KASAN_SHADOW_START, KASAN_SHADOW_END)
    printed: bool | None  # does a fault here make the kernel print the line? None: not known here
    when: str  # where the architecture prints it, or why it does not

    @property
    def granule(self) -> int:
        return 1 << self.scale_shift

    @property
    def last(self) -> int:
        return self.start + self.granule - 1

    @property
    def kind(self) -> str:
        """The bug type without its hedge: null-ptr-deref, user-memory-access, wild-memory-access."""
        return self.bug.split(" ", 1)[-1]

    @property
    def line(self) -> str | None:
        """Exactly the kernel's line, where the kernel prints one."""
        if not self.printed:
            return None
        return f"KASAN: {self.bug} in range [0x{self.start:016x}-0x{self.last:016x}]"

    def covers_text(self, bits: int) -> str:
        digits = bits // 4
        return f"[0x{self.start:0{digits}x}-0x{self.last:0{digits}x}]"

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode, "shadow_offset": self.offset, "scale_shift": self.scale_shift,
            "covers": [self.start, self.last], "in_shadow": self.in_shadow,
            "printed": self.printed, "line": self.line,
            "kind": self.kind if self.printed else None, "when": self.when,
        }


def _printed(layout: Layout, canonical: bool) -> tuple[bool | None, str]:
    if layout.arch == "x86_64":
        if canonical:
            return False, X86_TRIGGER + ", and a fault on a canonical address such as this one is a page fault"
        return True, X86_TRIGGER
    if layout.arch == "arm64":
        return True, ARM64_TRIGGER
    return None, f"vaslayout does not know whether {layout.arch} kernels print this decode"


def decode(layout: Layout, addr: int, canonical: bool) -> ShadowByte | None:
    """kasan_non_canonical_hook(addr) in the layout's KASAN mode, or None where it returns early."""
    k = layout.kasan
    mode = mode_of(layout)
    if k is None or mode == "hw-tags" or addr < k.offset:
        return None
    orig = ((addr - k.offset) << k.scale_shift) & (layout.size - 1)
    bounds = shadow_bounds(layout)
    in_shadow = bounds is not None and bounds[0] <= addr < bounds[1]
    if orig < 1 << layout.paging.page_shift:
        bug = "null-ptr-deref"
    elif orig < task_size(layout):
        bug = "probably user-memory-access"
    elif in_shadow:
        bug = "probably wild-memory-access"
    else:
        bug = "maybe wild-memory-access"
    printed, when = _printed(layout, canonical)
    return ShadowByte(addr, mode, k.offset, k.scale_shift, orig, bug, in_shadow, printed, when)


def describe(layout: Layout, s: ShadowByte) -> str:
    """One sentence: what the shadow byte covers, and the kernel's line where it prints one."""
    covers = s.covers_text(layout.address_bits)
    title = MODE_TITLES[s.mode]
    if s.printed:
        lead = ("with KASAN, the #GP here makes the kernel print" if layout.arch == "x86_64"
                else "with KASAN, a kernel fault here makes the kernel print")
        return f"{lead} \"{s.line}\" ({title}: the shadow byte of the {s.granule} bytes {covers})"
    text = f"with {title} this is the shadow byte of the {s.granule} bytes {covers}"
    if s.printed is False:
        return f"{text}; {s.when}, so the kernel prints no KASAN line for a fault here"
    return text


def hw_tags_note(layout: Layout) -> str | None:
    """What hardware tag-based KASAN says instead of a shadow decode."""
    if layout.kasan is None or mode_of(layout) != "hw-tags":
        return None
    return ("hardware tag-based KASAN (MTE) keeps tags in the memory's tag storage, not in a shadow, "
            "so there is no shadow decode; a tag mismatch is reported by kasan_report() as "
            "\"BUG: KASAN: <bug type> in <function>\", and in asynchronous mode as "
            "\"BUG: KASAN: invalid-access\" with \"Asynchronous fault: no details available\" (mm/kasan/report.c)")

"""Which layout a report was printed by, and what it says of KASLR and KASAN.

Every choice keeps the line that made it, so the reader can check it:
x86-64 paging depth from CR4 bit 12 (LA57); arm64 page size and VA bits from
"swapper pgtable: 4k pages, 48-bit VAs"; PAE from "*pdpt = "; the 32-bit
split from where the kernel's own pointers sit; the kernel version from
the "CPU: ... Not tainted 6.1.0" line; KASAN from the oops flags, the
kernel's decoded line, __hwasan_ frames and the shadow offset found in a
register or in the "Code:" bytes. What the report does not hold is said
to be unknown, not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vaslayout.report.kasan import offset_from_line
from vaslayout.report.scan import Facts, Found

# KASAN_SHADOW_OFFSET values kernels are built with, to recognise one in a register.
# x86: arch/x86/Kconfig (KASAN_SHADOW_OFFSET 0xdffffc0000000000).
# arm64: arch/arm64/Kconfig (KASAN_SHADOW_OFFSET): 0xdfffa00000000000 for 48/52-bit VAs
# from v5.4 to v5.10, 0xdfff800000000000 since v5.11; software tags 0xefff900000000000
# (v5.4-v5.10) and 0xefff800000000000 (v5.11+); 0xdfffffd000000000 for 39-bit VAs.
KNOWN_OFFSETS: dict[str, tuple[tuple[int, int, str], ...]] = {
    "x86_64": ((0xdffffc0000000000, 3, "arch/x86/Kconfig KASAN_SHADOW_OFFSET"),),
    "arm64": (
        (0xdfff800000000000, 3, "arch/arm64/Kconfig KASAN_SHADOW_OFFSET, 48/52-bit VAs, v5.11+"),
        (0xdfffa00000000000, 3, "arch/arm64/Kconfig KASAN_SHADOW_OFFSET, 48/52-bit VAs, v5.4-v5.10"),
        (0xdfffffd000000000, 3, "arch/arm64/Kconfig KASAN_SHADOW_OFFSET, 39-bit VAs"),
        (0xefff800000000000, 4, "arch/arm64/Kconfig KASAN_SHADOW_OFFSET, SW_TAGS, 48/52-bit VAs, v5.11+"),
        (0xefff900000000000, 4, "arch/arm64/Kconfig KASAN_SHADOW_OFFSET, SW_TAGS, 48/52-bit VAs, v5.4-v5.10"),
    ),
}


@dataclass(frozen=True)
class Clue:
    what: str  # what was decided ("layout", "kasan", "kernel version", "bases", ...)
    text: str  # the reason, in words
    line: int | None = None  # the input line it rests on

    def to_json(self) -> dict[str, object]:
        return {"what": self.what, "text": self.text, "line": self.line}


@dataclass(frozen=True)
class KasanMode:
    mode: str  # "generic" | "sw-tags"
    offset: int
    scale_shift: int
    how: str  # where the offset came from
    hook_prints: bool  # does this kernel print the decoded line for this kind of fault?

    def to_json(self) -> dict[str, object]:
        return {"mode": self.mode, "offset": f"0x{self.offset:016x}", "scale_shift": self.scale_shift,
                "offset_from": self.how, "kernel_prints_line": self.hook_prints}


@dataclass(frozen=True)
class Era:
    """A region whose place differs in the report's kernel from the layout's table."""

    start: int
    end: int
    kind: str
    name: str
    why: str  # the kernel version and source that put it there


@dataclass(frozen=True)
class Base:
    name: str
    value: int | None  # None: unknown
    how: str

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "value": None if self.value is None else f"0x{self.value:016x}",
                "known": self.value is not None, "how": self.how}


@dataclass
class Evidence:
    arch: str
    layout_id: str | None  # None: no layout of this tool fits the report's kernel
    overrides: dict[str, str] = field(default_factory=dict)
    clues: list[Clue] = field(default_factory=list)
    version: tuple[int, int] | None = None
    kasan: KasanMode | None = None
    tbi: bool = False  # kernel pointers carry a tag in the top byte (software tag-based KASAN)
    va_bits: int | None = None  # arm64: from the pgtable line
    eras: list[Era] = field(default_factory=list)
    bases: list[Base] = field(default_factory=list)
    randomized: bool | None = None  # x86-64 memory KASLR: True moved, False defaults fit, None unknown


def parse_version(text: str | None) -> tuple[int, int] | None:
    m = re.match(r"(\d+)\.(\d+)", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def guess_arch(found: list[Found], facts: Facts) -> tuple[str, str]:
    """(arch, why) from the register names the dump uses."""
    names = {f.role.removeprefix("reg ") for f in found if f.role.startswith("reg ")}
    if any(re.fullmatch(r"x\d+", n) for n in names):
        return "arm64", "an arm64 register dump (x0-x30)"
    if names & {"ra", "t0", "a0", "s0", "gp", "tp"}:
        return "riscv", "a RISC-V register dump (ra, a0, s0, t0)"
    if any(re.fullmatch(r"r\d+", n) for n in names) or "ARM" in facts.flags:
        return "arm", "an ARM register dump (r0-r10, fp, ip)"
    fault = next((f for f in found if f.role == "fault"), None)
    if facts.kind == "abort":  # "Unable to handle kernel ... at virtual address": arm and arm64 wording
        if fault is not None and fault.digits > 8:
            return "arm64", "\"Unable to handle kernel ... at virtual address\" with a 64-bit address (arm64)"
        return "arm", "\"Unable to handle kernel ... at virtual address\" with a 32-bit address (ARM)"
    if facts.arch_hint:
        return facts.arch_hint, {"x86_64": "an x86-64 register dump (RIP, RAX..R15)",
                                 "i386": "an i386 register dump (EIP, EAX..)"}.get(facts.arch_hint, "")
    if fault is not None and fault.digits <= 8:
        return "i386", "an 8-digit fault address and no register dump"
    return "x86_64", "no register dump names the architecture; x86-64 assumed"


def _kernel_pointers(found: list[Found]) -> list[Found]:
    return [f for f in found if f.role in ("rip", "rsp", "reg lr", "reg task", "reg GS", "reg pgd", "reg fp")]


def _split_32(found: list[Found], prefix: str, splits: tuple[tuple[int, str], ...]) -> tuple[str, Clue]:
    ptrs = [f for f in _kernel_pointers(found) if f.role in ("rip", "rsp", "reg lr")]
    low = min((f.value for f in ptrs), default=None)
    for page_offset, name in splits:
        if low is not None and low >= page_offset:
            return f"{prefix}-{name}", Clue("layout", f"the kernel's pc/sp are at or above 0x{page_offset:08x} "
                                            f"(lowest 0x{low:08x}): PAGE_OFFSET 0x{page_offset:08x}", None)
    return f"{prefix}-3g", Clue("layout", "no kernel pc/sp to place PAGE_OFFSET; the default 3G/1G split")


def gather(found: list[Found], facts: Facts, layout_override: str | None = None,
           sets: dict[str, str] | None = None) -> Evidence:
    arch, why = guess_arch(found, facts)
    ev = Evidence(arch=arch, layout_id=None)
    ev.clues.append(Clue("architecture", why))
    ev.version = parse_version(facts.version)
    if facts.version:
        ev.clues.append(Clue("kernel version", f"the kernel says it is {facts.version}", facts.version_line))
    if arch == "x86_64":
        _x86_64(ev, found, facts)
    elif arch == "arm64":
        _arm64(ev, found, facts)
    elif arch == "arm":
        ev.layout_id, clue = _split_32(found, "arm-vmsplit", ((0xC0000000, "3g"), (0x80000000, "2g"),
                                                             (0x40000000, "1g")))
        ev.clues.append(clue)
    elif arch == "i386":
        ev.layout_id, clue = _split_32(found, "x86_32-vmsplit", ((0xC0000000, "3g"), (0xB0000000, "3g-opt"),
                                                                (0x80000000, "2g"), (0x78000000, "2g-opt"),
                                                                (0x40000000, "1g")))
        ev.clues.append(clue)
        if facts.pae:
            ev.overrides["pae"] = "1"
            ev.clues.append(Clue("layout", "the page-table walk prints *pdpt: PAE paging", facts.pae))
    elif arch == "riscv":
        kernel = [f.value for f in _kernel_pointers(found) if f.value >> 63]
        low = min(kernel, default=None)
        if low is None or low >= 0xffffffc000000000:
            ev.layout_id = "riscv-sv39"
        else:
            ev.layout_id = "riscv-sv48" if low >= 0xffff800000000000 else "riscv-sv57"
        shown = f"0x{low:016x}" if low is not None else "(none)"
        ev.clues.append(Clue("layout", f"the lowest kernel pointer {shown} fits {ev.layout_id}"))
    _kasan(ev, found, facts)
    if layout_override:
        ev.layout_id = layout_override
        ev.overrides = {}  # the evidence's overrides fit its own layout, not necessarily this one
        ev.clues.append(Clue("layout", f"{layout_override}: given on the command line (--layout or --capture)"))
    if sets:
        ev.overrides.update(sets)
        ev.clues.append(Clue("layout", "params given on the command line: "
                             + ", ".join(f"{k}={v}" for k, v in sets.items())))
    return ev


def _x86_64(ev: Evidence, found: list[Found], facts: Facts) -> None:
    five = False
    if facts.cr4 is not None:
        value, line = facts.cr4
        five = bool(value >> 12 & 1)
        ev.clues.append(Clue("layout", f"CR4 = 0x{value:x}: bit 12 (LA57) is {'set' if five else 'clear'}, so "
                             f"{'5' if five else '4'}-level paging", line))
    else:
        only5 = [f for f in _kernel_pointers(found) if f.value >> 56 == 0xFF and f.value >> 47 != 0x1FFFF]
        if only5:
            five = True
            ev.clues.append(Clue("layout", f"{only5[0].role} 0x{only5[0].value:016x} is canonical only with "
                                 "5-level paging (57-bit)", only5[0].line))
        else:
            ev.clues.append(Clue("layout", "no CR4 line and no address only 5-level paging can hold: 4-level assumed"))
    ev.layout_id = "x86_64-5level" if five else "x86_64-4level"
    if ev.version is not None and ev.version < (4, 20) and not five:
        ev.eras.append(Era(0xffff880000000000, 0xffffc80000000000, "direct-map",
                           "direct mapping of all physical memory (before v4.20)",
                           "before v4.20 __PAGE_OFFSET_BASE was 0xffff880000000000; v4.20 moved the direct map "
                           "to 0xffff888000000000 to make room for the LDT remap "
                           "(arch/x86/include/asm/page_64_types.h)"))
        ev.clues.append(Clue("layout", "a kernel older than v4.20: the direct map starts at 0xffff880000000000",
                             None))


def _arm64(ev: Evidence, found: list[Found], facts: Facts) -> None:
    page_k, ev.va_bits = 4, None
    if facts.pgtable is not None:
        table, page_k, ev.va_bits, line = facts.pgtable
        ev.clues.append(Clue("layout", f"\"{table} pgtable: {page_k}k pages, {ev.va_bits}-bit VAs\": the kernel "
                             f"walked {'TTBR1 (kernel)' if table == 'swapper' else 'TTBR0 (user)'} tables", line))
    ev.layout_id = "arm64-64k-52bit" if page_k == 64 else "arm64-4k-48bit"
    if page_k == 16 or (page_k == 4 and ev.va_bits not in (None, 48)):
        ev.clues.append(Clue("layout", f"no {page_k}k/{ev.va_bits}-bit arm64 layout here: regions are read from "
                             f"{ev.layout_id}, the canonical check uses {ev.va_bits} bits"))
    if page_k == 4 and ev.va_bits == 52:
        ev.eras.append(Era(0xfff0000000000000, 0xffff000000000000, "direct-map",
                           "linear map, the part only 52-bit VAs reach",
                           "with 52-bit VAs PAGE_OFFSET = _PAGE_OFFSET(52) = 0xfff0000000000000 "
                           "(arch/arm64/include/asm/memory.h)"))
    v = ev.version
    if v is not None and v < (5, 4):
        kernel = [f.value for f in _kernel_pointers(found) if f.value >> 63]
        if ev.va_bits is None and kernel and min(kernel) >= 0xffffff8000000000:
            ev.va_bits = 39
            ev.clues.append(Clue("layout", "every kernel pointer is above 0xffffff8000000000: 39-bit VAs"))
        ev.layout_id = None
        ev.clues.append(Clue("layout", f"arm64 before v5.4 kept the linear map in the top half of the kernel "
                             f"range (PAGE_OFFSET = -(1 << (VA_BITS - 1))); this tool has no layout for "
                             f"{facts.version}, so regions are not given"))
        return
    if v is not None:
        ev.overrides["va_layout"] = "1" if v >= (6, 9) else "0"
    if v is not None and v < (6, 5):
        base = 0xffff800000000000 if (ev.va_bits or 48) == 48 else 0xfff8000000000000
        if v < (5, 11):
            shadow_end = 0xffffa00000000000 if "KASAN" in facts.flags or _has_offset(found, 0xdfffa00000000000) \
                else base
            if shadow_end != base:
                ev.eras.append(Era(base, shadow_end, "kasan", "KASAN shadow (v5.4-v5.10)",
                                   "v5.4-v5.10 put the KASAN shadow right above the linear map "
                                   "(arch/arm64/include/asm/memory.h KASAN_SHADOW_START/END)"))
            ev.eras.append(Era(shadow_end, shadow_end + (128 << 20), "modules", "BPF JIT region (v5.4-v5.10)",
                               "BPF_JIT_REGION_START = KASAN_SHADOW_END, 128 MiB (arch/arm64/include/asm/memory.h)"))
            mods = shadow_end + (128 << 20)
            ev.eras.append(Era(mods, mods + (128 << 20), "modules", "modules (v5.4-v5.10)",
                               "MODULES_VSIZE = SZ_128M before v6.5 (arch/arm64/include/asm/memory.h)"))
            kimage = mods + (128 << 20)
            ev.eras.append(Era(kimage, kimage + (1 << 30), "kernel-text",
                               "kernel image at KIMAGE_VADDR (v5.4-v5.10, unless KASLR moved it)",
                               "KIMAGE_VADDR = MODULES_END; the image's end is not in the report, a 1 GiB window "
                               "is assumed (arch/arm64/include/asm/memory.h)"))
        else:
            ev.eras.append(Era(base, base + (128 << 20), "modules", "modules (before v6.5)",
                               "MODULES_VSIZE = SZ_128M before v6.5 (arch/arm64/include/asm/memory.h)"))
            ev.eras.append(Era(base + (128 << 20), base + (2 << 30), "vmalloc",
                               "vmalloc (before v6.5; the kernel image sits at its start)",
                               "VMALLOC_START = MODULES_END = PAGE_END + SZ_128M before v6.5 "
                               "(arch/arm64/include/asm/memory.h, pgtable.h)"))
        ev.clues.append(Clue("layout", f"kernel {v[0]}.{v[1]}: the arm64 area above the linear map is laid out "
                             "as that version did (modules 128 MiB)"))


def _has_offset(found: list[Found], value: int) -> bool:
    return any(f.value == value for f in found)


def _kasan(ev: Evidence, found: list[Found], facts: Facts) -> None:
    """KASAN mode and KASAN_SHADOW_OFFSET, from the strongest clue the report holds."""
    known = KNOWN_OFFSETS.get(ev.arch, ())
    tags = facts.hwasan is not None
    shift = 4 if tags else 3
    fault = next((f for f in found if f.role == "fault"), None)
    line = facts.kasan_line
    on_gp = ev.arch == "x86_64" and facts.kind == "gp"
    prints = on_gp or (ev.arch == "arm64" and ev.version is not None and ev.version >= (6, 0))
    if line is not None:
        width = line[2] - line[1] + 1
        shift = 4 if width == 16 else 3
        tags = tags or shift == 4
        if fault is not None:
            offset = offset_from_line(fault.value, line[1], shift)
            ev.kasan = KasanMode("sw-tags" if tags else "generic", offset, shift,
                                 f"the kernel's KASAN line and the fault address (granule {width} bytes)", True)
            ev.clues.append(Clue("kasan", f"the kernel printed \"KASAN: {line[0]} ...\": KASAN_SHADOW_OFFSET = "
                                 f"0x{offset:016x}, {width}-byte granules", line[3]))
    if ev.kasan is None:
        values = [(f.value, f.role, f.line) for f in found] + [(v, "Code: movabs", ln) for v, ln in facts.code_imm64]
        for offset, oshift, source in known:
            hit = next((v for v in values if v[0] == offset), None)
            if hit is not None and (not tags or oshift == 4):
                ev.kasan = KasanMode("sw-tags" if oshift == 4 else "generic", offset, oshift,
                                     f"{hit[1]} holds 0x{offset:016x} ({source})", prints)
                ev.clues.append(Clue("kasan", f"{hit[1]} = 0x{offset:016x}, the shadow offset inline KASAN "
                                     f"instrumentation loads ({source})", hit[2]))
                break
    said = "KASAN" in facts.flags or facts.kind == "kasan" or facts.title.startswith("BUG: KASAN")
    if ev.kasan is None and (said or tags) and known:
        offset, oshift, source = known[0]
        ev.kasan = KasanMode("sw-tags" if tags else "generic", offset, 4 if tags else oshift,
                             f"the default ({source})", prints)
        ev.clues.append(Clue("kasan", f"the report names KASAN; the default offset 0x{offset:016x} is assumed "
                             f"({source})"))
    ev.tbi = ev.kasan is not None and ev.kasan.mode == "sw-tags" and ev.arch == "arm64"
    if ev.kasan is None:
        ev.clues.append(Clue("kasan", "no sign of KASAN in the report"))

"""Each address of an oops explained: role, region, canonical form, KASAN decode, names, links.

The region comes from the translator (translate.translate) on the layout the
evidence chose; this module only adds what a crash report knows and a
layout does not: which register held what, the kernel's own KASAN line,
which KASLR bases the report pins down, and the regions an older kernel
placed elsewhere (evidence.Era).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vaslayout.core.model import Layout
from vaslayout.core.translate import translate
from vaslayout.errors import UserError

try:  # TASK_SIZE as kasan_non_canonical_hook() sees it: core.kasan where it exists, else the translator's
    from vaslayout.core.kasan import task_size as _task_size  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - before core/kasan.py
    from vaslayout.core.translate import _task_size  # type: ignore[attr-defined,no-redef]
from vaslayout.report import values
from vaslayout.report.evidence import Base, Clue, Evidence, gather
from vaslayout.report.kasan import KasanLine, kernel_line, shadow_of
from vaslayout.report.parse import Chunk, Line
from vaslayout.report.scan import Facts, Found, scan

MASK64 = (1 << 64) - 1
LayoutFor = Callable[[str, dict[str, str]], Layout]  # (layout id or file, params) -> the resolved layout
# Role order: the first role an address is seen in names it in the summary.
_RANK = ("fault", "cr2", "rip", "rsp", "reg GS", "reg task")
_RANDOMIZABLE = ("direct-map", "vmalloc", "vmemmap", "hole", "ldt", "ioremap")
_GOOD = ("direct-map", "vmalloc", "vmemmap", "kernel-text", "modules")
_ODD = ("ldt", "hole", "guard", "efi", "non-canonical")
# The GS base is a per-CPU area in RAM: with the default direct-map base it must be
# less than this far above it, else CONFIG_RANDOMIZE_MEMORY moved the base.
_PLAUSIBLE_RAM = 1 << 40


@dataclass(frozen=True)
class RegionAnswer:
    name: str | None
    kind: str | None  # None: not decided (see candidates)
    start: int | None = None
    end: int | None = None
    candidates: tuple[str, ...] = ()
    why: str = ""
    phys: int | None = None  # where the region's rule fixes the physical address (the translator's answer)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind,
                "start": None if self.start is None else f"0x{self.start:x}",
                "end": None if self.end is None else f"0x{self.end:x}",
                "candidates": list(self.candidates), "why": self.why,
                "phys": None if self.phys is None else f"0x{self.phys:x}"}


@dataclass(frozen=True)
class KasanAnswer:
    line: KasanLine
    printed: tuple[str, int, int, int] | None  # the kernel's own line, when this is its fault address
    matches: bool | None  # None: the kernel printed nothing to compare with
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"range": [f"0x{self.line.start:016x}", f"0x{self.line.end:016x}"], "kind": self.line.kind,
                "text": self.line.bug, "line": self.line.text, "kernel_line": self.printed[3] if self.printed else None,
                "matches_kernel_line": self.matches, "why": self.why}


@dataclass
class Explained:
    found: Found
    roles: list[str]
    canonical: bool
    half: str  # "user" | "kernel" | "non-canonical"
    region: RegionAnswer | None
    kasan: KasanAnswer | None = None
    shadow_of: int | None = None
    names: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    granule: int = 8  # bytes one shadow byte describes (16 with software tags)

    @property
    def address(self) -> int:
        return self.found.value

    @property
    def role(self) -> str:
        return self.roles[0]

    def note(self) -> str:
        parts = list(self.remarks)
        if self.region is not None and self.region.why:
            parts.append(self.region.why)
        if self.kasan is not None:
            parts.append(f"KASAN decode: {self.kasan.line.text}" + (f" ({self.kasan.why})" if self.kasan.why else ""))
        if self.shadow_of is not None:
            parts.append(f"the KASAN shadow byte of 0x{self.shadow_of:016x}..+{self.granule - 1}")
        parts += self.names + self.links
        return "; ".join(parts)

    def to_json(self, digits: int) -> dict[str, Any]:
        return {"address": f"0x{self.address:0{digits}x}", "role": self.role, "roles": self.roles,
                "line": self.found.line, "column": self.found.column,
                "canonical": self.canonical, "half": self.half,
                "region": self.region.to_json() if self.region else None,
                "kasan": self.kasan.to_json() if self.kasan else None,
                "kasan_shadow_of": None if self.shadow_of is None else f"0x{self.shadow_of:016x}",
                "names": self.names, "links": self.links, "note": self.note()}


@dataclass
class ExplainedReport:
    chunk: Chunk
    facts: Facts
    evidence: Evidence
    layout: Layout | None
    addresses: list[Explained]

    @property
    def lines(self) -> list[Line]:
        return self.chunk.lines

    @property
    def digits(self) -> int:
        return (self.layout.address_bits if self.layout else 64) // 4

    def to_json(self, index: int) -> dict[str, Any]:
        ev = self.evidence
        return {
            "index": index,
            "title": self.facts.title,
            "kind": self.facts.kind or "registers",
            "first_line": self.chunk.first.number,
            "last_line": self.chunk.lines[-1].number if self.chunk.lines else self.chunk.first.number,
            "thread": self.chunk.first.thread,
            "arch": ev.arch,
            "layout": ev.layout_id,
            "layout_overrides": dict(ev.overrides),
            "kernel": self.facts.version,
            "evidence": [c.to_json() for c in ev.clues],
            "kasan": ev.kasan.to_json() if ev.kasan else None,
            "kernel_kasan_line": _printed_json(self.facts.kasan_line),
            "bases": [b.to_json() for b in ev.bases],
            "memory_kaslr": {True: "randomized", False: "default bases fit", None: "unknown"}[ev.randomized],
            "addresses": [a.to_json(self.digits) for a in self.addresses],
        }


def _printed_json(printed: tuple[str, int, int, int] | None) -> dict[str, Any] | None:
    if printed is None:
        return None
    return {"text": printed[0], "range": [f"0x{printed[1]:016x}", f"0x{printed[2]:016x}"], "line": printed[3]}


def _untag(value: int) -> int:
    """An arm64 tagged pointer with the top byte restored (TBI: bits 63..56 ignored)."""
    return value | (0xFF << 56) if value >> 55 & 1 else value & ~(0xFF << 56) & MASK64


def _canonical(value: int, ev: Evidence, layout: Layout | None) -> bool:
    if ev.arch == "arm64" and (ev.va_bits is not None or layout is None):
        top = value >> (ev.va_bits or 48)
        return top in (0, (1 << (64 - (ev.va_bits or 48))) - 1)
    if layout is not None:
        return layout.paging.canonical(value)
    return value >> 47 in (0, 0x1FFFF) if value >> 32 else True


def _half(value: int, canonical: bool, layout: Layout | None, bits: int, arch: str) -> str:
    if not canonical:
        return "non-canonical"
    if arch == "arm64":  # canonical by the report's own VA bits: bit 55 picks TTBR1 (kernel) or TTBR0 (user)
        return "kernel" if value >> 55 & 1 else "user"
    if layout is not None and 0 <= value < layout.size:
        path = layout.path_at(value)
        if path and path[0].kind == "user-space":
            return "user"
        if path and path[0].kind == "non-canonical":
            return "non-canonical"
        return "kernel"
    return "kernel" if value >> (bits - 1) else "user"


def _region(value: int, ev: Evidence, layout: Layout | None) -> RegionAnswer | None:
    for era in ev.eras:
        if era.start <= value < era.end:
            return RegionAnswer(era.name, era.kind, era.start, era.end, why=era.why)
    if layout is None or not 0 <= value < layout.size:
        return None
    t = translate(layout, value)
    if not t.path:
        return None
    top, leaf = t.path[0], t.path[-1]
    if top.kind == "user-space" and leaf.kind not in ("guard",):
        return RegionAnswer(top.name, "user-space", top.start, top.end,
                            why="user memory; which mapping it is only the process's maps know")
    why = t.explanation if leaf.kind == "vmemmap" else ""  # the struct page's pfn, in the translator's words
    return RegionAnswer(leaf.name, leaf.kind, leaf.start, leaf.end, why=why, phys=t.phys)


def _order(found: list[Found]) -> list[tuple[Found, list[str]]]:
    """One entry per distinct value, in order of first appearance, with every role it played."""
    by_value: dict[int, tuple[Found, list[str]]] = {}
    for f in found:
        if f.value in by_value:
            roles = by_value[f.value][1]
            if f.role not in roles:
                roles.append(f.role)
        else:
            by_value[f.value] = (f, [f.role])
    out = []
    for first, roles in by_value.values():
        roles.sort(key=lambda r: _RANK.index(r) if r in _RANK else len(_RANK))
        out.append((first, roles))
    return out


def inherit(facts: Facts, others: list[Facts]) -> None:
    """What one kernel says once holds for all its oopses in the log: version, page tables, flags."""
    for other in others:
        if facts.version is None and other.version is not None:
            facts.version, facts.version_line = other.version, other.version_line
        if facts.pgtable is None and other.pgtable is not None:
            facts.pgtable = other.pgtable
        if not facts.flags and other.flags:
            facts.flags = set(other.flags)
        if facts.cr4 is None and other.cr4 is not None:
            facts.cr4 = other.cr4


def explain_chunk(chunk: Chunk, layout_for: LayoutFor, layout_override: str | None = None,
                  scanned: tuple[list[Found], Facts] | None = None,
                  sets: dict[str, str] | None = None) -> ExplainedReport:
    """layout_for(id, overrides) -> Layout: how layouts are loaded (cached by the caller)."""
    found, facts = scanned if scanned is not None else scan(chunk)
    ev = gather(found, facts, layout_override, sets)
    layout = layout_for(ev.layout_id, dict(ev.overrides)) if ev.layout_id else None
    bits = layout.address_bits if layout is not None else 64
    _bases(ev, found, facts, layout)
    layout = _enough_ram(ev, found, layout, layout_for)
    out: list[Explained] = []
    wide = 0
    for first, roles in _order(found):
        if first.value >> bits:
            wide += 1  # wider than the layout's addresses (a 64-bit word on a 32-bit layout)
            continue
        plain = _untag(first.value) if ev.tbi else first.value
        canonical = _canonical(plain, ev, layout)
        e = Explained(first, roles, canonical, _half(plain, canonical, layout, bits, ev.arch),
                      _region(plain, ev, layout) if canonical else _region(first.value, ev, layout))
        if ev.tbi and plain != first.value and canonical:
            e.remarks.append(f"tag 0x{first.value >> 56:02x} in the top byte (TBI); untagged 0x{plain:016x}")
        _kasan(e, ev, facts, layout)
        name = values.known_value(first.value, bits)
        if name and (name.startswith("NULL") and not {"fault", "cr2"} & set(roles)):
            name = None  # a small number in a register is a count or a flag, not a NULL-based pointer
        if name:
            e.names.append(name)
        _stale_cr2(e, facts, found)
        module = next((r[len("frame ["):-1] for r in roles if r.startswith("frame [")), None)
        if module:
            e.remarks.append(f"code of the module {module} (a module frame of the call trace)")
        _randomized(e, ev, found)
        out.append(e)
    if wide:
        ev.clues.append(Clue("layout", f"{wide} value(s) wider than the layout's {bits}-bit addresses are left out: "
                             "is the report from a 64-bit kernel?"))
    _link(out, ev, bits)
    _code_shifts(out, facts)
    return ExplainedReport(chunk, facts, ev, layout, out)


def _code_shifts(out: list[Explained], facts: Facts) -> None:
    """A register the Code: bytes shift right by 3 (`shr rdx, 3`) and that holds another's >> 3."""
    seen: set[tuple[str, int]] = set()
    for reg, n, line in facts.code_shifts:
        if (reg, n) in seen:
            continue
        seen.add((reg, n))
        names = {reg, reg.replace("R0", "R")}
        for e in out:
            if any(r.removeprefix("reg ") in names for r in e.roles) and any(">> " in link for link in e.links):
                e.links.append(f"the Code: line (line {line}) computes it: shr {reg.lower()}, {n}")


def _enough_ram(ev: Evidence, found: list[Found], layout: Layout | None, layout_for: LayoutFor) -> Layout | None:
    """With the bases known, RAM reaches at least the highest direct-map pointer: so much is assumed.

    The layout backs only its `ram` param with the direct map; a pointer
    above it would otherwise read as unbacked. The translator, on the layout
    with 1 TiB of RAM, says where each direct-map pointer lands; RAM is
    rounded up to 1 GiB above the highest and said as a clue.
    """
    if layout is None or ev.randomized is not False or "ram" not in layout.params or "ram" in ev.overrides:
        return layout
    ram = layout.params["ram"].value
    try:
        probe = layout_for(ev.layout_id, {**ev.overrides, "ram": hex(_PLAUSIBLE_RAM)})
    except UserError:
        return layout
    top = -1
    for f in found:
        if f.value >= layout.size or _region(f.value, ev, layout) is None:
            continue
        t = translate(probe, f.value)
        if t.region is not None and t.region.kind == "direct-map" and t.phys is not None:
            top = max(top, t.phys)
    if top < ram:
        return layout
    need = ((top >> 30) + 1) << 30
    try:
        bigger = layout_for(ev.layout_id, {**ev.overrides, "ram": hex(need)})
    except UserError:
        return layout
    ev.overrides["ram"] = hex(need)
    ev.clues.append(Clue("layout", f"RAM of at least {need >> 30} GiB assumed: a direct-map pointer of the report "
                         f"reaches physical 0x{top:x}, above the layout's default {ram >> 30} GiB"))
    return bigger


def _stale_cr2(e: Explained, facts: Facts, found: list[Found]) -> None:
    if e.role != "cr2" and "cr2" not in e.roles:
        return
    fault = next((f.value for f in found if f.role == "fault"), None)
    if facts.kind == "gp":
        e.remarks.append("stale: CR2 keeps the last page fault's address; a #GP does not write it")
    elif fault is not None and fault == e.address:
        e.remarks.append("CR2 = the faulting address")


def _kasan(e: Explained, ev: Evidence, facts: Facts, layout: Layout | None) -> None:
    k = ev.kasan
    if k is None and not (e.region is not None and e.region.kind == "kasan" and layout and layout.kasan):
        return
    offset, shift = (k.offset, k.scale_shift) if k else (layout.kasan.offset, layout.kasan.scale_shift)  # type: ignore
    if e.canonical and e.region is not None and e.region.kind == "kasan":
        e.shadow_of, e.granule = shadow_of(e.address, offset, shift), 1 << shift
        return
    if k is None:
        return
    is_fault = e.role == "fault"
    if e.canonical and not (is_fault and ev.arch == "arm64"):
        return  # the hook runs for #GP (non-canonical) on x86-64, for any kernel fault on arm64
    page_size = 1 << (layout.paging.page_shift if layout else 12)
    task_size = _task_size(layout) if layout else 1 << 47
    line = kernel_line(e.address, offset, shift, page_size=page_size, task_size=task_size)
    if line is None:
        return
    printed = facts.kasan_line if is_fault else None
    if printed is not None:
        same = (printed[0], printed[1], printed[2]) == (line.bug, line.start, line.end)
        why = "same as the kernel's line" if same else _differs(printed, line)
        e.kasan = KasanAnswer(line, printed, same, why)
    elif is_fault:
        why = ("this kernel printed no KASAN line (arm64 calls kasan_non_canonical_hook() from "
               "die_kernel_fault() only since v6.0)" if ev.arch == "arm64" else
               "the kernel printed no KASAN line" + ("" if facts.kind == "gp" else " (it decodes only a #GP)"))
        e.kasan = KasanAnswer(line, None, None, why)
    else:
        e.kasan = KasanAnswer(line, None, None, "what the kernel would print, had it faulted on this value")


def _differs(printed: tuple[str, int, int, int], line: KasanLine) -> str:
    if (printed[1], printed[2]) != (line.start, line.end):
        return (f"differs from the kernel's range [0x{printed[1]:016x}-0x{printed[2]:016x}]: "
                "another KASAN_SHADOW_OFFSET or granule")
    return (f"same range, but the kernel wrote \"{printed[0]}\": its TASK_SIZE or its version of "
            "kasan_non_canonical_hook() differs")


def _bases(ev: Evidence, found: list[Found], facts: Facts, layout: Layout | None) -> None:
    """KASLR bases the report pins down (x86-64), and whether memory KASLR moved the defaults."""
    if ev.arch != "x86_64" or layout is None:
        return
    if facts.kernel_offset is not None:
        off, frm, line = facts.kernel_offset
        ev.bases.append(Base("kernel text (_text)", (frm + off) & MASK64,
                             f"\"Kernel Offset: 0x{off:x} from 0x{frm:x}\" (line {line})"))
    elif facts.kaslr_disabled is not None:
        ev.bases.append(Base("kernel text (_text)", 0xffffffff81000000,
                             f"\"Kernel Offset: disabled\" (line {facts.kaslr_disabled})"))
    else:
        rip = next((f for f in found if f.role == "rip" and f.value >> 63), None)
        how = (f"RIP 0x{rip.value:016x} lies in the kernel text mapping" if rip else
               f"RIP is {facts.rip_symbol[0]}" if facts.rip_symbol else "no RIP in the report")
        ev.bases.append(Base("kernel text (_text)", None,
                             f"{how}; the KASLR slide inside the 1 GiB text mapping needs a \"Kernel Offset:\" line"))
    frames = [f for f in found if f.role.startswith("frame [")]
    if frames:
        f = frames[0]
        ev.bases.append(Base("modules", None, f"module {f.role[7:-1]} runs at 0x{f.value:016x} (line {f.line}); "
                             "with CONFIG_RANDOMIZE_BASE modules load at a random offset above MODULES_VADDR"))
    pob = layout.params.get("page_offset_base")
    vmb = layout.params.get("vmalloc_base")
    gs = next((f for f in found if f.role in ("reg GS", "reg knlGS") and f.value >> 63), None)
    direct = [era for era in ev.eras if era.kind == "direct-map"]
    default_pob = direct[0].start if direct else (pob.value if pob else None)
    given = [p for p in (pob, vmb) if p is not None and p.value != p.default]
    if given:  # --set or --capture named the bases: they are known, not inferred
        ev.randomized = False
        for p in given:
            ev.bases.append(Base(p.name, p.value, "given on the command line or by the capture"))
        return
    if gs is not None and default_pob is not None:
        region = _region(gs.value, ev, layout)
        phys = gs.value - default_pob
        if region is not None and region.kind == "direct-map" and 0 <= phys < _PLAUSIBLE_RAM:
            ev.randomized = False
            ev.bases.append(Base("page_offset_base", default_pob,
                                 f"the GS base 0x{gs.value:016x} (a per-CPU area, in the direct map) is "
                                 f"0x{phys:x} above the default base, inside any plausible RAM: the default "
                                 "bases fit (no sign of CONFIG_RANDOMIZE_MEMORY)"))
        else:
            ev.randomized = True
            ev.bases.append(Base("page_offset_base", None,
                                 f"the GS base 0x{gs.value:016x} would be 0x{phys:x} into RAM with the default "
                                 "base: CONFIG_RANDOMIZE_MEMORY moved it; page_offset_base is 1 GiB aligned, at or "
                                 "below the GS base"))
    else:
        ev.bases.append(Base("page_offset_base", None, "no GS base in the report to test the default against"))
    rsp = next((f for f in found if f.role == "rsp" and f.value >> 63), None)
    if rsp is not None and vmb is not None:
        region = _region(rsp.value, ev, layout)
        kind = region.kind if region else None
        if ev.randomized:
            how = f"RSP 0x{rsp.value:016x}: with moved bases, direct map (no VMAP_STACK) or vmalloc (VMAP_STACK)"
            ev.bases.append(Base("vmalloc_base", None, how))
        elif kind == "vmalloc":
            ev.bases.append(Base("vmalloc_base", vmb.value, f"RSP 0x{rsp.value:016x} lies in the default vmalloc "
                                 "area: a CONFIG_VMAP_STACK stack"))
        elif kind == "direct-map":
            ev.bases.append(Base("vmalloc_base", vmb.value if ev.randomized is False else None,
                                 f"RSP 0x{rsp.value:016x} is in the direct map: a stack without CONFIG_VMAP_STACK"))


def _randomized(e: Explained, ev: Evidence, found: list[Found]) -> None:
    """With moved bases, only the GS base's neighbourhood is known to be direct map."""
    if not ev.randomized or e.region is None or e.region.kind not in _RANDOMIZABLE or e.half != "kernel":
        return
    gs = next((f.value for f in found if f.role in ("reg GS", "reg knlGS") and f.value >> 63), None)
    if gs is not None and abs(e.address - gs) < 1 << 40:
        e.region = RegionAnswer("direct mapping of all physical memory", "direct-map",
                                why="within 1 TiB of the GS base, which is in the direct map (bases moved by KASLR)")
        return
    e.region = RegionAnswer(None, None, candidates=("direct-map", "vmalloc", "vmemmap"),
                            why="direct map or vmalloc (bases unknown: CONFIG_RANDOMIZE_MEMORY moved them)")


def _link(out: list[Explained], ev: Evidence, bits: int) -> None:
    """Relations between the report's values: shadow offset, x >> 3, shadow of a register, bit flips."""
    k = ev.kasan
    by_value = {e.address: e for e in out}
    fault = next((e for e in out if e.role == "fault"), None)
    shift = k.scale_shift if k else 3
    good = [e.address for e in out if e.region is not None and e.region.kind in _GOOD and e.half == "kernel"]
    for e in out:
        v = e.address
        if k is not None and v == k.offset:
            e.links.append("KASAN_SHADOW_OFFSET itself: inline KASAN instrumentation keeps it in a register")
        src = next((o for o in out if o is not e and o.address >> shift == v), None) if v >= 0x100 else None
        if src is not None:
            e.links.append(f"= {src.role} >> {shift}: the shadow index of {src.role}, before KASAN_SHADOW_OFFSET "
                           "is added")
        elif bits == 64 and not e.canonical and v >> 61 == 0 and v:
            wide = (v << shift) & MASK64
            if wide >> 47 == 0x1FFFF:
                e.links.append(f"(x >> {shift}) of a kernel address ~0x{wide:016x}: a shadow index before "
                               "KASAN_SHADOW_OFFSET is added")
        if fault is not None and k is not None and e is not fault and (v + k.offset) & MASK64 == fault.address:
            fault.links.append(f"= KASAN_SHADOW_OFFSET + {e.role}")
        if fault is not None and e is not fault and k is not None:
            if (v >> shift) + k.offset & MASK64 == fault.address:
                fault.links.append(f"the shadow byte of {e.role} = 0x{v:016x}: {e.role} holds the bad pointer")
                e.links.append("the bad pointer: the fault address is its KASAN shadow byte")
                name = values.known_value(v, bits)
                if name and name not in e.names:
                    e.names.append(name)
            elif fault.kasan is not None and fault.kasan.line.start <= v <= fault.kasan.line.end:
                e.links.append("inside the decoded KASAN range: the bad pointer itself")
        if fault is not None and e is not fault and 0 < fault.address - v < 0x1000 and v != (k.offset if k else -1):
            if e.role.startswith("reg"):
                fault.links.append(f"= {e.role} + 0x{fault.address - v:x}: a field of the object {e.role} points to")
            elif e.role == "object":
                fault.links.append(f"{fault.address - v} bytes into the object at 0x{v:016x}")
        if e.region is not None and e.region.kind in _ODD or not e.canonical:
            flip = values.one_bit_flip(v, good, bits)
            if flip is not None and flip[1] not in by_value:
                bit, fixed = flip
                near = min(good, key=lambda g: abs(g - fixed))
                e.links.append(f"one bit (bit {bit}) away from 0x{fixed:016x}, next to 0x{near:016x} of this report: "
                               "a flipped or corrupted pointer?")

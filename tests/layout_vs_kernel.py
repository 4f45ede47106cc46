"""Checks of a layout against what a real kernel said of itself (a capture): each returns the problems found.

Shared by the tests over the committed captures (tests/data/captures/, made by
scripts/real-kernels/) and usable on any capture: an empty list means the
layout agrees with the kernel on that point.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from vaslayout.core.model import Layout
from vaslayout.core.translate import translate
from vaslayout.proc.captured import CaptureSource, captured_process, read_vmallocinfo
from vaslayout.proc.live import with_mappings
from vaslayout.proc.real import dmesg_zones

# kcore segment kind -> the region kinds it may lie in (fs/proc/kcore.c: KCORE_TEXT, KCORE_VMALLOC, ...)
SEGMENT_KINDS = {
    "text": {"kernel-text"},
    "vmalloc": {"vmalloc"},
    "modules": {"modules"},
    "ram": {"direct-map"},
    "vmemmap": {"vmemmap"},
    "user": {"vsyscall"},
}
AREA_KINDS = {"vmalloc", "modules", "ioremap"}


def _kinds_at(layout: Layout, addr: int) -> set[str]:
    return {r.kind for r in layout.path_at(addr)}


def kcore_segments(source: CaptureSource, layout: Layout) -> list[str]:
    """Every kcore PT_LOAD lies, first and last byte, in a region of its kind; RAM and text translate back."""
    problems = []
    for seg in source.info.real.segments:
        want = SEGMENT_KINDS[seg.kind]
        for where, addr in (("first", seg.vaddr), ("last", seg.end - 1)):
            if addr >= layout.size or not want & _kinds_at(layout, addr):
                got = sorted(_kinds_at(layout, addr)) if addr < layout.size else ["beyond the layout"]
                problems.append(f"{seg.kind} segment {seg.vaddr:#x}+{seg.size:#x}: {where} byte {addr:#x} in {got}")
        if seg.kind in ("ram", "text") and seg.paddr is not None and seg.vaddr < layout.size:
            phys = translate(layout, seg.vaddr).phys
            if phys != seg.paddr:
                shown = "nothing" if phys is None else f"{phys:#x}"
                problems.append(f"{seg.kind} segment {seg.vaddr:#x} is phys {seg.paddr:#x}, the layout says {shown}")
    return problems


def area_bounds(source: CaptureSource, layout: Layout) -> list[str]:
    """kcore's vmalloc and module segments are the layout's vmalloc and module areas, start and end.

    x86 defines VMALLOC_END as the last byte, so its segment is one byte short of the area.
    """
    problems = []
    for seg in source.info.real.segments:
        if seg.kind not in ("vmalloc", "modules") or seg.vaddr >= layout.size:
            continue
        # the outermost region of that kind: the area itself, not a part of it (arm64's image splits vmalloc)
        region = next((r for r in layout.path_at(seg.vaddr) if r.kind == seg.kind), None)
        if region is None:
            problems.append(f"{seg.kind} segment at {seg.vaddr:#x}: no {seg.kind} region there")
        elif region.start != seg.vaddr or region.end not in (seg.end, seg.end + 1):
            problems.append(f"{seg.kind}: kernel [{seg.vaddr:#x}, {seg.end:#x}), "
                            f"layout {region.name!r} [{region.start:#x}, {region.end:#x})")
    return problems


def vmalloc_areas(source: CaptureSource, layout: Layout) -> list[str]:
    """Every vmallocinfo area lies in vmalloc, modules or ioremap space."""
    problems = []
    for area in read_vmallocinfo(source.root):
        for addr in (area.start, area.end - 1):
            if addr >= layout.size or not AREA_KINDS & _kinds_at(layout, addr):
                got = sorted(_kinds_at(layout, addr)) if addr < layout.size else ["beyond the layout"]
                problems.append(f"{area.caller} area {area.start:#x}-{area.end:#x}: {addr:#x} in {got}")
                break
    return problems


def text_symbol(source: CaptureSource, layout: Layout) -> list[str]:
    """_text (or _stext, where kallsyms lists no _text) lies in kernel text."""
    name = "_text" if "_text" in source.info.symbols else "_stext"
    text = source.info.symbols.get(name)
    if text is None:
        return ["the capture shows neither _text nor _stext"]
    kinds = _kinds_at(layout, text)
    return [] if "kernel-text" in kinds else [f"{name} {text:#x} in {sorted(kinds)}"]


def process_mappings(source: CaptureSource, layout: Layout) -> list[str]:
    """Each mapping of the captured process becomes exactly one region, inside user space (or vsyscall)."""
    problems = []
    maps = captured_process(source.root, source.pid or 0)
    if not maps:
        return ["the capture holds no process maps"]
    drawn = with_mappings(layout, maps, source.pid or 0, "captured process")
    counts = Counter(id(r.mapping) for r in drawn.leaves if r.mapping is not None)
    problems += [f"{m.start:#x}-{m.end:#x} {m.name}: {counts[id(m)]} regions" for m in maps if counts[id(m)] != 1]
    for m in maps:
        first, last = layout.path_at(m.start), layout.path_at(m.end - 1)
        if first[0] is not last[0]:
            problems.append(f"{m.start:#x}-{m.end:#x} {m.name}: spans {first[0].name!r} and {last[0].name!r}")
        elif first[0].kind != "user-space" and "vsyscall" not in {r.kind for r in first}:
            problems.append(f"{m.start:#x}-{m.end:#x} {m.name}: in {first[0].name!r} ({first[0].kind})")
    return problems


def _zone_name(name: str) -> str:
    return name.removeprefix("ZONE_").lower()


def zones(source: CaptureSource, layout: Layout) -> list[str]:
    """The layout's zones end where the kernel's "Zone ranges" do, and start at the first RAM in them."""
    with open(f"{source.root}/dmesg", encoding="utf-8", errors="replace") as f:
        kernel = dmesg_zones(f.read())
    if not kernel:
        return ["the capture's dmesg has no Zone ranges"]
    ram = source.info.ram_ranges
    ours = {_zone_name(z.name): z for z in layout.zones if z.end > z.start}
    problems = []
    for name, start, end in kernel:
        zone = ours.get(name.lower())
        if zone is None:
            problems.append(f"zone {name} [{start:#x}, {end:#x}): the layout has no such zone")
            continue
        first_ram = min((max(s, zone.start) for s, e in ram if e > zone.start and s < zone.end), default=zone.start)
        if (first_ram, zone.end) != (start, end):
            problems.append(f"zone {name}: kernel [{start:#x}, {end:#x}), layout [{first_ram:#x}, {zone.end:#x})")
    extra = set(ours) - {n.lower() for n, _, _ in kernel}
    problems += [f"zone {name}: in the layout, empty or absent in the kernel" for name in sorted(extra)]
    return problems


def ram_ranges(source: CaptureSource, layout: Layout) -> list[str]:
    """The physical memory is iomem's System RAM ranges, and each is reached through the direct map."""
    got = [(r.start, r.end) for r in layout.physical if r.name == "System RAM"]
    problems = [] if got == list(source.info.ram_ranges) else [f"physical ranges {got} are not iomem's"]
    ram_segments = [s for s in source.info.real.segments if s.kind == "ram"]
    for seg in ram_segments:
        if seg.vaddr >= layout.size or "direct-map" not in _kinds_at(layout, seg.vaddr):
            problems.append(f"RAM at phys {seg.paddr:#x} (virt {seg.vaddr:#x}) is not in the direct map")
    return problems


CHECKS: dict[str, Callable[[CaptureSource, Layout], list[str]]] = {
    "kcore_segments": kcore_segments,
    "area_bounds": area_bounds,
    "vmalloc_areas": vmalloc_areas,
    "text_symbol": text_symbol,
    "process_mappings": process_mappings,
    "zones": zones,
    "ram_ranges": ram_ranges,
}

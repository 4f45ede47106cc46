"""The physical side of a layout: RAM, zones, and how the kernel reaches a highmem page.

Pure arithmetic over a resolved Layout, for `show --physical-model` and the
split view. kmap() and kmap_local_page() are modelled as the kernel's
mm/highmem.c does them: the first kmap() takes pkmap slot 1 (the slot
counter starts at 0 and is advanced before use), and kmap_local_page() on
CPU c uses fixmap slot FIX_KMAP_BEGIN + idx + KM_MAX_IDX * c.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaslayout.core.model import Layout, PhysRange, Region, Span

PAGE = 4096


@dataclass(frozen=True)
class PhysPiece:
    """A stretch of physical addresses with one range (or none) and one zone (or none)."""

    start: int
    end: int
    range: PhysRange | None
    zone: PhysRange | None

    @property
    def name(self) -> str:
        return self.range.name if self.range else "no RAM"

    @property
    def kind(self) -> str:
        return self.range.kind if self.range else "hole"

    @property
    def size(self) -> int:
        return self.end - self.start

    def contains(self, phys: int) -> bool:
        return self.start <= phys < self.end


def phys_top(layout: Layout) -> int:
    return 1 << (layout.physical_bits or layout.address_bits)


def phys_pieces(layout: Layout) -> list[PhysPiece]:
    """[0, 2^physical_bits) cut at every range and zone edge, in address order."""
    top = phys_top(layout)
    edges = {0, top}
    for p in (*layout.physical, *layout.zones):
        edges.update((p.start, min(p.end, top)))
    cuts = sorted(e for e in edges if 0 <= e <= top)
    out = []
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        rng = next((p for p in layout.physical if p.start <= lo < p.end), None)
        zone = next((z for z in layout.zones if z.start <= lo < z.end), None)
        out.append(PhysPiece(lo, hi, rng, zone))
    return out


def _first(layout: Layout, kind: str) -> Region | None:
    return next((r for r in layout.leaves if r.kind == kind), None)


@dataclass(frozen=True)
class TempMapping:
    """A temporary kernel mapping of one highmem page."""

    how: str  # "kmap" | "kmap_local"
    virt: int
    phys: int
    slot: int  # pkmap slot (PKMAP_NR) or fixmap index
    region: Region
    explanation: str


def kmap(layout: Layout, phys: int, nth: int = 1) -> TempMapping | None:
    """What kmap() of the page at phys does: the nth pkmap slot gets a PTE for it."""
    pkmap = layout.role_region("pkmap") or _first(layout, "pkmap")
    if pkmap is None:
        return None
    slots = pkmap.size // PAGE
    slot = nth % slots
    virt = pkmap.start + slot * PAGE
    page = phys - phys % PAGE
    return TempMapping(
        "kmap", virt, page, slot, pkmap,
        f"kmap(): pkmap slot {slot} of {slots}: PTE {slot} of the pkmap page table now maps phys "
        f"{page:#x}, so the page is at {virt:#x} until kunmap(). The kernel has only {slots} such "
        "slots for all of highmem, which is why the mapping is temporary.")


def kmap_local(layout: Layout, phys: int, cpu: int = 0, idx: int = 0) -> TempMapping | None:
    """What kmap_local_page() does: a per-CPU fixmap slot, counted down from FIXADDR_TOP."""
    top, begin = layout.role_value("fixaddr_top"), layout.role_value("fix_kmap_begin")
    if top is None or begin is None:
        return None
    per_cpu = layout.role_value("km_max_idx") or 16
    slot = begin + idx + per_cpu * cpu
    virt = top - slot * PAGE
    region = next((r for r in layout.leaves if r.contains(virt)), None)
    if region is None:
        return None
    page = phys - phys % PAGE
    return TempMapping(
        "kmap_local", virt, page, slot, region,
        f"kmap_local_page() on CPU {cpu}: fixmap slot FIX_KMAP_BEGIN + {idx} + KM_MAX_IDX * {cpu} = {slot}, "
        f"at FIXADDR_TOP - {slot} pages = {virt:#x}, maps phys {page:#x} until kunmap_local(); only this "
        "CPU may use it, and no lock is needed.")


@dataclass(frozen=True)
class ZoneLimit(Span):
    """The zone a physical address belongs to by the kernel's zone limits, whatever the RAM.

    A layout's zones are the spans of the machine it models (zone_sizes_init()
    ends each at max_pfn); an address beyond that RAM still has a zone by the
    limits, and this names it.
    """

    name: str
    start: int
    end: int
    why: str  # the limit, with its kernel source
    kind: str = "zone"


_MAX_DMA = 16 << 20  # MAX_DMA_PFN = (16UL * 1024 * 1024) >> PAGE_SHIFT, arch/x86/include/asm/dma.h
_MAX_DMA32 = 4 << 30  # MAX_DMA32_PFN = 1UL << (32 - PAGE_SHIFT), arch/x86/include/asm/dma.h


def zone_by_limits(layout: Layout, phys: int) -> ZoneLimit | None:
    """ZONE_DMA / ZONE_DMA32 / ZONE_NORMAL / ZONE_HIGHMEM of phys by the limits x86 zone_sizes_init() uses.

    The zones are those of include/linux/mmzone.h (enum zone_type). x86-64:
    ZONE_DMA below MAX_DMA_PFN (16 MiB), ZONE_DMA32 below MAX_DMA32_PFN
    (4 GiB), ZONE_NORMAL above. 32-bit x86: ZONE_DMA below 16 MiB,
    ZONE_NORMAL below MAXMEM (the most RAM lowmem can hold), ZONE_HIGHMEM
    above. Other architectures set their DMA limits from the firmware's
    description of the machine, so no zone is claimed for them.
    """
    top = phys_top(layout)
    dma = ZoneLimit("ZONE_DMA", 0, _MAX_DMA, "below MAX_DMA_PFN, 16 MiB: arch/x86/include/asm/dma.h")
    if layout.arch == "x86_64":
        zones = [dma, ZoneLimit("ZONE_DMA32", _MAX_DMA, _MAX_DMA32,
                                "below MAX_DMA32_PFN, 4 GiB: arch/x86/include/asm/dma.h"),
                 ZoneLimit("ZONE_NORMAL", _MAX_DMA32, top, "from 4 GiB up: include/linux/mmzone.h, arch/x86/mm/init.c")]
    elif layout.arch in ("x86", "i386", "x86_32") and "MAXMEM" in layout.derived:
        maxmem = layout.derived["MAXMEM"].value
        zones = [dma, ZoneLimit("ZONE_NORMAL", _MAX_DMA, maxmem, f"below MAXMEM, {maxmem:#x}: lowmem"),
                 ZoneLimit("ZONE_HIGHMEM", maxmem, top, "from MAXMEM up: include/linux/mmzone.h, arch/x86/mm/init.c")]
    else:
        return None
    return next((z for z in zones if z.start <= phys < z.end), None)

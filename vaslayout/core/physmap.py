"""The physical side of a layout: RAM, zones, and how the kernel reaches a highmem page.

Pure arithmetic over a resolved Layout, for `show --physical-model` and the
split view. kmap() and kmap_local_page() are modelled as the kernel's
mm/highmem.c does them: the first kmap() takes pkmap slot 1 (the slot
counter starts at 0 and is advanced before use), and kmap_local_page() on
CPU c uses fixmap slot FIX_KMAP_BEGIN + idx + KM_MAX_IDX * c.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaslayout.core.model import Layout, PhysRange, Region

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
    pkmap = _first(layout, "pkmap")
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
    d = layout.derived
    if "FIXADDR_TOP" not in d or "FIX_KMAP_BEGIN" not in d:
        return None
    per_cpu = d["KM_MAX_IDX"].value if "KM_MAX_IDX" in d else 16
    slot = d["FIX_KMAP_BEGIN"].value + idx + per_cpu * cpu
    virt = d["FIXADDR_TOP"].value - slot * PAGE
    region = next((r for r in layout.leaves if r.contains(virt)), None)
    if region is None:
        return None
    page = phys - phys % PAGE
    return TempMapping(
        "kmap_local", virt, page, slot, region,
        f"kmap_local_page() on CPU {cpu}: fixmap slot FIX_KMAP_BEGIN + {idx} + KM_MAX_IDX * {cpu} = {slot}, "
        f"at FIXADDR_TOP - {slot} pages = {virt:#x}, maps phys {page:#x} until kunmap_local(); only this "
        "CPU may use it, and no lock is needed.")

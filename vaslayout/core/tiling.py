"""Siblings sorted and their gaps filled with `unused` holes: the engine's tiling, without the engine.

A live process's mappings are tiled into its user half by this alone, so
`lookup --pid` needs neither the engine nor PyYAML (the loader, whose
LayoutError an overlap raises, is imported only when there is one).
"""

from __future__ import annotations

from itertools import pairwise

from vaslayout.core.kinds import HOLE
from vaslayout.core.model import Region
from vaslayout.core.units import fmt_bound

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from vaslayout.core.spec import RegionSpec


def tile(regions: list[Region], lo: int, hi: int, bits: int) -> tuple[Region, ...]:
    """Sorted, non-overlapping regions with `unused` holes between them, filling [lo, hi)."""
    if any(a.start > b.start for a, b in pairwise(regions)):
        regions = sorted(regions, key=lambda r: r.start)
    return _fill(regions, None, lo, hi, bits)  # no pair per region: a live process brings 65,530


def siblings(pairs: list[tuple[RegionSpec | None, Region | None]], lo: int, hi: int,
             bits: int) -> tuple[Region, ...]:
    """Sort, refuse overlaps, and fill the gaps between siblings with holes."""
    kept = [(s, r) for s, r in pairs if r is not None]
    if any(kept[i][1].start > kept[i + 1][1].start for i in range(len(kept) - 1)):
        kept.sort(key=lambda p: p[1].start)
    return _fill([r for _, r in kept], [s for s, _ in kept], lo, hi, bits)  # type: ignore[misc]


def _fill(regions: list[Region], specs: list[RegionSpec | None] | None, lo: int, hi: int,
          bits: int) -> tuple[Region, ...]:
    """The sorted regions with holes between them; an overlap is a LayoutError at the later one's spec."""
    if not regions:
        return ()
    out: list[Region] = []
    cursor = lo
    prev: Region | None = None
    for i, region in enumerate(regions):
        if prev is not None and region.start < prev.end:
            from vaslayout.core.loader import LayoutError

            spec = specs[i] if specs is not None else None
            raise LayoutError(
                f"{region.name!r} [{fmt_bound(region.start, bits)}, {fmt_bound(region.end, bits)}) overlaps "
                f"{prev.name!r} [{fmt_bound(prev.start, bits)}, {fmt_bound(prev.end, bits)})",
                spec.pos if spec else None)
        if region.start > cursor:
            out.append(gap(cursor, region.start))
        out.append(region)
        cursor = region.end
        prev = region
    if cursor < hi:
        out.append(gap(cursor, hi))
    return tuple(out)


def gap(start: int, end: int) -> Region:
    return Region("unused", HOLE, start, end, None,
                  "No region of the layout covers this range.", "", None, (), synthetic=True)

"""Which rows of the map show which addresses: pure arithmetic, no drawing.

Two kinds of view. A *level* view shows the children of one region, each a
block of at least one row (so a 4 KiB page next to an 8 EiB hole both get
a labelled row); the scale mode decides how spare rows are shared. A
*window* view is a linear slice [lo, hi) of the address space, every row
the same number of bytes, for continuous zoom around the cursor.
Row 0 is the top of the map and holds the highest addresses.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from itertools import accumulate

from vaslayout.core.model import Layout, Region

SCALES = ("log", "proportional", "equal")
SCALE_TITLES = {"log": "logarithmic", "proportional": "proportional", "equal": "equal"}


def _weight(size: int, scale: str) -> float:
    if scale == "equal":
        return 1.0
    if scale == "proportional":
        return float(size)
    return max(1.0, math.log2(max(size, 2)) - 11)


def allocate(sizes: list[int], rows: int, scale: str, fixed: frozenset[int] = frozenset()) -> list[int] | None:
    """Heights, one per region, each >= 1, summing to max(rows, len(sizes)).

    None means "all ones" (more regions than rows): the common case for a
    huge process, answered without building a list. The regions at the
    indices in `fixed` keep one row (an outline's headers, a collapsed hole).
    """
    n = len(sizes)
    if n == 0:
        return []
    spare = rows - n
    if spare <= 0:
        return None
    weights = [0.0 if i in fixed else _weight(s, scale) for i, s in enumerate(sizes)]
    total = sum(weights) or 1.0
    shares = [w / total * spare for w in weights]
    heights = [1 + int(s) for s in shares]
    left = rows - sum(heights)
    order = sorted(range(n), key=lambda i: shares[i] - int(shares[i]), reverse=True)
    for i in order[:left]:
        heights[i] += 1
    return heights


@dataclass(frozen=True)
class Block:
    region: Region
    index: int  # position in the band, 0 at the top
    top: int  # first row
    height: int
    lo: int  # addresses this block stands for (a window clips them)
    hi: int
    more: int = 0  # window rows: other leaves squeezed into this block's rows
    header: bool = False  # an outline's title row for a half: it holds no address of its own

    def row_of(self, addr: int) -> int:
        """The row (absolute) that shows addr; higher addresses sit higher."""
        span = self.hi - self.lo
        k = (addr - self.lo) * self.height // span if span else 0
        return self.top + self.height - 1 - min(max(k, 0), self.height - 1)

    def rows_range(self, row: int) -> tuple[int, int]:
        """[lo, hi) of the addresses that one row of the block stands for."""
        k = self.top + self.height - 1 - row
        span = self.hi - self.lo
        return self.lo + span * k // self.height, self.lo + span * (k + 1) // self.height


class LevelBand:
    """The children of one region, highest first.

    Nothing here is O(n) when there are more regions than rows (a process
    with 65,530 mappings): each region then gets one row and block i is
    simply the i-th region from the top.
    """

    def __init__(self, regions: tuple[Region, ...], rows: int, scale: str,
                 fixed: frozenset[int] = frozenset()) -> None:
        self._regions = regions  # ascending, as the engine sorted them
        n = len(regions)
        self.heights = None if n >= rows else allocate([r.size for r in reversed(regions)], rows, scale, fixed)
        self.tops = None if self.heights is None else [0, *accumulate(self.heights)][:-1]
        self.rows = n if self.heights is None else rows

    def __len__(self) -> int:
        return len(self._regions)

    @property
    def regions(self) -> tuple[Region, ...]:
        """The band's regions in ascending address order (block 0 is the last of them)."""
        return self._regions

    def region(self, index: int) -> Region:
        return self._regions[len(self._regions) - 1 - index]

    def is_header(self, index: int) -> bool:
        return False

    def block(self, index: int) -> Block:
        r = self.region(index)
        header = self.is_header(index)
        if self.heights is None or self.tops is None:
            return Block(r, index, index, 1, r.start, r.end, header=header)
        return Block(r, index, self.tops[index], self.heights[index], r.start, r.end, header=header)

    def block_at_row(self, row: int) -> Block | None:
        if not 0 <= row < self.rows:
            return None
        if self.tops is None:
            return self.block(row)
        return self.block(bisect.bisect_right(self.tops, row) - 1)

    def index_of(self, addr: int) -> int | None:
        i = bisect.bisect_right(self._regions, addr, key=lambda r: r.start) - 1
        if i < 0 or not self._regions[i].contains(addr):
            return None
        return len(self._regions) - 1 - i


COLLAPSED = ("non-canonical",)  # kinds the outline draws as one row whatever their size


@dataclass(frozen=True)
class Outline:
    """The first screen of a layout: each top-level region with children as a header over its rows.

    A child of the same kind as its parent (x86-64's "user-space virtual
    memory" inside "user space") only wraps the rows people look for, so
    its children stand in its place; neighbouring non-canonical regions
    become one collapsed row. Pure data, made once per layout (outline_of).
    """

    entries: tuple[Region, ...]  # ascending, a header just above (after) its rows
    headers: frozenset[int]  # positions in entries
    fixed: frozenset[int]  # headers and collapsed holes: one row each

    @property
    def body(self) -> tuple[Region, ...]:
        """The entries that are not headers, ascending: they tile the space."""
        return tuple([e for i, e in enumerate(self.entries) if i not in self.headers])

    def position_of(self, addr: int) -> int | None:
        """The position in entries of the row (never a header) that holds addr, by bisection.

        A header sorts as the row just before it, so the entries' keys never
        fall: nothing beside the entries themselves is kept for 65,530 rows.
        """
        entries, headers = self.entries, self.headers
        i = bisect.bisect_right(range(len(entries)), addr,
                                key=lambda i: entries[i - 1 if i in headers and i else i].start) - 1
        while i in headers:
            i -= 1
        return i if i >= 0 and entries[i].contains(addr) else None


def _rows_of(half: Region) -> tuple[Region, ...]:
    out: list[Region] = []
    for child in half.children:
        out.extend(_rows_of(child) if child.children and child.kind == half.kind else (child,))
    return tuple(out)


def _outline(layout: Layout) -> Outline:
    entries: list[Region] = []
    headers: set[int] = set()
    fixed: set[int] = set()
    for top in layout.root.children:
        if top.kind in COLLAPSED and not top.children:
            last = len(entries) - 1
            prev = entries[-1] if entries else None
            if prev is not None and last in fixed and last not in headers and prev.kind == top.kind \
                    and prev.end == top.start:  # both sides of the hole: one row
                entries[-1] = Region("non-canonical hole", top.kind, prev.start, top.end, synthetic=True,
                                     description=prev.description, source=prev.source)
            else:
                fixed.add(len(entries))
                entries.append(top)
        elif top.children:
            entries.extend(_rows_of(top))
            headers.add(len(entries))
            fixed.add(len(entries))
            entries.append(top)
        else:
            entries.append(top)
    return Outline(tuple(entries), frozenset(headers), frozenset(fixed))


_OUTLINES: dict[int, tuple[Layout, Outline]] = {}


def outline_of(layout: Layout) -> Outline:
    """The layout's outline, remembered while the layout is the one shown (a live process makes new ones)."""
    known = _OUTLINES.get(id(layout))
    if known is None or known[0] is not layout:
        if len(_OUTLINES) > 8:
            _OUTLINES.clear()
        known = _OUTLINES[id(layout)] = (layout, _outline(layout))
    return known[1]


class OutlineBand(LevelBand):
    """The outline as a band: headers one row, rows shared as in a level view, lookups by bisection."""

    def __init__(self, layout: Layout, rows: int, scale: str) -> None:
        o = self.outline = outline_of(layout)
        n = len(o.entries)
        super().__init__(o.entries, rows, scale, frozenset(n - 1 - i for i in o.fixed))

    def is_header(self, index: int) -> bool:
        return len(self.outline.entries) - 1 - index in self.outline.headers

    def index_of(self, addr: int) -> int | None:
        i = self.outline.position_of(addr)
        return None if i is None else len(self.outline.entries) - 1 - i


class WindowBand:
    """A linear window [lo, hi) over the layout's leaves: every row `step` bytes.

    A row names the leaf at its top address, except the cursor's row, which
    names the cursor's leaf, so the map and the details never disagree.
    """

    def __init__(self, layout: Layout, lo: int, hi: int, rows: int, cursor: int) -> None:
        self.layout = layout
        self.lo, self.hi = lo, hi
        self.rows = max(rows, 1)
        self.step = max(-(-(hi - lo) // self.rows), 1)
        blocks: list[Block] = []
        for row in range(self.rows):
            row_hi = hi - row * self.step
            row_lo = max(row_hi - self.step, lo)
            if row_hi <= lo:
                break
            probe = cursor if row_lo <= cursor < row_hi else row_hi - 1
            i = layout.leaf_index(probe)
            leaf = layout.leaves[i]
            more = layout.leaf_index(row_hi - 1) - layout.leaf_index(row_lo)
            last = blocks[-1] if blocks else None
            if last is not None and last.region is leaf and not more and not last.more:
                blocks[-1] = Block(leaf, last.index, last.top, last.height + 1, row_lo, last.hi)
            else:
                blocks.append(Block(leaf, len(blocks), row, 1, row_lo, row_hi, more))
        self.blocks = blocks
        self.tops = [b.top for b in blocks]

    def __len__(self) -> int:
        return len(self.blocks)

    def block(self, index: int) -> Block:
        return self.blocks[index]

    def block_at_row(self, row: int) -> Block | None:
        if not self.blocks or not 0 <= row < self.blocks[-1].top + self.blocks[-1].height:
            return None
        return self.blocks[bisect.bisect_right(self.tops, row) - 1]

    def index_of(self, addr: int) -> int | None:
        if not self.lo <= addr < self.hi:
            return None
        block = self.block_at_row((self.hi - 1 - addr) // self.step)
        return block.index if block else None


def zoom_window(lo: int, hi: int, cursor: int, factor: float, rows: int, space: int,
                page: int = 4096, center: bool = False) -> tuple[int, int]:
    """A window `factor` times narrower (>1) or wider (<1) with the cursor kept in place.

    Each row covers a power-of-two number of bytes (a page at the finest) and
    the window is aligned to it, so the row edges are round addresses.
    """
    rows = max(rows, 1)
    want = max((hi - lo) / factor / rows, page)
    step = 1 << max(math.ceil(math.log2(want)), page.bit_length() - 1)
    span = step * rows
    if span >= space:
        return 0, space
    frac = 0.5 if center or hi <= lo else (cursor - lo) / (hi - lo)
    new_lo = (int(cursor - frac * span) // step) * step
    if cursor >= new_lo + span:  # rounding pushed the cursor off the top row
        new_lo = (cursor // step - rows + 1) * step
    new_lo = min(max(new_lo, 0), space - span)
    return new_lo, new_lo + span

"""What differs between two layouts, region by region.

Regions are matched first by id (where both layouts give the region one),
then by their path of names from the top-level region down. Where siblings
share a name (the several "unused hole" rows of the x86-64 tables) the
n-th of them in A matches the n-th in B. The gaps the engine fills itself
(synthetic "unused" regions) are not rows of any file and are left out.

Every row is one of "same" (same start and end), "moved" (in both, with a
different start or end), "only in A" and "only in B"; leaves and inner
regions alike. Rows come in A's address order (outer regions before the
ones they hold), then the regions only B has, in B's address order.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from vaslayout.core.model import Layout, Region

SAME = "same"
MOVED = "moved"
ONLY_A = "only in A"
ONLY_B = "only in B"
STATUSES = (SAME, MOVED, ONLY_A, ONLY_B)


@dataclass(frozen=True)
class DiffRow:
    status: str  # "same" | "moved" | "only in A" | "only in B"
    path: tuple[str, ...]  # names from the top-level region down (A's path when in both)
    a_start: int | None
    a_end: int | None  # exclusive
    b_start: int | None
    b_end: int | None  # exclusive
    kind: str
    b_path: tuple[str, ...] | None = None  # B's path where B has the region (differs from path after an id match)

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def depth(self) -> int:
        """1 for a top-level region."""
        return len(self.path)

    @property
    def a_size(self) -> int | None:
        return None if self.a_start is None or self.a_end is None else self.a_end - self.a_start

    @property
    def b_size(self) -> int | None:
        return None if self.b_start is None or self.b_end is None else self.b_end - self.b_start

    @property
    def size_change(self) -> int | None:
        """B's size minus A's, for a region both layouts have."""
        a, b = self.a_size, self.b_size
        return None if a is None or b is None else b - a


@dataclass(frozen=True)
class _Entry:
    region: Region
    path: tuple[str, ...]
    key: tuple[tuple[str, int], ...]  # (name, n-th sibling of that name) from the top down
    order: int  # pre-order position: parents before children


def _entries(layout: Layout) -> list[_Entry]:
    out: list[_Entry] = []

    def walk(children: tuple[Region, ...], path: tuple[str, ...], key: tuple[tuple[str, int], ...]) -> None:
        seen: Counter[str] = Counter()
        for child in children:
            if child.synthetic:
                continue
            n = seen[child.name]
            seen[child.name] += 1
            cpath = path + (child.name,)
            ckey = key + ((child.name, n),)
            out.append(_Entry(child, cpath, ckey, len(out)))
            walk(child.children, cpath, ckey)

    walk(layout.root.children, (), ())
    return out


def diff_layouts(a: Layout, b: Layout) -> list[DiffRow]:
    ea, eb = _entries(a), _entries(b)
    pairs: dict[int, _Entry] = {}  # position in ea -> its partner in eb
    taken_b: set[int] = set()

    b_by_id = {e.region.id: i for i, e in enumerate(eb) if e.region.id is not None}
    for i, e in enumerate(ea):
        j = b_by_id.get(e.region.id) if e.region.id is not None else None
        if j is not None and j not in taken_b:
            pairs[i] = eb[j]
            taken_b.add(j)

    b_by_key = {e.key: j for j, e in enumerate(eb) if j not in taken_b}
    for i, e in enumerate(ea):
        if i in pairs:
            continue
        j = b_by_key.get(e.key)
        if j is not None and j not in taken_b:
            pairs[i] = eb[j]
            taken_b.add(j)

    rows: list[tuple[tuple[int, int, int, int], DiffRow]] = []
    for i, e in enumerate(ea):
        r = e.region
        partner = pairs.get(i)
        if partner is None:
            row = DiffRow(ONLY_A, e.path, r.start, r.end, None, None, r.kind)
        else:
            p = partner.region
            status = SAME if (r.start, r.end) == (p.start, p.end) else MOVED
            row = DiffRow(status, e.path, r.start, r.end, p.start, p.end, r.kind, partner.path)
        rows.append(((0, r.start, -r.end, e.order), row))
    for j, e in enumerate(eb):
        if j in taken_b:
            continue
        r = e.region
        row = DiffRow(ONLY_B, e.path, None, None, r.start, r.end, r.kind, e.path)
        rows.append(((1, r.start, -r.end, e.order), row))
    rows.sort(key=lambda item: item[0])
    return [row for _, row in rows]


def diff_summary(rows: list[DiffRow]) -> str:
    """One line: how many regions are the same, moved, or in one layout only."""
    counts = Counter(r.status for r in rows)
    parts = ", ".join(f"{counts[s]} {s}" for s in STATUSES)
    noun = "region" if len(rows) == 1 else "regions"
    return f"{len(rows)} {noun}: {parts}"

"""`show --pid P` as pmap prints a process: a short header, one line per mapping, a total. No rich.

A process may have 65,530 mappings, so the lines are made from the maps by
column (proc.MapsTable): what a line says after its size is formatted once
per distinct (perms, offset, device, inode, path, region) and shared, and
the numbers become text a column at a time (core.units.hex_column). Columns that do
not fit a terminal are dropped (inode, device, offset, end, region, in that
order) before an address would be cut; piped output keeps them all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import sub

from vaslayout.core.model import Layout, Region
from vaslayout.core.units import fmt_addr, fmt_size, hex_column
from vaslayout.proc.maps import Mapping, MapsTable

CHUNK = 4096  # lines joined and written at a time
MIN_NAME = 16  # a terminal line keeps at least this much of the name before columns are dropped
DROP_ORDER = ("inode", "dev", "offset", "end", "region")
COLUMNS = ("start", "end", "size", "perms", "offset", "dev", "inode", "region", "name")
SKIPPED_KINDS = ("hole", "guard", "non-canonical")
ANON = "[ anon ]"  # what pmap prints for a mapping without a name


@dataclass(frozen=True)
class ProcessMaps:
    """A process's maps placed in the running kernel's layout: what the header and lines need."""

    base: Layout
    table: MapsTable
    user: Region | None  # the user-space region the process's own mappings lie in
    inside: range  # the indices of the table's lines in `user`
    title: str

    @cached_property
    def sizes(self) -> list[int]:
        """Each line's end - start, once: the size column, its width and the total."""
        return list(map(sub, self.table.ends, self.table.starts))


def process_maps(base: Layout, table: MapsTable, pid: int, title: str) -> ProcessMaps:
    """Place the maps in the running kernel's layout (proc.live.place_table) and keep what the lines need."""
    from bisect import bisect_left

    from vaslayout.proc.live import place_table

    placed = place_table(base, table, pid)
    first = bisect_left(table.starts, placed.inside[0].start) if len(placed.inside) else 0
    return ProcessMaps(base, table, placed.user, range(first, first + len(placed.inside)), title)


def line_kinds(pm: ProcessMaps) -> list[str]:
    """The kind of each mapping line (user-text, heap, stack, ...), for colouring a terminal's lines."""
    return [r.kind for r in pm.table.rests]


def halves(pm: ProcessMaps) -> list[tuple[str, Region, str]]:
    """Header rows: each top-level region that is not a hole, with what it holds in a few words."""
    out = []
    count = len(pm.inside)
    for top in pm.base.root.children:
        if top.kind in SKIPPED_KINDS:
            continue
        if top.kind == "user-space" or (pm.user is not None and top.start <= pm.user.start < top.end):
            out.append(("user", top, f"{count:,} mapping{'s' if count != 1 else ''}"))
            continue
        kinds: list[str] = []
        for leaf in pm.base.leaves:
            if top.start <= leaf.start < top.end and leaf.kind not in SKIPPED_KINDS and leaf.kind not in kinds:
                kinds.append(leaf.kind)
        out.append(("kernel" if top.kind == "kernel-space" else top.name, top, ", ".join(kinds)))
    return out


def header_lines(pm: ProcessMaps, width: int | None = None) -> list[str]:
    """The title, then a line per half: its range, size and contents (wrapped under itself at `width`)."""
    bits = pm.base.address_bits
    rows = halves(pm)
    label_width = max((len(label) for label, _, _ in rows), default=0)
    lines = [pm.title]
    for label, top, what in rows:
        lead = f"{label:<{label_width}}  {fmt_addr(top.start, bits)}-{fmt_addr(top.last, bits)}  {fmt_size(top.size)}  "
        if width is None or len(lead) + len(what) <= width:
            lines.append((lead + what).rstrip())
            continue
        indent = len(lead) if width - len(lead) >= 20 else 2  # under itself, or on lines of its own
        import textwrap  # only for a terminal too narrow for the line

        wrapped = textwrap.wrap(what, max(width - indent, 10))
        if indent == 2:
            lines.append(lead.rstrip())
            wrapped = ["  " + wrapped[0], *wrapped[1:]]
        lines.append(lead + wrapped[0] if indent != 2 else wrapped[0])
        lines += [" " * indent + w for w in wrapped[1:]]
    return lines


def _outside_regions(pm: ProcessMaps) -> dict[int, str]:
    """Line index -> the layout leaf it lies in, for the few lines outside the user region ([vsyscall])."""
    base, table = pm.base, pm.table
    outside = (*range(pm.inside.start), *range(pm.inside.stop, len(table)))
    return {i: base.leaves[base.leaf_index(table.starts[i])].name for i in outside}


def columns_for(width: int | None, fixed: dict[str, int]) -> tuple[str, ...]:
    """The columns shown at a terminal `width` (None: all), dropping DROP_ORDER until the name has room."""
    shown = list(COLUMNS)
    if width is None:
        return tuple(shown)
    for column in (None, *DROP_ORDER):
        if column is not None:
            shown.remove(column)
        used = sum(fixed[c] + 2 for c in shown if c != "name")
        if used + MIN_NAME <= width:
            break
    return tuple(shown)


def mapping_lines(pm: ProcessMaps, width: int | None = None) -> Iterator[str]:
    """The column header and one line per mapping, in address order, CHUNK lines at a time (joined)."""
    table = pm.table
    digits = pm.base.address_bits // 4
    starts, ends, rests = table.starts, table.ends, table.rests
    ids = list(map(id, rests))
    distinct = dict(zip(ids, rests, strict=True))
    outside = _outside_regions(pm)
    user_region = pm.user.name if pm.user is not None else ""
    sizes = pm.sizes
    size_w = max(len("size") - 1, len(str(max(sizes, default=0) >> 10)))
    fixed = {"start": digits, "end": digits, "size": size_w + 1, "perms": 4, "offset": 8, "dev": 5,
             "inode": max([len("inode"), *(len(str(r.inode)) for r in distinct.values())]),
             "region": max([len("region"), len(user_region), *map(len, outside.values())])}
    shown = columns_for(width, fixed)
    tail_columns = [c for c in shown if c in TAIL_CELLS]
    room = None if width is None else width - sum(fixed[c] + 2 for c in shown if c != "name")

    def tail(rest: Mapping, region: str) -> str:
        """What a line says after its size."""
        cells = [TAIL_CELLS[c](rest, region) for c in tail_columns]
        name = cells[-1]
        if room is not None and len(name) > room:  # a terminal: the name is cut, not the line
            cells[-1] = name[: max(room - 1, 0)] + "…"
        return "  ".join([*(cell.ljust(fixed[c]) for c, cell in zip(tail_columns, cells[:-1], strict=False)),
                          cells[-1]]).rstrip()

    head = [c.ljust(fixed[c]) for c in shown if c in ("start", "end")]
    head.append("size".rjust(size_w + 1))
    head += [c.ljust(fixed.get(c, 0)) for c in tail_columns]
    yield "  ".join(head).rstrip()

    inside_tail = {key: tail(r, user_region) + "\n" for key, r in distinct.items()}
    tails = list(map(inside_tail.__getitem__, ids))
    for i, region in outside.items():
        tails[i] = tail(rests[i], region) + "\n"
    size_text = {size: f"{size >> 10:{size_w}d}K  " for size in set(sizes)}
    # a line in pieces: start, end, size (with the two spaces after it), tail (with its newline);
    # the pieces of CHUNK lines are laid out in one list, a column at a time, and joined once
    per_line = 6 if "end" in shown else 4
    for lo in range(0, len(starts), CHUNK):
        hi = lo + CHUNK
        pieces = ["  "] * (per_line * (min(hi, len(starts)) - lo))
        pieces[0::per_line] = hex_column(starts[lo:hi], digits)
        if per_line == 6:
            pieces[2::per_line] = hex_column(ends[lo:hi], digits)
        pieces[per_line - 2::per_line] = map(size_text.__getitem__, sizes[lo:hi])
        pieces[per_line - 1::per_line] = tails[lo:hi]
        yield "".join(pieces)[:-1]


TAIL_CELLS = {
    "perms": lambda r, g: r.perms,
    "offset": lambda r, g: f"{r.offset:08x}",
    "dev": lambda r, g: r.dev,
    "inode": lambda r, g: str(r.inode),
    "region": lambda r, g: g,
    "name": lambda r, g: r.path or ANON,
}


def total_line(pm: ProcessMaps) -> str:
    total = sum(pm.sizes)
    n = len(pm.table)
    return f"total {total >> 10:,}K ({fmt_size(total)}) in {n:,} mapping{'s' if n != 1 else ''}"


def process_text(pm: ProcessMaps, width: int | None = None, regions: Sequence[str] = ()) -> Iterator[str]:
    """The whole output in pieces, each ending in a newline: header, [the layout's rows], lines, total."""
    yield "\n".join(header_lines(pm, width)) + "\n\n"
    if regions:
        yield "\n".join(regions) + "\n\n"
    for chunk in mapping_lines(pm, width):
        yield chunk + "\n"
    yield total_line(pm) + "\n"

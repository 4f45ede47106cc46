"""A live process as a layout: the running kernel's layout, its user half the process's maps.

Every line of /proc/PID/maps becomes one leaf region; nothing is merged. A
mapping outside user space ([vsyscall]) lands where the kernel put it.
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from vaslayout.core import collector
from vaslayout.core.model import Layout, Region
from vaslayout.proc import resolve
from vaslayout.proc.kernel import KernelInfo
from vaslayout.proc.maps import Mapping, MapsTable
from vaslayout.proc.reader import ProcError

LAYOUT_FOR_PAGING = {"x86-64-4level": "x86_64-4level", "x86-64-5level": "x86_64-5level"}  # user halves tiled


def kernel_layout(info: KernelInfo) -> tuple[str, dict[str, str]]:
    """The built-in layout that describes the kernel, and the params we could read (proc/resolve.py)."""
    choice = resolve.choose(info)
    return choice.layout_id, choice.overrides


# Each field's slot setter, and the defaults of the fields a maps line leaves unset.
_SET = {f.name: getattr(Region, f.name).__set__ for f in dataclasses.fields(Region)}
_DEFAULT = {f.name: f.default for f in dataclasses.fields(Region)}
_SET_NAME, _SET_KIND, _SET_START, _SET_END = _SET["name"], _SET["kind"], _SET["start"], _SET["end"]
_SET_SOURCE, _SET_MAPPING = _SET["source"], _SET["mapping"]
_SET_ID, _SET_DESCRIPTION, _SET_RULE = _SET["id"], _SET["description"], _SET["rule"]
_SET_CHILDREN, _SET_SYNTHETIC = _SET["children"], _SET["synthetic"]
_ID, _DESCRIPTION, _RULE = _DEFAULT["id"], _DEFAULT["description"], _DEFAULT["rule"]
_CHILDREN, _SYNTHETIC = _DEFAULT["children"], _DEFAULT["synthetic"]


def _mapping_region(name: str, kind: str, start: int, end: int, source: str, mapping: Mapping) -> Region:
    """Region(...) for one maps line, filled slot by slot: a frozen dataclass's __init__
    costs more than the whole parse for 65,530 lines."""
    region = object.__new__(Region)
    _SET_NAME(region, name)
    _SET_KIND(region, kind)
    _SET_START(region, start)
    _SET_END(region, end)
    _SET_ID(region, _ID)
    _SET_DESCRIPTION(region, _DESCRIPTION)
    _SET_SOURCE(region, source)
    _SET_RULE(region, _RULE)
    _SET_CHILDREN(region, _CHILDREN)
    _SET_SYNTHETIC(region, _SYNTHETIC)
    _SET_MAPPING(region, mapping)
    return region


def mapping_region(m: Mapping, source: str) -> Region:
    return _mapping_region(m.name, m.kind, m.start, m.end, source, m)


def table_regions(table: MapsTable, source: str) -> list[Region]:
    """mapping_region for every line of a MapsTable, without a Mapping per line: each region's
    `mapping` is the line's shared rest (perms, offset, dev, inode, path: what a region reads of it)."""
    out = []
    append = out.append
    names: dict[int, tuple[str, str]] = {}  # id(rest) -> its name and kind
    for start, end, rest in zip(table.starts, table.ends, table.rests, strict=True):
        known = names.get(id(rest))
        if known is None:
            known = names[id(rest)] = (rest.name, rest.kind)
        append(_mapping_region(known[0], known[1], start, end, source, rest))
    return out


def _user_container(layout: Layout, m: Mapping) -> Region | None:
    """The deepest user-space region that holds the whole mapping."""
    found = None
    for r in layout.path_at(m.start):
        if r.kind == "user-space" and r.start <= m.start and m.end <= r.end:
            found = r
    return found


def replace_children(region: Region, target: Region, children: tuple[Region, ...]) -> Region:
    """The tree under `region` with `target`'s children set (the path to it copied, the rest shared)."""
    if region is target:
        return dataclasses.replace(region, children=children)
    if not (region.start <= target.start and target.end <= region.end) or not region.children:
        return region
    return dataclasses.replace(region, children=tuple(replace_children(c, target, children)
                                                      for c in region.children))


@dataclass(frozen=True)
class Placement:
    """Where each mapping of a process goes in the running kernel's layout."""

    user: Region | None  # the user-space region the process's own mappings tile
    inside: Sequence[Mapping]  # its mappings, in address order
    elsewhere: dict[int, list[Mapping]]  # leaf index -> the mappings inside that leaf ([vsyscall])


def place(base: Layout, mappings: Sequence[Mapping], pid: int, user: Region | None = None) -> Placement:
    inside: list[Mapping] = []
    elsewhere: dict[int, list[Mapping]] = {}
    size = base.size
    for m in mappings:
        if m.end > size:
            raise ProcError(f"/proc/{pid}/maps: {m.start:#x}-{m.end:#x} does not fit a {base.address_bits}-bit layout")
        container = user if user is not None and user.start <= m.start and m.end <= user.end else None
        container = container or _user_container(base, m)
        if container is not None and (user is None or container is user):
            user = container
            inside.append(m)
        else:
            elsewhere.setdefault(base.leaf_index(m.start), []).append(m)
    return Placement(user, inside, elsewhere)


def place_table(base: Layout, table: MapsTable, pid: int) -> Placement:
    """place() without a Mapping per line: the lines in user space are one run, found by bisection."""
    first = 0
    user = None
    while first < len(table) and user is None:  # lines below user space (none on x86-64) go elsewhere
        user = _user_container(base, table[first])
        if user is None:
            first += 1
    if user is None:
        return place(base, table, pid)
    end = bisect_right(table.ends, user.end, first)
    rest = place(base, [table[i] for i in (*range(first), *range(end, len(table)))], pid, user)
    return Placement(user, table[first:end], rest.elsewhere)


def with_mappings(base: Layout, mappings: Sequence[Mapping], pid: int, title: str,
                  placement: Placement | None = None) -> Layout:
    """The layout with the process's mappings as leaves."""
    from vaslayout.core.tiling import tile

    bits = base.address_bits
    if placement is None:
        placement = place_table(base, mappings, pid) if isinstance(mappings, MapsTable) else place(base, mappings, pid)
    p = placement
    source = f"/proc/{pid}/maps"
    root = base.root
    try:
        if p.user is not None:
            inside = p.inside
            regions = (table_regions(inside, source) if isinstance(inside, MapsTable)
                       else [mapping_region(m, source) for m in inside])
            root = replace_children(root, p.user, tile(regions, p.user.start, p.user.end, bits))
        for index, found in p.elsewhere.items():
            leaf = base.leaves[index]
            regions = [mapping_region(m, source) for m in found]
            if len(regions) == 1 and (regions[0].start, regions[0].end) == (leaf.start, leaf.end):
                # the mapping is the leaf ([vsyscall]): the maps name, the layout's story
                replaced = dataclasses.replace(leaf, name=regions[0].name, mapping=regions[0].mapping)
                root = _swap(root, leaf, replaced)
            else:
                kids = tile(regions, leaf.start, leaf.end, bits)
                root = replace_children(root, leaf, kids)
    except ValueError as exc:  # overlapping mappings: the tiler's LayoutError (imported only then)
        from vaslayout.core.loader import LayoutError

        if isinstance(exc, LayoutError):
            raise ProcError(f"/proc/{pid}/maps: {exc.message}") from None
        raise
    return dataclasses.replace(base, id=f"pid-{pid}", title=title, root=root, origin=f"/proc/{pid}/maps")


class Around:
    """A live process's layout holding only the mappings that answer the addresses asked so far.

    An address's answer depends on the mapping that holds it, or on the two
    that bound its gap; with those kept, the other 65,000 mappings of a big
    process change nothing in it. So `lookup --pid P ADDR` finds them by
    bisection over the maps' starts and tiles a few mappings, not all.
    """

    def __init__(self, base: Layout, table: MapsTable, pid: int, title: str) -> None:
        self.base, self.pid, self.title = base, pid, title
        self.placement = place_table(base, table, pid)
        inside = self.placement.inside
        self.starts: Sequence[int] = inside.starts if isinstance(inside, MapsTable) else [m.start for m in inside]
        self.kept: set[int] = set()
        self.layout = self._build()

    def _build(self) -> Layout:
        p = self.placement
        keep = [p.inside[i] for i in sorted(self.kept)]
        with collector.paused():
            return with_mappings(self.base, keep, self.pid, self.title, Placement(p.user, keep, p.elsewhere))

    def at(self, addresses: Sequence[int]) -> Layout:
        """The layout that answers these addresses (and every one asked before) as the whole one does."""
        n, before = len(self.starts), len(self.kept)
        for addr in addresses:
            i = bisect_right(self.starts, addr) - 1  # the mapping at or below addr, and the next one
            self.kept.update(j for j in (i, i + 1) if 0 <= j < n)
        if len(self.kept) != before:
            self.layout = self._build()
        return self.layout


def _swap(region: Region, old: Region, new: Region) -> Region:
    if region is old:
        return new
    if not region.children or not (region.start <= old.start and old.end <= region.end):
        return region
    return dataclasses.replace(region, children=tuple(_swap(c, old, new) for c in region.children))


def base_layout(info: KernelInfo, overrides: dict[str, str] | None = None) -> Layout:
    """The kernel's layout with what it told us: bases, RAM ranges, sizes."""
    return resolve.kernel_layout(info, overrides)


def title(base: Layout, pid: int, comm: str) -> str:
    return f"{comm} (pid {pid}) on {base.title}"


def process_layout(pid: int, info: KernelInfo, mappings: Sequence[Mapping], comm: str,
                   overrides: dict[str, str] | None = None) -> Layout:
    """The process's layout: its mappings (a list, or a MapsTable: no Mapping per line) in the kernel's."""
    base = base_layout(info, overrides)
    with collector.paused():  # tens of thousands of new objects and no cycles among them
        return with_mappings(base, mappings, pid, title(base, pid, comm))

"""The resolved layout: frozen values the engine builds and everyone else reads.

Ranges are half-open, [start, end). The kernel's docs print inclusive ends;
`Region.last` gives that form so nobody does the -1 by hand.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from vaslayout.core.paging import PagingMode

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:  # only an annotation: a Protocol class would need typing at run time
    from typing import Protocol

    class MapInfo(Protocol):
        """What /proc/PID/maps says of a mapping, kept on its region (proc.Mapping is one)."""

        @property
        def perms(self) -> str: ...
        @property
        def offset(self) -> int: ...
        @property
        def dev(self) -> str: ...
        @property
        def inode(self) -> int: ...
        @property
        def path(self) -> str: ...


@dataclass(frozen=True)
class Rule:
    """How a region's addresses map to something else (None: page tables only)."""

    name: str  # "linear" | "struct-page" | "kasan-shadow"
    phys: int = 0  # linear: physical address of the region's start
    limit: int | None = None  # linear: bytes backed from the start (None: all)
    struct_size: int = 64  # struct-page: sizeof(struct page)
    first_pfn: int = 0  # struct-page: the pfn whose struct page sits at the region's start


class Span:
    """A half-open range [start, end) with the kernel docs' inclusive end at hand."""

    __slots__ = ()  # so that Region's instances carry no __dict__
    start: int
    end: int

    @property
    def last(self) -> int:
        return self.end - 1

    @property
    def size(self) -> int:
        return self.end - self.start

    def contains(self, addr: int) -> bool:
        return self.start <= addr < self.end


@dataclass(frozen=True, slots=True)  # slots: a live process brings 65,530 of them, a __dict__ each would double that
class Region(Span):
    name: str
    kind: str
    start: int
    end: int
    id: str | None = None
    description: str = ""
    source: str = ""
    rule: Rule | None = None
    children: tuple[Region, ...] = ()
    synthetic: bool = False  # a gap the engine filled, not a row of the file
    mapping: MapInfo | None = None  # a live process's mapping


_children, _id, _start = attrgetter("children"), attrgetter("id"), attrgetter("start")


@dataclass(frozen=True)
class Param:
    name: str
    value: int
    default: int
    description: str = ""
    source: str = ""
    choices: Mapping[int, str] = field(default_factory=dict)

    @property
    def choice(self) -> str | None:
        return self.choices.get(self.value)


@dataclass(frozen=True)
class Derived:
    name: str
    value: int
    description: str = ""
    source: str = ""


@dataclass(frozen=True)
class Source:
    file: str
    repo: str = "torvalds/linux"
    commit: str = ""
    note: str = ""


@dataclass(frozen=True)
class PhysRange(Span):
    name: str
    kind: str
    start: int
    end: int
    description: str = ""
    source: str = ""


@dataclass(frozen=True)
class Kasan:
    offset: int
    scale_shift: int = 3


class LeafPaths(Sequence[tuple["Region", ...]]):
    """Each leaf's path from the root as a tuple, made when asked (Layout.paths).

    Leaves next to each other under one parent share one run: one tuple of
    their ancestors and the index of the first of them. The 65,530 mappings
    of a live process under one region are one run here, not a tuple each
    (about 4 MiB) nor two pointers each (1 MiB); a leaf's run is found by
    bisection over the runs.
    """

    __slots__ = ("_firsts", "_above", "_below", "_leaves")

    def __init__(self, firsts: Sequence[int], above: list[tuple[Region, ...]], below: list[tuple[Region, ...]],
                 leaves: tuple[Region, ...]) -> None:
        self._firsts = firsts  # run k holds the leaves from firsts[k] up to the next run's first
        self._above = above  # each run's ancestors, the root first
        self._below = below  # the same without the root
        self._leaves = leaves

    def _run(self, i: int) -> tuple[int, Region]:
        """The run of leaf i (negative counts from the end, as a tuple's index does) and the leaf."""
        leaf = self._leaves[i]  # IndexError here, as a tuple of paths would raise it
        return bisect.bisect_right(self._firsts, i % len(self._leaves)) - 1, leaf

    def __len__(self) -> int:
        return len(self._leaves)

    def __getitem__(self, i: int) -> tuple[Region, ...]:  # type: ignore[override]
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self))))  # type: ignore[return-value]
        k, leaf = self._run(i)
        return self._above[k] + (leaf,)

    def __iter__(self) -> Iterator[tuple[Region, ...]]:
        ends = [*self._firsts[1:], len(self._leaves)]
        for first, end, above in zip(self._firsts, ends, self._above, strict=True):
            for leaf in self._leaves[first:end]:
                yield above + (leaf,)

    def below_root(self, i: int) -> tuple[Region, ...]:
        """self[i][1:], without making self[i]."""
        k, leaf = self._run(i)
        return self._below[k] + (leaf,) if self._above[k] else ()


@dataclass(frozen=True, eq=False)
class Layout:
    id: str
    title: str
    arch: str
    address_bits: int
    paging: PagingMode
    root: Region
    summary: str = ""
    origin: str = ""  # the file it came from
    params: Mapping[str, Param] = field(default_factory=dict)
    derived: Mapping[str, Derived] = field(default_factory=dict)
    sources: tuple[Source, ...] = ()
    physical_bits: int | None = None
    physical: tuple[PhysRange, ...] = ()
    zones: tuple[PhysRange, ...] = ()  # ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, ZONE_HIGHMEM
    kasan: Kasan | None = None
    roles: Mapping[str, int] = field(default_factory=dict)  # value roles (core/roles.py) -> their value
    region_roles: Mapping[str, str] = field(default_factory=dict)  # region roles -> the region id they name
    # Built once in __post_init__: leaves in address order, their starts for
    # bisect, and each leaf's path from the root.
    leaves: tuple[Region, ...] = field(init=False, repr=False)
    paths: LeafPaths = field(init=False, repr=False, compare=False)  # leaves and root say it all
    # One flat block of 64-bit words where they fit: bisect then walks contiguous memory instead of
    # int objects spread over the heap, which keeps a lookup among 100,000+ leaves nearly as cheap
    # as among 100.
    starts: Sequence[int] = field(init=False, repr=False)
    by_id: Mapping[str, Region] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        leaves: list[Region] = []
        firsts: list[int] = []  # LeafPaths' runs: where each begins, its ancestors with and without the root
        aboves: list[tuple[Region, ...]] = []
        belows: list[tuple[Region, ...]] = []
        by_id: dict[str, Region] = {}

        def walk(region: Region, above: tuple[Region, ...], below: tuple[Region, ...]) -> None:
            if region.id is not None:
                by_id.setdefault(region.id, region)
            kids = region.children
            if not kids:
                if not aboves or aboves[-1] is not above:  # the first leaf of its parent: a new run
                    firsts.append(len(leaves))
                    aboves.append(above)
                    belows.append(below)
                leaves.append(region)
                return
            path = above + (region,)  # shared by the children
            under = path[1:]
            if not any(map(_children, kids)) and list(map(_id, kids)).count(None) == len(kids):
                firsts.append(len(leaves))  # leaves without ids (a live process's 65,530 mappings): one run
                aboves.append(path)
                belows.append(under)
                leaves.extend(kids)
                return
            for kid in kids:
                walk(kid, path, under)

        walk(self.root, (), ())
        object.__setattr__(self, "leaves", tuple(leaves))
        leaves.clear()  # the tuple holds them now: the list's 0.5 MiB goes before the starts are made
        object.__setattr__(self, "paths", LeafPaths(array("q", firsts), aboves, belows, self.leaves))
        object.__setattr__(self, "by_id", by_id)
        try:
            starts: Sequence[int] = array("Q", map(_start, self.leaves))
        except OverflowError:  # wider than 64 bits: a tuple
            starts = tuple(map(_start, self.leaves))
        object.__setattr__(self, "starts", starts)

    @property
    def size(self) -> int:
        return 1 << self.address_bits

    def leaf_index(self, addr: int) -> int:
        """Index of the leaf holding addr, for 0 <= addr < size: O(log n) over sorted starts."""
        return bisect.bisect_right(self.starts, addr) - 1

    def path_at(self, addr: int) -> tuple[Region, ...]:
        """Regions from the root (excluded) down to the leaf holding addr (0 <= addr < size)."""
        return self.paths.below_root(self.leaf_index(addr))

    def find(self, region_id: str) -> Region | None:
        """The region with this id (the engine keeps ids unique), in O(1)."""
        return self.by_id.get(region_id)

    def role_region(self, role: str) -> Region | None:
        """The region the layout declares for a role (`roles: {user: user}`), if any is there."""
        rid = self.region_roles.get(role)
        return None if rid is None else self.by_id.get(rid)

    def role_value(self, role: str) -> int | None:
        """A value role the layout declares (`roles: {task_size: TASK_SIZE_MAX}`), else None."""
        return self.roles.get(role)

    def param_values(self) -> dict[str, int]:
        return {name: p.value for name, p in self.params.items()}

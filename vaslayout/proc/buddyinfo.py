"""The page allocator as /proc shows it: free blocks by order (buddyinfo, pagetypeinfo) and watermarks (zoneinfo).

The buddy allocator keeps, per zone, free lists of blocks of 2^order pages
(order 0 .. MAX_PAGE_ORDER, 10 by default: 4 KiB .. 4 MiB with 4 KiB pages;
include/linux/mmzone.h). /proc/buddyinfo (readable by everyone) prints one
line per zone with the count of free blocks at each order
(mm/vmstat.c frag_show_print); /proc/pagetypeinfo (root) splits the same
counts by migrate type; /proc/zoneinfo gives each zone's min/low/high
watermarks in pages (mm/vmstat.c zoneinfo_show_print): below "low" kswapd
starts reclaiming, below "min" only atomic/emergency allocations succeed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vaslayout.proc.reader import ProcError, _read_file, proc_path

_BUDDY = re.compile(r"^Node\s+(\d+),\s+zone\s+(\S+)((?:\s+\d+)+)\s*$")
_TYPE = re.compile(r"^Node\s+(\d+),\s+zone\s+(\S+),\s+type\s+(\S+)((?:\s+\d+)+)\s*$")
_ZONE = re.compile(r"^Node (\d+), zone\s+(\S+)\s*$")


@dataclass(frozen=True)
class ZoneFree:
    """One zone's free blocks: free[order] blocks of 2^order pages."""

    node: int
    zone: str
    free: tuple[int, ...]
    by_type: tuple[tuple[str, tuple[int, ...]], ...] = ()  # from pagetypeinfo, when readable
    watermarks: tuple[int, int, int] | None = None  # min, low, high in pages (zoneinfo)
    managed: int | None = None  # pages the allocator manages in this zone (zoneinfo)

    def free_pages(self) -> int:
        return sum(n << order for order, n in enumerate(self.free))

    @property
    def max_order(self) -> int:
        return len(self.free) - 1


def _origin(root: str, name: str) -> str:
    return proc_path(root, name)


def _read(root: str, name: str) -> str | None:
    try:
        return _read_file(_origin(root, name)).decode("ascii", "replace")
    except FileNotFoundError:
        return None
    except PermissionError:
        return None
    except OSError as exc:
        raise ProcError(f"cannot read {_origin(root, name)}: {exc.strerror or exc}") from None


def parse_buddyinfo(text: str, origin: str) -> list[ZoneFree]:
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _BUDDY.match(line)
        if not m:
            raise ProcError(f"{origin}:{lineno}: expected 'Node N, zone NAME count...', got {line[:60]!r}")
        out.append(ZoneFree(int(m.group(1)), m.group(2), tuple(int(x) for x in m.group(3).split())))
    return out


def parse_pagetypeinfo(text: str) -> dict[tuple[int, str], tuple[tuple[str, tuple[int, ...]], ...]]:
    """Free counts per (node, zone) and migrate type; lines of other tables in the file are passed over."""
    out: dict[tuple[int, str], list[tuple[str, tuple[int, ...]]]] = {}
    for line in text.splitlines():
        m = _TYPE.match(line)
        if m:
            out.setdefault((int(m.group(1)), m.group(2)), []).append(
                (m.group(3), tuple(int(x) for x in m.group(4).split())))
    return {k: tuple(v) for k, v in out.items()}


def parse_zoneinfo(text: str) -> dict[tuple[int, str], tuple[tuple[int, int, int] | None, int | None]]:
    """Watermarks (min, low, high) and managed pages per (node, zone)."""
    out: dict[tuple[int, str], tuple[tuple[int, int, int] | None, int | None]] = {}
    key: tuple[int, str] | None = None
    marks: dict[str, int] = {}

    def close() -> None:
        if key is not None:
            wm = (marks["min"], marks["low"], marks["high"]) if {"min", "low", "high"} <= marks.keys() else None
            out[key] = (wm, marks.get("managed"))

    for line in text.splitlines():
        m = _ZONE.match(line)
        if m:
            close()
            key, marks = (int(m.group(1)), m.group(2)), {}
            continue
        words = line.split()
        if key is not None and len(words) == 2 and words[0] in ("min", "low", "high", "managed") \
                and words[1].isdigit():
            marks[words[0]] = int(words[1])
    close()
    return out


def read_buddyinfo(root: str = "/") -> list[ZoneFree]:
    """buddyinfo with, where readable, pagetypeinfo's migrate types and zoneinfo's watermarks."""
    text = _read(root, "buddyinfo")
    if text is None:
        raise ProcError(f"{_origin(root, 'buddyinfo')} is missing: this kernel does not show its free lists")
    zones = parse_buddyinfo(text, _origin(root, "buddyinfo"))
    types = parse_pagetypeinfo(_read(root, "pagetypeinfo") or "")
    info = parse_zoneinfo(_read(root, "zoneinfo") or "")
    out = []
    for z in zones:
        wm, managed = info.get((z.node, z.zone), (None, None))
        out.append(ZoneFree(z.node, z.zone, z.free, types.get((z.node, z.zone), ()), wm, managed))
    return out

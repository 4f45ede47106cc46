"""/proc/PID/smaps: what backs each mapping (anonymous memory, page cache, swap, nothing yet).

Every mapping of /proc/PID/maps appears in smaps followed by its counters in
kB (Documentation/filesystems/proc.rst, "The /proc/PID/smaps"): Rss is what
is resident, Pss the proportional share, Anonymous the resident anonymous
pages, Swap what was swapped out. What is resident and not anonymous is in
the page cache (file pages, or shmem for shared anonymous mappings). A
mapping whose Rss and Swap are both 0 has not been touched yet: its pages
arrive on the first fault. smaps_rollup holds the same counters summed
(readable where smaps may be too slow); both need ptrace read access to the
process, so another user's process gives a plain "permission denied".
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from vaslayout.core.units import fmt_size
from vaslayout.proc.maps import Mapping, parse_maps
from vaslayout.proc.process import _read_proc
from vaslayout.proc.reader import ProcError, proc_path

# The counters we keep, in the order pmap -X prints its main columns.
FIELDS = ("Size", "Rss", "Pss", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty",
          "Anonymous", "AnonHugePages", "Swap", "Locked")

BACKINGS = ("anonymous", "page cache", "swapped", "untouched")


@dataclass(frozen=True, slots=True)
class Backing:
    """One mapping's smaps entry: the mapping and its counters in bytes."""

    mapping: Mapping
    counters: tuple[int, ...]  # bytes, in FIELDS order
    thp_eligible: bool
    vmflags: tuple[str, ...]

    def __getitem__(self, name: str) -> int:
        return self.counters[FIELDS.index(name)]

    @property
    def rss(self) -> int:
        return self["Rss"]

    @property
    def anonymous(self) -> int:
        return self["Anonymous"]

    @property
    def page_cache(self) -> int:
        """Resident and not anonymous: file pages (or shmem) in the page cache."""
        return max(self.rss - self.anonymous, 0)

    @property
    def swap(self) -> int:
        return self["Swap"]

    @property
    def untouched(self) -> int:
        return max(self["Size"] - self.rss - self.swap, 0)

    @property
    def backing(self) -> str:
        """The largest share: anonymous, page cache, swapped, or untouched (nothing behind it yet)."""
        if self.rss == 0 and self.swap == 0:
            return "untouched"
        shares = {"anonymous": self.anonymous, "page cache": self.page_cache, "swapped": self.swap}
        return max(shares, key=lambda k: shares[k])


def _kb(value: str, origin: str, lineno: int) -> int:
    number, _, unit = value.strip().partition(" ")
    if not number.isdigit() or unit not in ("kB", ""):
        raise ProcError(f"{origin}:{lineno}: expected a number of kB, got {value.strip()[:40]!r}")
    return int(number) * 1024


def parse_smaps(text: str, origin: str) -> list[Backing]:
    """Parse smaps (or smaps_rollup) text; a bad line raises ProcError naming origin:line."""
    out: list[Backing] = []
    mapping: Mapping | None = None
    values: dict[str, int] = {}
    thp = False
    flags: tuple[str, ...] = ()

    def close() -> None:
        if mapping is not None:
            out.append(Backing(mapping, tuple(values.get(f, 0) for f in FIELDS), thp, flags))

    for lineno, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        key, sep, value = line.partition(":")
        if sep and key and " " not in key and "-" not in key:
            if mapping is None:
                raise ProcError(f"{origin}:{lineno}: a counter before any mapping line")
            if key == "VmFlags":
                flags = tuple(value.split())
            elif key == "THPeligible":
                thp = value.strip() == "1"
            elif key in FIELDS:
                values[key] = _kb(value, origin, lineno)
            continue  # counters we do not keep (Pss_Dirty, KSM, ProtectionKey, ...)
        close()
        mapping = parse_maps(line + "\n", f"{origin}:{lineno}")[0]
        values, thp, flags = {}, False, ()
    close()
    return out


def read_smaps(pid: int, root: str = "/") -> list[Backing]:
    """The process's smaps, one Backing per mapping."""
    data = _read_proc(root, pid, "smaps", "smaps")
    return parse_smaps(data.decode("utf-8", "backslashreplace"), proc_path(root, str(pid), "smaps"))


def read_rollup(pid: int, root: str = "/") -> Backing | None:
    """smaps_rollup: the whole process summed (None where the kernel has no such file, before 4.14)."""
    if os.path.isdir(proc_path(root, str(pid))) and not os.path.exists(proc_path(root, str(pid), "smaps_rollup")):
        return None
    data = _read_proc(root, pid, "smaps_rollup", "smaps")
    rows = parse_smaps(data.decode("utf-8", "backslashreplace"), proc_path(root, str(pid), "smaps_rollup"))
    return rows[0] if rows else None


@dataclass(frozen=True)
class Totals:
    """A process's memory by what backs it, in bytes."""

    size: int
    rss: int
    pss: int
    anonymous: int
    page_cache: int
    swap: int

    def sentence(self) -> str:
        if not self.rss and not self.swap:
            return f"{fmt_size(self.size)} mapped, none of it resident yet"
        anon = 100 * self.anonymous // max(self.rss, 1)
        return (f"{fmt_size(self.size)} mapped, {fmt_size(self.rss)} resident: {fmt_size(self.anonymous)} "
                f"anonymous ({anon} %), {fmt_size(self.page_cache)} page cache ({100 - anon} %)"
                + (f", {fmt_size(self.swap)} swapped out" if self.swap else ""))


def totals(rows: Sequence[Backing]) -> Totals:
    return Totals(sum(r["Size"] for r in rows), sum(r.rss for r in rows), sum(r["Pss"] for r in rows),
                  sum(r.anonymous for r in rows), sum(r.page_cache for r in rows), sum(r.swap for r in rows))

"""/proc/PID/maps: one parser by line and one by column (MapsTable), and the torn-read re-read."""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import compress, count, islice, repeat
from operator import le, lt, ne

from vaslayout.core import collector
from vaslayout.errors import shortened
from vaslayout.proc.process import _check_same, _exited, _pid_dir, _read_proc
from vaslayout.proc.reader import ProcError

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from typing import TypeVar, overload

    _T = TypeVar("_T")

_CHUNK = 1 << 18  # characters of maps text split into lines at a time
MAPS_ATTEMPTS = 4  # one read and up to 3 re-reads when the maps change underneath us


# --------------------------------------------------------------------------- maps


@dataclass(frozen=True, slots=True)
class Mapping:
    """One line of /proc/PID/maps, as the kernel wrote it; [start, end) is half-open."""

    start: int
    end: int
    perms: str
    offset: int
    dev: str
    inode: int
    path: str

    @property
    def name(self) -> str:
        """The kernel's name for the mapping; "anonymous" when the line has none."""
        return self.path or "anonymous"

    @property
    def kind(self) -> str:
        """A layout kind chosen only from what the line says."""
        p = self.path
        if not p:
            return "mmap"
        if p[0] == "[" and p[-1] == "]":
            if p == "[heap]":
                return "heap"
            if p == "[stack]" or p.startswith("[stack:"):
                return "stack"
            if p == "[vsyscall]":
                return "vsyscall"
            return "mmap"  # [vdso], [vvar], [anon:...], [uprobes]...
        return "user-text" if "x" in self.perms else "user-data"

    @property
    def size(self) -> int:
        return self.end - self.start

    @property
    def deleted(self) -> bool:
        """The backing file was unlinked; the kernel appends " (deleted)" to the path."""
        return self.path.endswith(" (deleted)")


# The only permission strings the kernel writes ("%c%c%c%c": r/-, w/-, x/-, s/p).
# Looking them up both validates the field and shares one str per value.
_PERMS = {
    r + w + x + s: r + w + x + s for r in "r-" for w in "w-" for x in "x-" for s in "ps"
}

# A frozen dataclass's __init__ costs one object.__setattr__ per field; on
# 65,530 lines that is a third of the parse. The slot descriptors store the
# same values directly, and the result compares equal to Mapping(...).
_NEW = object.__new__
_SET_START = Mapping.start.__set__  # type: ignore[attr-defined]
_SET_END = Mapping.end.__set__  # type: ignore[attr-defined]
_SET_PERMS = Mapping.perms.__set__  # type: ignore[attr-defined]
_SET_OFFSET = Mapping.offset.__set__  # type: ignore[attr-defined]
_SET_DEV = Mapping.dev.__set__  # type: ignore[attr-defined]
_SET_INODE = Mapping.inode.__set__  # type: ignore[attr-defined]
_SET_PATH = Mapping.path.__set__  # type: ignore[attr-defined]


def _shown(line: str) -> str:
    return repr(shortened(line, 100))


def _is_hex(s: str) -> bool:
    return bool(s) and all(c in "0123456789abcdefABCDEF" for c in s)


def _why_malformed(line: str) -> str:
    """Explain the first thing wrong with a maps line (slow path, errors only)."""
    f = line.split(maxsplit=5)
    if len(f) < 5:
        return "expected 'start-end perms offset dev inode [path]'"
    start, sep, end = f[0].partition("-")
    if not (sep and _is_hex(start) and _is_hex(end)):
        return f"bad range {f[0]!r}"
    if int(start, 16) >= int(end, 16):
        return f"start 0x{int(start, 16):x} is not below end 0x{int(end, 16):x}"
    if f[1] not in _PERMS:
        return f"bad permissions {f[1]!r}"
    if not _is_hex(f[2]):
        return f"bad offset {f[2]!r}"
    major, sep, minor = f[3].partition(":")
    if not (sep and _is_hex(major) and _is_hex(minor)):
        return f"bad device {f[3]!r}"
    if not f[4].isdigit():
        return f"bad inode {f[4]!r}"
    return "cannot parse"


def _parse(text: str, origin: str) -> tuple[list[Mapping], int | None]:
    """Parse maps text; also return the index of the first line out of order (None: sorted, disjoint)."""
    with collector.paused():  # only new, acyclic objects here: pausing the collector saves ~10% on big files
        return _parse_lines(text, origin)


def _parse_lines(text: str, origin: str) -> tuple[list[Mapping], int | None]:
    """The parse itself.

    Lines are cut at "\n" only (a file name may hold other line breaks), a
    slice of text at a time, so a big file never exists as one list of lines.
    """
    out: list[Mapping] = []
    append = out.append
    perms_of = _PERMS
    devs: dict[str, str] = {}
    offsets: dict[str, int] = {}  # most lines repeat "00000000" and inode "0": a lookup beats int()
    inodes: dict[str, int] = {}
    disorder: int | None = None
    prev_end = 0
    lines: list[str] = []
    first = 0  # index in `out` of lines[0]
    pos, size = 0, len(text)
    try:
        while pos < size:
            cut = text.find("\n", pos + _CHUNK)
            cut = size if cut < 0 else cut + 1
            lines = text[pos:cut].split("\n")
            if not lines[-1]:
                lines.pop()  # the text after the chunk's last newline
            first, pos = len(out), cut
            for line in lines:
                f = line.split(None, 5)
                a, sep, b = f[0].partition("-")
                start = int(a, 16)
                end = int(b, 16)
                if start >= end or not sep:
                    raise ValueError
                if start < prev_end and disorder is None:
                    disorder = len(out)
                prev_end = end
                dev = devs.get(f[3])
                if dev is None:
                    major, sep, minor = f[3].partition(":")
                    int(major, 16), int(minor, 16)  # validates
                    if not sep:
                        raise ValueError
                    dev = devs[f[3]] = f[3]
                offset = offsets.get(f[2])
                if offset is None:
                    offset = offsets[f[2]] = int(f[2], 16)
                inode = inodes.get(f[4])
                if inode is None:
                    inode = inodes[f[4]] = int(f[4])
                m = _NEW(Mapping)
                _SET_START(m, start)
                _SET_END(m, end)
                _SET_PERMS(m, perms_of[f[1]])
                _SET_OFFSET(m, offset)
                _SET_DEV(m, dev)
                _SET_INODE(m, inode)
                _SET_PATH(m, f[5] if len(f) == 6 else "")
                append(m)
    except (ValueError, IndexError, KeyError):
        n = len(out)  # the line that failed: every earlier one was appended
        bad = lines[n - first]
        raise ProcError(f"{origin}:{n + 1}: malformed line: {_shown(bad)} ({_why_malformed(bad)})") from None
    return out, disorder


def parse_maps(text: str, origin: str) -> list[Mapping]:
    """Parse the text of a maps file strictly; a bad line raises ProcError naming origin:line.

    Paths keep their spaces and a " (deleted)" suffix. Order is not checked
    here (read_maps does that, since only a live read can change under us).
    """
    return _parse(text, origin)[0]


@dataclass(frozen=True, eq=False)
class MapsTable(Sequence[Mapping]):
    """A maps file by column, for output that needs no Mapping per line.

    Most lines say the same after their range ("rw-p 00000000 00:00 0"), so
    `rests[i]` is a Mapping shared by every line with line i's perms, offset,
    device, inode and path (its own start and end mean nothing). Indexing
    builds the line's Mapping. parse_maps_table and read_maps_table give the
    lines in order and disjoint. Compared by identity, as the lists inside
    cannot be hashed; compare list(table) for values.
    """

    starts: list[int]
    ends: list[int]
    rests: list[Mapping]

    def __len__(self) -> int:
        return len(self.starts)

    if TYPE_CHECKING:
        @overload
        def __getitem__(self, i: int) -> Mapping: ...

        @overload
        def __getitem__(self, i: slice) -> MapsTable: ...

    def __getitem__(self, i: int | slice) -> Mapping | MapsTable:
        if isinstance(i, slice):
            return MapsTable(self.starts[i], self.ends[i], self.rests[i])
        r = self.rests[i]
        return Mapping(self.starts[i], self.ends[i], r.perms, r.offset, r.dev, r.inode, r.path)

    def ending_above(self, address: int) -> list[Mapping]:
        """The mappings that end above `address`, found by bisection."""
        return [self[i] for i in range(bisect_right(self.ends, address), len(self))]


# Where a line as the kernel writes it begins: a newline, the lowercase hex range, one space. Split at
# these, the text between two is the rest of a line. A literal newline first lets the regex engine
# scan for the next one in a tight loop; a pattern that matches whole lines matches every character.
_LINE_START = re.compile(r"\n([0-9a-f]+)-([0-9a-f]+) ")


def _parse_table(text: str, origin: str) -> tuple[MapsTable, int | None]:
    """_parse by column; anything unusual goes to _parse, so errors and odd lines come out as parse_maps has them."""
    table = _columns(text, origin)
    if table is not None:
        return table, None
    maps, disorder = _parse(text, origin)
    shared_by: dict[tuple[str, int, str, int, str], Mapping] = {}
    rests = [shared_by.setdefault((m.perms, m.offset, m.dev, m.inode, m.path), m) for m in maps]
    return MapsTable([m.start for m in maps], [m.end for m in maps], rests), disorder


def _columns(text: str, origin: str) -> MapsTable | None:
    """One regex split and C loops a slice of text at a time, instead of a Python loop over the lines.

    None when a line is not as the kernel writes it (it does not begin with
    a range, or _parse refuses its rest), the text does not end in a
    newline, a range is empty or backward, or the lines are out of order.
    """
    starts: list[int] = []
    ends: list[int] = []
    rests: list[Mapping] = []
    rest_of: dict[str, Mapping] = {}
    if text and text[-1] != "\n":
        return None
    pos, size = 0, len(text)
    while pos < size:
        cut = text.find("\n", pos + _CHUNK)
        cut = size if cut < 0 else cut + 1
        # "", start, end, rest, start, end, rest, ...: a line that does not begin with a range
        # stays in the rest before it, newline and all
        parts = _LINE_START.split("\n" + text[pos:cut - 1])
        if parts[0]:
            return None
        first, end_text = len(starts), parts[2::3]
        starts += map(int, parts[1::3], repeat(16))
        ends += following_starts(starts[first + 1:], len(end_text), compress(count(), map(ne, end_text, parts[4::3])),
                                 lambda i, end_text=end_text: int(end_text[i], 16))
        new = list(set(parts[3::3]).difference(rest_of))
        if new:
            if any("\n" in rest for rest in new):
                return None
            try:
                rest_of.update(zip(new, _parse("".join(f"0-1 {rest}\n" for rest in new), origin)[0], strict=True))
            except ProcError:
                return None
        rests += map(rest_of.__getitem__, parts[3::3])
        pos = cut
    if all(map(lt, starts, ends)) and all(map(le, ends, islice(starts, 1, None))):
        return MapsTable(starts, ends, rests)
    return None


def following_starts(next_starts: list[_T], n: int, holes: Iterable[int], own: Callable[[int], _T]) -> list[_T]:
    """n lines' ends, each the start of the line after it (most lines end where the next begins),
    but own(i) for a line i before a hole, or with no next start given.

    The parse takes ends as ints this way and show --pid --json as text:
    either way only the ends before a hole are converted.
    """
    out = next_starts[:n]
    out += map(own, range(len(out), n))
    for i in holes:
        out[i] = own(i)
    return out


def parse_maps_table(text: str, origin: str) -> MapsTable:
    """parse_maps as a MapsTable; lines out of order or overlapping raise ProcError too."""
    table, disorder = _parse_table(text, origin)
    if disorder is not None:
        m = table[disorder]
        raise ProcError(f"{origin}:{disorder + 1}: {m.start:x}-{m.end:x} is out of order or overlaps the line before")
    return table



if TYPE_CHECKING:
    _Parsed = TypeVar("_Parsed", list[Mapping], MapsTable)


def read_maps(pid: int, root: str = "/", *, started: int | None = None) -> list[Mapping]:
    """Read and parse /proc/PID/maps; re-read when the snapshot is torn (unsorted or overlapping).

    The kernel drops the mmap lock between read() calls, so a process that maps
    or unmaps while we read can hand us lines from two different moments.
    `started` (from start_time()) makes sure the pid still names the process
    first looked at; the start time is also compared before and after the read,
    so maps of two different processes are never mixed.
    """
    return _read_maps(pid, root, started, _parse)


def read_maps_table(pid: int, root: str = "/", *, started: int | None = None,
                    first: bytes | None = None) -> MapsTable:
    """read_maps as a MapsTable; `first`, the maps already read (ChildRead) after `started` was."""
    return _read_maps(pid, root, started, _parse_table, first)


def _read_maps(pid: int, root: str, started: int | None,
               parse: Callable[[str, str], tuple[_Parsed, int | None]], first: bytes | None = None) -> _Parsed:
    origin = os.path.join(_pid_dir(root, pid), "maps")
    before = _check_same(pid, root, started)
    for _ in range(MAPS_ATTEMPTS):
        data = first if first is not None else _read_proc(root, pid, "maps", "maps")
        first = None  # a re-read reads
        text = data.decode("utf-8", "backslashreplace")
        data = b""  # the bytes go now, not after the parse: 4.8 MiB of a 65,530-line file
        if not text and not os.path.isdir(_pid_dir(root, pid)):
            raise ProcError(f"process {pid} exited while its maps were read")
        if not text and _exited(root, pid):  # empty like a kernel thread's, but the process is gone
            raise ProcError(f"process {pid} has exited (its parent has not collected it yet)")
        maps, disorder = parse(text, origin)
        if disorder is None:
            _check_same(pid, root, before)
            return maps
    raise ProcError(f"process {pid}: its maps kept changing while being read ({MAPS_ATTEMPTS} tries); try again")

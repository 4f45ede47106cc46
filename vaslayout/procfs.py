"""Read what Linux already exposes: a process's maps and pagemap, /proc/iomem, the running kernel.

Pure reading layer: stdlib only, no UI. Every reader takes `root` (and `boot`)
so tests can point it at a fixture tree. Every user-facing failure is a
ProcError whose str() is one line naming the input.
"""

from __future__ import annotations

import errno
import gc
import gzip
import os
import re
import sys
import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice, repeat
from operator import le, lt
from typing import TypeVar, overload

from vaslayout.errors import UserError

__all__ = [
    "IomemEntry", "KernelInfo", "Mapping", "MapsTable", "PageInfo", "ProcError",
    "comm", "detect", "iomem_hidden", "kernel_image", "parse_iomem", "parse_maps", "parse_maps_table",
    "read_iomem", "read_maps", "read_maps_table", "read_pagemap", "resolve_pid", "start_time", "system_ram",
    "walk_iomem",
]

START_KERNEL_MAP = 0xFFFF_FFFF_8000_0000  # __START_KERNEL_map: the kernel text mapping starts here
DEFAULT_PHYSICAL_START = 0x100_0000  # CONFIG_PHYSICAL_START default (16 MiB)
DEFAULT_PHYSICAL_ALIGN = 0x20_0000  # CONFIG_PHYSICAL_ALIGN default (2 MiB)
USER_4LEVEL_LIMIT = 1 << 47  # a user mapping above this needs 5-level paging
_CHUNK = 1 << 18  # characters of maps text split into lines at a time
MAPS_ATTEMPTS = 4  # one read and up to 3 re-reads when the maps change underneath us
COMM_LEN = 15  # TASK_COMM_LEN - 1: the kernel truncates comm to this


class ProcError(UserError):
    """A user error reading /proc or /boot; str() is one line that names the input."""


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
    return repr(line if len(line) <= 100 else line[:97] + "...")


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
    """Parse maps text; also return the index of the first line out of order (None: sorted, disjoint).

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
    was_enabled = gc.isenabled()
    gc.disable()  # only new, acyclic objects here: pausing the collector saves ~10% on big files
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
    finally:
        if was_enabled:
            gc.enable()
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


# A line as the kernel writes it: lowercase hex range, one space, the rest of the line. Anchored at
# line starts, so a search through text that does not match costs one try per line, not per character.
_MAPS_LINE = re.compile(r"^([0-9a-f]+)-([0-9a-f]+)( .*)\n", re.M)


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

    None when a line is not as the kernel writes it (the pattern does not
    match it whole, or _parse refuses its rest), a range is empty or
    backward, or the lines are out of order.
    """
    starts: list[int] = []
    ends: list[int] = []
    rests: list[Mapping] = []
    rest_of: dict[str, Mapping] = {}
    pos, size = 0, len(text)
    while pos < size:
        cut = text.find("\n", pos + _CHUNK)
        cut = size if cut < 0 else cut + 1
        parts = _MAPS_LINE.split(text[pos:cut])  # "", start, end, rest, "", start, end, rest, ..., ""
        if any(parts[::4]):  # text between or after the matches: a line did not match whole
            return None
        starts += map(int, parts[1::4], repeat(16))
        ends += map(int, parts[2::4], repeat(16))
        new = list(set(parts[3::4]).difference(rest_of))
        if new:
            try:
                rest_of.update(zip(new, _parse("".join(f"0-1{rest}\n" for rest in new), origin)[0], strict=True))
            except ProcError:
                return None
        rests += map(rest_of.__getitem__, parts[3::4])
        pos = cut
    if all(map(lt, starts, ends)) and all(map(le, ends, islice(starts, 1, None))):
        return MapsTable(starts, ends, rests)
    return None


def parse_maps_table(text: str, origin: str) -> MapsTable:
    """parse_maps as a MapsTable; lines out of order or overlapping raise ProcError too."""
    table, disorder = _parse_table(text, origin)
    if disorder is not None:
        m = table[disorder]
        raise ProcError(f"{origin}:{disorder + 1}: {m.start:x}-{m.end:x} is out of order or overlaps the line before")
    return table


def _read_file(path: str) -> bytes:
    """One open, then read until EOF (seq_file hands back about a page per read)."""
    with open(path, "rb", buffering=0) as f:
        return f.readall()


class ChildRead:
    """A file copied by `cat` into an anonymous memory file while this process goes on.

    The kernel spends ~20 ms writing out a 65,530-line maps file, a page per
    read() call. A thread would wait for the GIL after each call, and a forked
    Python would make every page this process then writes a copy-on-write
    fault; cat, started with posix_spawn (vfork: nothing copied), reads on
    another CPU while this process imports. `data` is set on leaving the
    `with` block, or stays None when the copy failed, could not start or is
    empty: the caller then reads as usual, and reports what went wrong.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.data: bytes | None = None
        self._fd = self._child = -1

    def __enter__(self) -> ChildRead:
        cat = next((c for c in _CATS if os.access(c, os.X_OK)), None)
        if cat is None or not hasattr(os, "memfd_create"):
            return self
        try:
            self._fd = os.memfd_create("vaslayout-read", os.MFD_CLOEXEC)
            self._child = os.posix_spawn(cat, ["cat", "--", self.path], {}, file_actions=[
                (os.POSIX_SPAWN_DUP2, self._fd, 1), (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
        except OSError:
            self._close()
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self._child > 0:
                _, status = os.waitpid(self._child, 0)
                if os.waitstatus_to_exitcode(status) == 0:
                    # b"" is read again: a cat that takes /proc's size of 0 for the truth copies nothing
                    self.data = os.pread(self._fd, os.fstat(self._fd).st_size, 0) or None
        finally:
            self._close()

    def _close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


_CATS = ("/bin/cat", "/usr/bin/cat")


def _pid_dir(root: str, pid: int) -> str:
    return os.path.join(root, str(pid))


def _read_proc(root: str, pid: int, name: str, what: str) -> bytes:
    """Read root/PID/name, turning every OSError into one clear ProcError."""
    path = os.path.join(_pid_dir(root, pid), name)
    if pid <= 0:
        raise ProcError(f"no process {pid}")
    try:
        return _read_file(path)
    except PermissionError:
        raise ProcError(f"permission denied reading {path}") from None
    except ProcessLookupError:
        raise ProcError(f"process {pid} exited while its {what} were read") from None
    except FileNotFoundError:
        if not os.path.isdir(_pid_dir(root, pid)):
            raise ProcError(f"no process {pid}") from None
        raise ProcError(f"process {pid} exited while its {what} were read") from None
    except OSError as exc:
        if exc.errno == errno.ESRCH:
            raise ProcError(f"process {pid} exited while its {what} were read") from None
        raise ProcError(f"cannot read {path}: {exc.strerror or exc}") from None


def _stat_fields(text: str) -> list[str]:
    """The fields of /proc/PID/stat from field 3 (state) on.

    The command name (field 2) is in parentheses and may itself hold ") ",
    so the fields are taken after the last ")".
    """
    return text[text.rfind(")") + 1:].split()


def _parse_start_time(text: str) -> int | None:
    fields = _stat_fields(text)  # starttime is field 22: the 20th from field 3
    if len(fields) < 20 or not fields[19].isdigit():
        return None
    return int(fields[19])


def _stat_or_none(root: str, pid: int) -> str | None:
    """/proc/PID/stat, or None when it cannot be read (the process is gone, or a fixture tree has none)."""
    try:
        with open(os.path.join(_pid_dir(root, pid), "stat"), "rb") as f:
            return f.read(4096).decode("ascii", "replace")
    except OSError:
        return None


def _exited(root: str, pid: int) -> bool:
    """The task is a zombie (Z) or dead (X): it has exited, its parent has not collected it yet."""
    fields = _stat_fields(_stat_or_none(root, pid) or "")
    return bool(fields) and fields[0] in ("Z", "X")


def start_time(pid: int, root: str = "/proc") -> int:
    """When the process started, in clock ticks after boot (field 22 of /proc/PID/stat).

    A pid alone does not name a process for long: once it exits, the kernel
    hands the number to the next new one. The pid and its start time do.
    """
    data = _read_proc(root, pid, "stat", "details")
    value = _parse_start_time(data.decode("ascii", "replace"))
    if value is None:
        raise ProcError(f"{os.path.join(_pid_dir(root, pid), 'stat')}: malformed")
    return value


def _start_time_or_none(root: str, pid: int) -> int | None:
    text = _stat_or_none(root, pid)
    return None if text is None else _parse_start_time(text)


def _reused(pid: int, root: str) -> ProcError:
    try:
        now = f" (now {comm(pid, root)!r})"
    except ProcError:
        now = ""
    return ProcError(f"process {pid} has exited and its pid was given to another process{now}")


def _check_same(pid: int, root: str, started: int | None) -> int | None:
    """The start time now; ProcError when it is not `started` (the pid was reused)."""
    now = _start_time_or_none(root, pid)
    if started is not None and now is not None and now != started:
        raise _reused(pid, root)
    return now


_Parsed = TypeVar("_Parsed", list[Mapping], MapsTable)


def read_maps(pid: int, root: str = "/proc", *, started: int | None = None) -> list[Mapping]:
    """Read and parse /proc/PID/maps; re-read when the snapshot is torn (unsorted or overlapping).

    The kernel drops the mmap lock between read() calls, so a process that maps
    or unmaps while we read can hand us lines from two different moments.
    `started` (from start_time()) makes sure the pid still names the process
    first looked at; the start time is also compared before and after the read,
    so maps of two different processes are never mixed.
    """
    return _read_maps(pid, root, started, _parse)


def read_maps_table(pid: int, root: str = "/proc", *, started: int | None = None,
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
        text = data.decode("utf-8", "backslashreplace")  # drops the bytes
        if not text and not os.path.isdir(_pid_dir(root, pid)):
            raise ProcError(f"process {pid} exited while its maps were read")
        if not text and _exited(root, pid):  # empty like a kernel thread's, but the process is gone
            raise ProcError(f"process {pid} has exited (its parent has not collected it yet)")
        maps, disorder = parse(text, origin)
        if disorder is None:
            _check_same(pid, root, before)
            return maps
    raise ProcError(f"process {pid}: its maps kept changing while being read ({MAPS_ATTEMPTS} tries); try again")


# --------------------------------------------------------------------------- processes


def comm(pid: int, root: str = "/proc") -> str:
    """The process's command name (at most 15 characters: the kernel truncates it)."""
    data = _read_proc(root, pid, "comm", "details")
    return data.decode("utf-8", "backslashreplace").removesuffix("\n")


def resolve_pid(spec: str, root: str = "/proc") -> int:
    """Turn "self", a number or a command name into a pid; a name must match exactly one process.

    Names longer than 15 characters are compared truncated, as the kernel
    stores them. The caller itself is never a match for a name.
    """
    s = spec.strip()
    if not s:
        raise ProcError("empty process: give a pid, a command name or 'self'")
    if s == "self":
        return os.getpid()
    if s.isascii() and s.isdigit():
        pid = int(s)
        if pid <= 0 or not os.path.isdir(_pid_dir(root, pid)):
            raise ProcError(f"no process {pid}")
        return pid
    try:
        entries = os.listdir(root)
    except OSError as exc:
        raise ProcError(f"cannot list {root}: {exc.strerror or exc}") from None
    want = s[:COMM_LEN]
    me = os.getpid() if os.path.realpath(root) == "/proc" else None
    found = []
    for entry in entries:
        if not (entry.isascii() and entry.isdigit()):
            continue
        pid = int(entry)
        if pid == me:
            continue
        try:
            with open(os.path.join(root, entry, "comm"), "rb") as f:
                name = f.read().decode("utf-8", "backslashreplace").removesuffix("\n")
        except OSError:
            continue  # exited or unreadable while we looked
        if name == want:
            found.append(pid)
    if not found:
        raise ProcError(f"no process named {s!r}")
    if len(found) > 1:
        found.sort()
        listed = ", ".join(map(str, found[:20])) + (f", ... ({len(found) - 20} more)" if len(found) > 20 else "")
        raise ProcError(f"{len(found)} processes named {s!r}: {listed}")
    return found[0]


# --------------------------------------------------------------------------- pagemap

_PM_PRESENT = 1 << 63
_PM_SWAPPED = 1 << 62
_PM_FILE_OR_SHARED = 1 << 61
_PM_EXCLUSIVE = 1 << 56
_PM_SOFT_DIRTY = 1 << 55
_PM_PFN_MASK = (1 << 55) - 1  # bits 0-54


@dataclass(frozen=True)
class PageInfo:
    """One pagemap entry (Documentation/admin-guide/mm/pagemap.rst).

    pfn is None when the page is absent or swapped, and when the kernel hides
    PFNs (pfn_hidden: present, but the PFN field zeroed for a reader without
    CAP_SYS_ADMIN) - so nobody prints a made-up physical address 0.
    """

    vaddr: int
    present: bool
    swapped: bool
    file_or_shared: bool
    exclusive: bool
    soft_dirty: bool
    pfn: int | None
    pfn_hidden: bool
    phys: int | None
    raw: int = 0

    @property
    def swap_type(self) -> int | None:
        return self.raw & 0x1F if self.swapped else None

    @property
    def swap_offset(self) -> int | None:
        return (self.raw & _PM_PFN_MASK) >> 5 if self.swapped else None


def page_info(vaddr: int, raw: int, page_size: int = 4096) -> PageInfo:
    """Decode one 64-bit pagemap entry for vaddr."""
    present = bool(raw & _PM_PRESENT)
    field_pfn = raw & _PM_PFN_MASK
    pfn = field_pfn if present and field_pfn else None
    return PageInfo(
        vaddr=vaddr,
        present=present,
        swapped=bool(raw & _PM_SWAPPED),
        file_or_shared=bool(raw & _PM_FILE_OR_SHARED),
        exclusive=bool(raw & _PM_EXCLUSIVE),
        soft_dirty=bool(raw & _PM_SOFT_DIRTY),
        pfn=pfn,
        pfn_hidden=present and not field_pfn,
        phys=None if pfn is None else pfn * page_size + vaddr % page_size,
        raw=raw,
    )


def read_pagemap(pid: int, vaddrs: Sequence[int], root: str = "/proc",
                 page_size: int | None = None, *, started: int | None = None) -> list[PageInfo]:
    """Read the pagemap entry of each address: 8 bytes at (vaddr / page size) * 8.

    An address the kernel has no entry for (beyond the user range) reads as
    absent, as the kernel reports it. With `started`, entries are only
    returned while the pid still names the process that started then.
    """
    ps = page_size or os.sysconf("SC_PAGE_SIZE")
    for v in vaddrs:
        if not 0 <= v < 1 << 64:
            raise ProcError(f"{v:#x} is not a 64-bit address" if v >= 0 else f"negative address {v}")
    piddir = _pid_dir(root, pid)
    path = os.path.join(piddir, "pagemap")
    if pid <= 0:
        raise ProcError(f"no process {pid}")
    before = _check_same(pid, root, started)
    out: list[PageInfo] = []
    try:
        fd = os.open(path, os.O_RDONLY)
    except PermissionError:
        raise ProcError(f"permission denied reading {path}") from None
    except FileNotFoundError:
        if not os.path.isdir(piddir):
            raise ProcError(f"no process {pid}") from None
        raise ProcError(f"cannot read {path}: no such file") from None
    except OSError as exc:
        raise ProcError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        for v in vaddrs:
            try:
                data = os.pread(fd, 8, (v // ps) * 8)
            except (ProcessLookupError, FileNotFoundError):
                raise ProcError(f"process {pid} exited while its pagemap was read") from None
            except PermissionError:
                raise ProcError(f"permission denied reading {path}") from None
            except OSError as exc:
                if exc.errno == errno.ESRCH:
                    raise ProcError(f"process {pid} exited while its pagemap was read") from None
                raise ProcError(f"cannot read {path}: {exc.strerror or exc}") from None
            if len(data) < 8 and not os.path.isdir(piddir):
                raise ProcError(f"process {pid} exited while its pagemap was read")
            raw = int.from_bytes(data, sys.byteorder) if len(data) == 8 else 0
            out.append(page_info(v, raw, ps))
    finally:
        os.close(fd)
    _check_same(pid, root, before)
    return out


# --------------------------------------------------------------------------- iomem


@dataclass(frozen=True)
class IomemEntry:
    """One /proc/iomem line; end is exclusive (the file prints it inclusive)."""

    start: int
    end: int
    name: str
    depth: int
    children: tuple[IomemEntry, ...] = ()

    @property
    def size(self) -> int:
        return self.end - self.start


def parse_iomem(text: str, origin: str) -> list[IomemEntry]:
    """Build the iomem tree; each level is indented two more spaces than its parent."""
    # Each frame: (depth, start, end, name, children-so-far); frozen bottom-up when closed.
    top: list[IomemEntry] = []
    stack: list[tuple[int, int, int, str, list[IomemEntry]]] = []

    def close_to(depth: int) -> None:
        while stack and stack[-1][0] >= depth:
            d, s, e, n, kids = stack.pop()
            entry = IomemEntry(s, e, n, d, tuple(kids))
            (stack[-1][4] if stack else top).append(entry)

    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        rng, sep, name = body.partition(" : ")
        a, dash, b = rng.partition("-")
        if indent % 2 or not (sep and dash and _is_hex(a) and _is_hex(b)):
            raise ProcError(f"{origin}:{i}: malformed line: {_shown(line)}")
        depth = indent // 2
        close_to(depth)
        parent_depth = stack[-1][0] if stack else -1
        if depth != parent_depth + 1:
            raise ProcError(f"{origin}:{i}: indented {depth - parent_depth - 1} levels too deep: {_shown(line)}")
        stack.append((depth, int(a, 16), int(b, 16) + 1, name, []))
    close_to(0)
    return top


def read_iomem(root: str = "/proc") -> list[IomemEntry]:
    """Read /proc/iomem as a tree. Without root the kernel prints every range as 0-0: see iomem_hidden."""
    path = os.path.join(root, "iomem")
    try:
        data = _read_file(path)
    except PermissionError:
        raise ProcError(f"permission denied reading {path}") from None
    except OSError as exc:
        raise ProcError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_iomem(data.decode("utf-8", "backslashreplace"), path)


def walk_iomem(entries: Sequence[IomemEntry]) -> Iterator[IomemEntry]:
    """Every entry, parents before children, in file order."""
    for e in entries:
        yield e
        yield from walk_iomem(e.children)


def iomem_hidden(entries: Sequence[IomemEntry]) -> bool:
    """True when the kernel zeroed every address (a reader without CAP_SYS_ADMIN)."""
    seen = False
    for e in walk_iomem(entries):
        if e.start != 0 or e.end != 1:
            return False
        seen = True
    return seen


def system_ram(entries: Sequence[IomemEntry]) -> list[tuple[int, int]]:
    """The "System RAM" ranges [start, end), in address order; empty when the addresses are hidden."""
    if iomem_hidden(entries):
        return []
    out: list[tuple[int, int]] = []

    def visit(es: Sequence[IomemEntry]) -> None:
        for e in es:
            if e.name == "System RAM":
                out.append((e.start, e.end))
            else:
                visit(e.children)

    visit(entries)
    return sorted(out)


def kernel_image(entries: Sequence[IomemEntry]) -> dict[str, tuple[int, int]]:
    """Physical ranges of "Kernel code", "Kernel rodata", "Kernel data", "Kernel bss" (those present)."""
    if iomem_hidden(entries):
        return {}
    out: dict[str, tuple[int, int]] = {}
    for e in walk_iomem(entries):
        if e.name in ("Kernel code", "Kernel rodata", "Kernel data", "Kernel bss") and e.name not in out:
            out[e.name] = (e.start, e.end)
    return out


# --------------------------------------------------------------------------- running kernel

# The config lines that change a layout. Prefixes end with "_".
_CONFIG_KEYS = frozenset({
    "CONFIG_X86_5LEVEL", "CONFIG_PGTABLE_LEVELS", "CONFIG_RANDOMIZE_MEMORY", "CONFIG_RANDOMIZE_BASE",
    "CONFIG_KASAN", "CONFIG_KASAN_SHADOW_OFFSET", "CONFIG_PAGE_OFFSET", "CONFIG_X86_32", "CONFIG_X86_64",
    "CONFIG_X86_PAE", "CONFIG_PHYSICAL_START", "CONFIG_PHYSICAL_ALIGN", "CONFIG_DYNAMIC_MEMORY_LAYOUT",
})
_CONFIG_PREFIXES = ("CONFIG_VMSPLIT_", "CONFIG_HIGHMEM")


@dataclass(frozen=True)
class KernelInfo:
    """What the running kernel lets us see, where each value came from, and what fell back to defaults."""

    linux: bool
    release: str
    arch: str
    la57_cpu: bool
    config_source: str | None
    config: dict[str, str]
    five_level: bool
    paging: str | None
    ram_ranges: tuple[tuple[int, int], ...]
    total_ram: int | None
    text: int | None
    kaslr_offset: int | None
    phys_base: int | None
    kernel_image: dict[str, tuple[int, int]] = field(default_factory=dict)
    iomem_hidden: bool = False
    text_hidden: bool = False
    defaults: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _read_text(path: str) -> str | None:
    try:
        return _read_file(path).decode("utf-8", "backslashreplace")
    except OSError:
        return None


# The lines that may be layout-relevant, found by one regex scan instead of a Python loop over 10,000.
_CONFIG_CANDIDATE = re.compile(r"^[^\S\n]*(?:# )?(?:{})[^\n]*".format(
    "|".join(map(re.escape, sorted({*_CONFIG_KEYS, *_CONFIG_PREFIXES})))), re.M)


def _parse_config(text: str) -> dict[str, str]:
    """Keep the layout-relevant CONFIG_ lines; "# CONFIG_X is not set" becomes "n"."""
    out: dict[str, str] = {}
    for raw in _CONFIG_CANDIDATE.findall(text):
        line = raw.strip()
        if line.startswith("# CONFIG_") and line.endswith(" is not set"):
            key, value = line[2:-len(" is not set")], "n"
        elif line.startswith("CONFIG_") and "=" in line:
            key, _, value = line.partition("=")
            value = value.strip('"')
        else:
            continue
        if key in _CONFIG_KEYS or key.startswith(_CONFIG_PREFIXES):
            out[key] = value
    return out


def _read_config(root: str, boot: str, release: str) -> tuple[str | None, dict[str, str], str]:
    """/proc/config.gz first, then /boot/config-RELEASE; returns (source, config, note)."""
    gz = os.path.join(root, "config.gz")
    try:
        with gzip.open(gz, "rt", encoding="utf-8", errors="replace") as f:
            return gz, _parse_config(f.read()), f"config from {gz}"
    except (OSError, EOFError, zlib.error):
        pass  # absent, unreadable or corrupt: try /boot
    plain = os.path.join(boot, f"config-{release}")
    try:
        with open(plain, encoding="utf-8", errors="replace") as f:
            return plain, _parse_config(f.read()), f"config from {plain}"
    except OSError:
        pass
    return None, {}, f"no kernel config: neither {gz} nor {plain} is readable"


def _cpu_flags(root: str) -> set[str] | None:
    """The first CPU's "flags" (x86); None when cpuinfo is unreadable or has no flags line."""
    path = os.path.join(root, "cpuinfo")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                key, sep, value = line.partition(":")
                if sep and key.strip() == "flags":
                    return set(value.split())
    except OSError:
        return None
    return None


def _kallsyms_text(root: str) -> tuple[int | None, str]:
    """Address of `_text`, reading only up to its line; (None, why) when absent or zeroed."""
    path = os.path.join(root, "kallsyms")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[2] == "_text":
                    addr = int(parts[0], 16)
                    if addr == 0:
                        restrict = _read_text(os.path.join(root, "sys", "kernel", "kptr_restrict"))
                        level = f" (kptr_restrict={restrict.strip()})" if restrict else ""
                        return None, f"{path} shows zero addresses{level}: _text, KASLR offset and phys_base unknown"
                    return addr, f"_text {addr:#x} from {path}"
    except (OSError, ValueError):
        return None, f"{path} is not readable: _text, KASLR offset and phys_base unknown"
    return None, f"no _text in {path}: KASLR offset and phys_base unknown"


def _meminfo_total(root: str) -> int | None:
    text = _read_text(os.path.join(root, "meminfo"))
    for line in (text or "").splitlines():
        if line.startswith("MemTotal:"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                return int(parts[1]) * 1024
    return None


def _size(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.4g} {unit}"
    return f"{n} B"


def _config_int(config: dict[str, str], key: str, default: int) -> int:
    try:
        return int(config[key], 0)
    except (KeyError, ValueError):
        return default


def detect(root: str = "/proc", boot: str = "/boot", release: str | None = None, *,
           machine: str | None = None, mappings: Sequence[Mapping] = ()) -> KernelInfo:
    """Find out what the running kernel does, reading only cheap files and stopping early.

    `machine` overrides os.uname().machine (for fixture trees); `mappings`, when
    given, are a process's maps: one above 1 << 47 proves 5-level paging.
    """
    if not os.path.isdir(root):
        raise ProcError(f"not a Linux system: {root} is missing")
    notes: list[str] = []
    defaults: list[str] = []
    uname = os.uname()

    linux = any(os.access(os.path.join(root, p), os.R_OK) for p in (os.path.join("self", "maps"), "version"))
    if not linux:
        notes.append(f"neither {root}/self/maps nor {root}/version is readable: not a Linux /proc?")
    arch = machine or uname.machine
    if release:
        notes.append(f"release {release} as given")
    else:
        osrelease = os.path.join(root, "sys", "kernel", "osrelease")
        found = (_read_text(osrelease) or "").strip()
        release = found or uname.release
        notes.append(f"release {release} from {osrelease if found else 'uname'}")
    x86_64 = arch == "x86_64"

    flags = _cpu_flags(root)
    la57_cpu = bool(flags and "la57" in flags)
    if flags is None:
        if x86_64:
            defaults.append("la57_cpu")
            notes.append(f"no CPU flags in {root}/cpuinfo: assuming no la57")
    else:
        notes.append(f"la57 {'in' if la57_cpu else 'not in'} the CPU flags of {root}/cpuinfo")

    config_source, config, note = _read_config(root, boot, release)
    notes.append(note)
    if config_source is None:
        defaults.append("config")

    five_level = False
    if x86_64:
        cmdline = (_read_text(os.path.join(root, "cmdline")) or "").split()
        five_cfg = config.get("CONFIG_X86_5LEVEL")
        levels = config.get("CONFIG_PGTABLE_LEVELS")
        if not la57_cpu:
            reason = "4-level paging: the CPU has no la57"
        elif "no5lvl" in cmdline:
            reason = "4-level paging: no5lvl on the kernel command line"
        elif five_cfg == "n" or (five_cfg is None and levels is not None and levels != "5"):
            reason = "4-level paging: the kernel is built without 5-level support"
        elif five_cfg == "y" or levels == "5":
            five_level, reason = True, "5-level paging: la57 CPU and a kernel built for it"
        else:
            five_level = True
            reason = "5-level paging assumed: la57 CPU, kernel config unknown (X86_5LEVEL defaults to y)"
            defaults.append("five_level")
        high = next((m for m in mappings if m.end > USER_4LEVEL_LIMIT and m.start < 1 << 63), None)
        if high is not None and not five_level:
            five_level, reason = True, f"5-level paging: a user mapping reaches {high.end:#x}, above 47 bits"
        notes.append(reason)
    paging = ("x86-64-5level" if five_level else "x86-64-4level") if x86_64 else None
    if not x86_64:
        notes.append(f"architecture {arch}: no x86-64 paging mode applies")

    ram_ranges: tuple[tuple[int, int], ...] = ()
    image: dict[str, tuple[int, int]] = {}
    total_ram: int | None = None
    hidden = False
    try:
        entries = read_iomem(root)
    except ProcError as exc:
        entries = []
        notes.append(f"{exc}: RAM ranges unknown")
    else:
        hidden = iomem_hidden(entries)
        if hidden:
            notes.append(f"{root}/iomem shows zero addresses (needs root): RAM ranges and kernel image unknown")
        else:
            ram_ranges = tuple(system_ram(entries))
            image = kernel_image(entries)
            if ram_ranges:
                total_ram = sum(e - s for s, e in ram_ranges)
                notes.append(f"System RAM from {root}/iomem: {len(ram_ranges)} ranges, {_size(total_ram)}")
    if not ram_ranges:
        defaults.append("ram_ranges")
        total_ram = _meminfo_total(root)
        if total_ram is None:
            defaults.append("total_ram")
        else:
            notes.append(f"total RAM {_size(total_ram)} from {root}/meminfo MemTotal (a little below installed RAM)")

    text: int | None = None
    text_hidden = False
    kaslr_offset = phys_base = None
    if x86_64:
        text, note = _kallsyms_text(root)
        text_hidden = text is None and "zero addresses" in note
        notes.append(note)
        if text is not None:
            align = _config_int(config, "CONFIG_PHYSICAL_ALIGN", DEFAULT_PHYSICAL_ALIGN)
            start = _config_int(config, "CONFIG_PHYSICAL_START", DEFAULT_PHYSICAL_START)
            start_kernel = START_KERNEL_MAP + (start + align - 1) // align * align
            kaslr_offset = text - start_kernel
            notes.append(f"KASLR offset {kaslr_offset:#x} (_text - {start_kernel:#x})")
            code = image.get("Kernel code")
            if code is not None:
                phys_base = code[0] - (text - START_KERNEL_MAP)
                notes.append(f"phys_base {phys_base:#x} (Kernel code at {code[0]:#x} in {root}/iomem)")
            else:
                notes.append("phys_base unknown: no Kernel code range in iomem")
        for name in ("text", "kaslr_offset", "phys_base"):
            if {"text": text, "kaslr_offset": kaslr_offset, "phys_base": phys_base}[name] is None:
                defaults.append(name)
        if config.get("CONFIG_RANDOMIZE_MEMORY") != "n":
            defaults.extend(("page_offset_base", "vmalloc_base", "vmemmap_base"))
            why = "CONFIG_RANDOMIZE_MEMORY=y" if config.get("CONFIG_RANDOMIZE_MEMORY") == "y" else "config unknown"
            notes.append(f"direct map, vmalloc and vmemmap bases: documented defaults ({why}; "
                         "/proc does not show them)")

    return KernelInfo(
        linux=linux, release=release, arch=arch, la57_cpu=la57_cpu, config_source=config_source,
        config=config, five_level=five_level, paging=paging, ram_ranges=ram_ranges, total_ram=total_ram,
        text=text, kaslr_offset=kaslr_offset, phys_base=phys_base, kernel_image=image,
        iomem_hidden=hidden, text_hidden=text_hidden, defaults=tuple(defaults), notes=tuple(notes),
    )

"""`vaslayout demo malloc`: watch glibc's malloc take memory from brk and from mmap, step by step.

A tiny child process (this Python, calling glibc's malloc, memset and free
through ctypes: no compiler needed) allocates a 100 B, a 100 KiB and a 1 MiB
block, touches the big one and frees them, one command at a time. After each
step the demo reads the child's maps and smaps, so what it shows is what the
kernel shows: [heap] growing through brk(), and the 1 MiB block arriving as an
anonymous mapping of its own, because it is above glibc's mmap threshold
(M_MMAP_THRESHOLD, 128 KiB by default; malloc/malloc.c DEFAULT_MMAP_THRESHOLD_MIN,
mallopt(3)). Its pages are counted in Rss only once they are touched (the page
fault brings them in), and free() hands the mapping back with munmap().

What is resident is measured, never assumed: the block's own pages are
counted in the child's pagemap (its mapping may have merged with an anonymous
neighbour, whose Rss smaps adds in), and where transparent huge pages are
'always' a first fault can bring in a whole folio, which the demo says.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from vaslayout.core.units import fmt_addr, fmt_size
from vaslayout.proc.maps import Mapping
from vaslayout.proc.reader import ProcError, proc_path
from vaslayout.proc.thp import anon_thp_always

MMAP_THRESHOLD = 128 * 1024  # glibc malloc/malloc.c: DEFAULT_MMAP_THRESHOLD_MIN
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

# The child: one command a line on stdin, one answer a line on stdout.
CHILD = r"""
import ctypes, sys
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
blocks = {}
print("ready", flush=True)
for line in sys.stdin:
    op, *arg = line.split()
    if op == "malloc":
        name, size = arg[0], int(arg[1])
        blocks[name] = (libc.malloc(size) or 0, size)
        print(blocks[name][0], flush=True)
    elif op == "touch":
        addr, size = blocks[arg[0]]
        ctypes.memset(addr, 0x5a, size)
        print(addr, flush=True)
    elif op == "free":
        addr, size = blocks.pop(arg[0])
        libc.free(addr)
        print(addr, flush=True)
    else:
        break
"""


@dataclass(frozen=True)
class Command:
    op: str  # malloc, touch, free
    block: str
    size: int
    caption: str


COMMANDS: tuple[Command, ...] = (
    Command("malloc", "small", 100,
            "malloc(100): a small request is cut from the heap, the [heap] mapping glibc grows with brk(). "
            "The chunk holds 100 bytes plus glibc's 8-byte size header, rounded to 16."),
    Command("malloc", "medium", 100 * 1024,
            "malloc(100 KiB): still below the mmap threshold (128 KiB), so it also comes from the heap: "
            "glibc moves the program break up with brk() and [heap] grows."),
    Command("malloc", "large", 1 << 20,
            "malloc(1 MiB): above the mmap threshold, so glibc asks the kernel for an anonymous mapping of its "
            "own with mmap(): a new region appears, 1 MiB plus a page for the chunk header."),
    Command("touch", "large", 1 << 20,
            "memset() over the 1 MiB block: until now only the page holding glibc's chunk header had been written. "
            "Each first write to a page is a page fault; the kernel takes a zeroed page from the page allocator "
            "and maps it, so Rss grows to the whole block."),
    Command("free", "large", 1 << 20,
            "free(1 MiB): an mmapped chunk goes straight back to the kernel with munmap(): the region is gone. "
            "(glibc now raises its mmap threshold to 1 MiB: the next such block would come from the heap.)"),
    Command("free", "medium", 100 * 1024,
            "free(100 KiB): the chunk returns to glibc's free lists (bins). The heap shrinks (brk down) only "
            "when the free space at its top exceeds M_TRIM_THRESHOLD (128 KiB by default)."),
    Command("free", "small", 100,
            "free(100): a small chunk goes to a per-thread cache (tcache) for the next malloc of that size; "
            "the kernel sees nothing."),
)


def _addr(address: int) -> str:
    """A user address as wide as user space (47 bits on x86-64 and arm64's 48), so a step fits in 80 columns."""
    return fmt_addr(address, 48 if address < 1 << 48 else 64)


def _pages(address: int, size: int) -> range:
    """The start of every page [address, address + size) touches."""
    return range(address - address % PAGE, address + size, PAGE)


@dataclass(frozen=True)
class Snapshot:
    """What the kernel shows after a step: where the block is, the heap, and the block's mapping."""

    step: int
    command: Command | None
    address: int | None
    heap: Mapping | None
    heap_growth: int  # bytes [heap] grew (or, negative, shrank) in this step
    mapping: Mapping | None  # the mapping holding the block, when it is still there
    mapping_rss: int | None
    caption: str
    block_resident: int | None = None  # bytes of the block's own pages present (pagemap), when readable
    thp_sizes: tuple[int, ...] = ()  # folio sizes THP may fault in whole here (proc/thp.py)

    def lines(self) -> list[str]:
        out = []
        if self.command is not None:
            c = self.command
            call = f"{c.op}({fmt_size(c.size)})" if c.op == "malloc" else f"{c.op} the {fmt_size(c.size)} block"
            out.append(f"step {self.step}: {call}" + (f" -> {_addr(self.address)}" if self.address else ""))
        else:
            out.append("step 0: the process before any malloc")
        if self.heap is not None:
            grew = ""
            if self.heap_growth:
                grew = f", {'grew' if self.heap_growth > 0 else 'shrank'} by {fmt_size(abs(self.heap_growth))} (brk)"
            out.append(f"  [heap]   {_addr(self.heap.start)}-{_addr(self.heap.end)}"
                       f"  {fmt_size(self.heap.end - self.heap.start)}{grew}")
        if self.mapping is not None and self.command is not None:
            rss = f", Rss {fmt_size(self.mapping_rss)}" if self.mapping_rss is not None else ""
            out.append(f"  block in {self.mapping.name} {_addr(self.mapping.start)}-"
                       f"{_addr(self.mapping.end)} ({fmt_size(self.mapping.end - self.mapping.start)}{rss})")
            out.extend(self._resident_lines())
        elif self.command is not None:
            out.append("  no mapping holds it any more (munmap)")
        out.append("  " + self.caption)
        return out

    def _resident_lines(self) -> list[str]:
        """The mmapped block's own resident pages, and why they may differ from what was written."""
        c, m = self.command, self.mapping
        if c is None or m is None or c.size < MMAP_THRESHOLD or self.block_resident is None:
            return []
        span = _pages(self.address or 0, c.size)
        out = [f"  resident: {fmt_size(self.block_resident)} of its {len(span)} pages"
               f" ({fmt_size(len(span) * PAGE)}), by the pagemap"]
        if m.end - m.start > c.size + 2 * PAGE:
            out.append("  (its mapping is larger: the kernel merged it with the anonymous mapping beside it, "
                       "so the mapping's Rss counts both)")
        if c.op == "malloc" and self.block_resident > PAGE:
            why = (f"transparent huge pages are 'always' here for {', '.join(map(fmt_size, self.thp_sizes))} folios,"
                   " and one fault may bring in a whole folio" if self.thp_sizes else
                   "this kernel brought in more than the faulting page")
            out.append(f"  (more than the page glibc wrote is resident already: {why})")
        return out


class MallocDemo:
    """The child process and the steps; use as a context manager so the child never outlives the demo."""

    def __init__(self, root: str = "/") -> None:
        self.root = root
        self.child: subprocess.Popen[str] | None = None
        self.step = 0
        self._heap_size: int | None = None
        self.thp_sizes = anon_thp_always(root)

    def __enter__(self) -> MallocDemo:
        try:
            self.child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, text=True)
        except OSError as exc:
            raise ProcError(f"cannot start the demo process: {exc.strerror or exc}") from None
        if self._answer() != "ready":
            self.close()
            raise ProcError("the demo process did not start (is this glibc's Linux?)")
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int:
        assert self.child is not None
        return self.child.pid

    def close(self) -> None:
        if self.child is not None and self.child.poll() is None:
            with contextlib.suppress(OSError):
                self.child.stdin.close()  # type: ignore[union-attr]
            try:
                self.child.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()

    def _answer(self) -> str:
        assert self.child is not None and self.child.stdout is not None
        line = self.child.stdout.readline()
        if not line:
            raise ProcError("the demo process exited")
        return line.strip()

    def snapshot(self, command: Command | None = None, address: int | None = None) -> Snapshot:
        from vaslayout.proc.maps import read_maps
        from vaslayout.proc.smaps import read_smaps

        maps = read_maps(self.pid, self.root)
        heap = next((m for m in maps if m.path == "[heap]"), None)
        mapping = next((m for m in maps if address is not None and m.start <= address < m.end), None)
        rss = None
        if mapping is not None:
            try:
                rss = next((b.rss for b in read_smaps(self.pid, self.root)
                            if b.mapping.start == mapping.start), None)
            except ProcError:
                rss = None
        size = heap.end - heap.start if heap is not None else 0
        growth = size - self._heap_size if self._heap_size is not None else 0
        self._heap_size = size
        resident = self._resident(address, command.size) if mapping is not None and command is not None else None
        return Snapshot(self.step, command, address, heap, growth, mapping, rss,
                        command.caption if command else
                        "A fresh process: its [heap] is what the interpreter itself has asked for so far.",
                        resident, self.thp_sizes)

    def _resident(self, address: int, size: int) -> int | None:
        """Bytes of [address, address + size) the child's pagemap shows present; None if unreadable."""
        from vaslayout.proc.pagemap import read_pagemap

        try:
            return PAGE * sum(p.present for p in read_pagemap(self.pid, _pages(address, size), self.root, PAGE))
        except ProcError:
            return None

    def run(self, command: Command) -> Snapshot:
        """Send one command to the child and read what the kernel then shows."""
        assert self.child is not None and self.child.stdin is not None
        args = f"{command.op} {command.block}" + (f" {command.size}" if command.op == "malloc" else "")
        try:
            self.child.stdin.write(args + "\n")
            self.child.stdin.flush()
        except OSError:
            raise ProcError("the demo process exited") from None
        address = int(self._answer())
        self.step += 1
        return self.snapshot(command, address)

    def steps(self) -> Iterator[Snapshot]:
        yield self.snapshot()
        for c in COMMANDS:
            yield self.run(c)


def run_demo(root: str = "/") -> Iterator[Snapshot]:
    """Every step of the demo, the child started and ended around them."""
    if not os.path.isdir(proc_path(root, "self")):
        raise ProcError(f"{proc_path(root)} has no 'self': the demo needs a live Linux /proc")
    with MallocDemo(root) as demo:
        yield from demo.steps()

"""Shared by the benchmark scripts: a process with many mappings, side-by-side timing, peak memory.

Figures only; nothing here asserts a time. Commands are timed in
alternating runs (A B C A B C ...) so a busy moment of the machine falls on
all of them, and the median of each is printed.
"""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MAPPINGS = 65_530
SLACK = 32  # mappings the child may still create after it counted (allocator arenas, ctypes)

# A child Python process maps one block of anonymous pages and mprotects every
# other page read-only, so the kernel keeps each page a separate mapping (equal
# neighbours would merge), up to `target` lines in its maps.
CHILD = r"""
import ctypes, sys
target = int(sys.argv[1])
page = 4096
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
PROT_READ, PROT_WRITE = 1, 2
MAP_PRIVATE, MAP_ANONYMOUS, MAP_NORESERVE = 0x02, 0x20, 0x4000
def count():
    with open("/proc/self/maps", "rb") as f:
        return f.read().count(b"\n")
n = max(0, target - count())
base = libc.mmap(None, n * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
if base in (None, ctypes.c_void_p(-1).value):
    sys.exit("mmap failed: errno %d" % ctypes.get_errno())
for i in range(0, n, 2):
    if libc.mprotect(base + i * page, page, PROT_READ) != 0:
        sys.exit("mprotect failed at page %d: errno %d" % (i, ctypes.get_errno()))
print(count(), base, flush=True)
sys.stdin.read()
"""


def compile_package() -> None:
    """Bytecode, as an installed package has it: the first run must not pay for compiling."""
    compileall.compile_dir(str(ROOT / "vaslayout"), quiet=1)


def max_map_count() -> int:
    try:
        return int(Path("/proc/sys/vm/max_map_count").read_text())
    except (OSError, ValueError):
        return DEFAULT_MAPPINGS


class ManyMappings:
    """`with ManyMappings(n) as child:` a live process with about n mappings; child.pid, child.lines, child.base."""

    def __init__(self, wanted: int) -> None:
        self.target = min(wanted, max_map_count() - SLACK)
        self.proc: subprocess.Popen[str] | None = None
        self.pid = 0
        self.lines = 0
        self.base = 0  # the first page of the block of small mappings

    def __enter__(self) -> ManyMappings:
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD, str(self.target)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline().split()
        if len(ready) != 2:
            self.__exit__()
            raise RuntimeError("the child failed to set up its mappings")
        self.pid = self.proc.pid
        self.lines, self.base = int(ready[0]), int(ready[1])
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.proc is None:
            return
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def run(argv: Sequence[str], stdin: bytes | None = None) -> float:
    """Wall seconds of one run, output to a pipe that is read and dropped (not a terminal)."""
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, input=stdin, capture_output=True, check=True)
    return time.perf_counter() - t0


def side_by_side(commands: dict[str, Callable[[], float]], runs: int) -> dict[str, float]:
    """The median of `runs` alternating runs of each command, by name."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, fn in commands.items():
            times[name].append(fn())
    return {name: statistics.median(t) for name, t in times.items()}


def gnu_time() -> str | None:
    return shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)


def peak_mib(argv: Sequence[str], stdin: bytes | None = None) -> float | None:
    """Peak RSS of a command in MiB, from GNU time's %M (None without GNU time)."""
    timer = gnu_time()
    if timer is None:
        return None
    done = subprocess.run([timer, "-f", "%M", *argv], cwd=ROOT, input=stdin, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=True)
    return int(done.stderr.split()[-1]) / 1024


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def ratio(a: float, b: float | None, target: float | None = None) -> str:
    """`a / b` as 'N.NNx', with the target beside it."""
    if not b:
        return "n/a"
    text = f"{a / b:5.2f}x"
    return text + (f" (target <= {target:g}x)" if target is not None else "")


def vaslayout(*args: str) -> list[str]:
    return [sys.executable, "-m", "vaslayout", *args]

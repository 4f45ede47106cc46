"""Reading a process with 65,530 mappings: read_maps next to pmap, on the same process, in one run.

A child Python process maps one block of anonymous pages and mprotects every
other page read-only, so the kernel keeps each page a separate mapping (equal
neighbours would merge). It stays under /proc/sys/vm/max_map_count (65,530
by default), counting the mappings it already has. The script then prints:

- the kernel's own cost: reading /proc/PID/maps to EOF (no parsing);
- parse_maps on that text, and read_maps(PID) (read + parse + order check);
- parse_maps_table on it: the by-column parse `show --pid --json` uses;
- `pmap PID` (procps, C) wall time, when pmap is installed;
- `vaslayout show --pid PID --json` wall time, when the CLI accepts --pid;
- peak memory (VmHWM) of a fresh process doing read_maps, and of the CLI and pmap (GNU time).

Every time is the best of --repeat runs. Figures only; nothing is asserted.

    python benchmarks/maps_speed.py [--mappings N] [--repeat 5]
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vaslayout import proc  # noqa: E402
from vaslayout.proc import reader  # noqa: E402

DEFAULT_TARGET = 65_530
SLACK = 32  # mappings the child may still create after it counted (allocator arenas, ctypes)

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
print(count(), flush=True)
sys.stdin.read()
"""

PEAK = r"""
import sys
sys.path.insert(0, sys.argv[2])
def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key + ":"))
from vaslayout import proc
imported = status("VmRSS")
maps = proc.read_maps(int(sys.argv[1]))
print(imported, status("VmHWM"), len(maps))
"""


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def wall(argv: list[str], repeat: int) -> float:
    return best(lambda: subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                       check=True), repeat)


def max_map_count() -> int:
    try:
        return int(Path("/proc/sys/vm/max_map_count").read_text())
    except (OSError, ValueError):
        return DEFAULT_TARGET


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mappings", type=int, default=DEFAULT_TARGET, help="mappings wanted in the child")
    ap.add_argument("--repeat", type=int, default=5, help="runs per figure; the best is printed")
    args = ap.parse_args()
    compileall.compile_dir(str(ROOT / "vaslayout"), quiet=1)  # bytecode, as an installed package has it

    limit = max_map_count()
    target = min(args.mappings, limit - SLACK)
    print(f"vm.max_map_count = {limit}; asking the child for {target} mappings")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(target)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdin is not None
        ready = child.stdout.readline().strip()
        if not ready:
            print("the child failed to set up its mappings", file=sys.stderr)
            return 1
        pid = child.pid
        path = f"/proc/{pid}/maps"
        text = reader._read_file(path).decode()
        lines = text.count("\n")
        print(f"child pid {pid}: {lines} lines in {path}, {len(text) / 1e6:.1f} MB")
        print()

        kernel = best(lambda: reader._read_file(path), args.repeat)
        parse = best(lambda: proc.parse_maps(text, path), args.repeat)
        by_column = best(lambda: proc.parse_maps_table(text, path), args.repeat)
        full = best(lambda: proc.read_maps(pid), args.repeat)
        n = len(proc.read_maps(pid))
        print(f"kernel: read {path} to EOF   {ms(kernel)}")
        print(f"parse_maps ({lines} lines)       {ms(parse)}   {parse / lines * 1e9:6.0f} ns/line")
        print(f"read_maps({pid})             {ms(full)}   -> {n} Mapping values")
        print(f"parse_maps_table (by column)    {ms(by_column)}   {by_column / lines * 1e9:6.0f} ns/line")

        pmap = shutil.which("pmap")
        pmap_time = None
        if pmap:
            pmap_time = wall([pmap, str(pid)], args.repeat)
            print(f"pmap {pid} (wall)              {ms(pmap_time)}   read_maps / pmap = {full / pmap_time:.2f}")
        else:
            print("pmap: not installed (Debian: procps)")

        cli = [sys.executable, "-m", "vaslayout", "show", "--pid", str(pid), "--json"]
        probe = subprocess.run(cli, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if probe.returncode == 0:
            cli_time = wall(cli, args.repeat)
            ratio = f"   CLI / pmap = {cli_time / pmap_time:.2f}" if pmap_time else ""
            print(f"vaslayout show --pid --json     {ms(cli_time)}{ratio}")
            start = wall([sys.executable, "-c", "pass"], args.repeat)
            imports = wall([sys.executable, "-c", "import vaslayout.cli, vaslayout.proc.live_json"], args.repeat)
            print(f"  of which: python -c pass {ms(start).strip()}, importing vaslayout "
                  f"{ms(imports - start).strip()}")
        else:
            why = (probe.stderr.strip().splitlines() or ["no message"])[-1]
            print(f"vaslayout show --pid --json: not available (exit {probe.returncode}: {why})")
        print()

        # ru_maxrss survives exec (a child inherits its parent's high-water mark), so the
        # figures are VmHWM of a fresh interpreter, and GNU time's %M for pmap.
        peak = subprocess.run([sys.executable, "-c", PEAK, str(pid), str(ROOT)], capture_output=True, text=True,
                              check=True).stdout.split()
        imported, hwm, count = map(int, peak)
        print(f"peak RSS, fresh python + read_maps: {hwm / 1024:.1f} MiB "
              f"(after import {imported / 1024:.1f} MiB: parsing {count} mappings adds "
              f"{(hwm - imported) / 1024:.1f} MiB)")
        gnu_time = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
        for name, argv in (("vaslayout show --pid --json", cli if probe.returncode == 0 else None),
                           ("pmap", [pmap, str(pid)] if pmap else None)):
            if argv and gnu_time:
                out = subprocess.run([gnu_time, "-f", "%M", *argv], cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True, check=True).stderr.split()
                print(f"peak RSS, {name}: {int(out[-1]) / 1024:.1f} MiB")
            elif argv:
                print(f"peak RSS, {name}: n/a (needs GNU time, /usr/bin/time)")
    finally:
        if child.stdin:
            child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return 0


if __name__ == "__main__":
    if not os.path.isdir("/proc"):
        sys.exit("needs Linux /proc")
    sys.exit(main())

"""The CLI at scale, side by side with the tools people compare it with. Prints figures; not a test.

On a live process with about 65,530 mappings (benchmarks/_bench.py builds it
the way maps_speed.py does), in alternating runs, medians, output to a pipe:

- `show --pid P` (plain lines) and `show --pid P --json` against `pmap P`,
  wall time and peak memory (GNU time's %M);
- `lookup --pid P ADDR` against `pmap P`;
- `lookup LAYOUT` with 10,000 addresses, human and --json, as arguments and
  from stdin (`-`), against a bisect over the same layout's leaf starts;
- `lookup LAYOUT ADDR` and `list` start-up against `python -c pass`.

    python benchmarks/cli_speed.py [--mappings N] [--addresses N] [--runs N] [--tiny]

--tiny runs everything once on a small process (the test suite uses it).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import ManyMappings, compile_package, ms, peak_mib, ratio, run, side_by_side, vaslayout  # noqa: E402

LAYOUT = "x86_64-4level"
BISECT = r"""
import bisect, sys
sys.path.insert(0, sys.argv[1])
from vaslayout.catalog import load
layout = load(sys.argv[2])
starts = [leaf.start for leaf in layout.leaves]
names = [leaf.name for leaf in layout.leaves]
out = [names[bisect.bisect_right(starts, int(line, 16)) - 1] for line in sys.stdin]
sys.stdout.write("\n".join(out))
"""


def addresses(n: int, seed: int) -> list[str]:
    """Addresses spread over the whole 64-bit space and over the kernel half, in hex."""
    rng = random.Random(seed)
    return [hex(rng.randrange(1 << 64) if i % 2 else rng.randrange(0xFFFF800000000000, 1 << 64)) for i in range(n)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mappings", type=int, default=65_530)
    ap.add_argument("--addresses", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tiny", action="store_true", help="one run of each on 300 mappings and 50 addresses")
    args = ap.parse_args()
    if args.tiny:
        args.mappings, args.addresses, args.runs = 300, 50, 1
    compile_package()
    root = str(Path(__file__).resolve().parent.parent)
    pmap = shutil.which("pmap")
    python = sys.executable

    addrs = addresses(args.addresses, args.seed)
    stdin = ("\n".join(addrs) + "\n").encode()
    fig = side_by_side({
        "pass": lambda: run([python, "-c", "pass"]),
        "lookup1": lambda: run(vaslayout("lookup", LAYOUT, "0xffff888000001000")),
        "list": lambda: run(vaslayout("list")),
        "bisect": lambda: run([python, "-c", BISECT, root, LAYOUT], stdin),
        "human": lambda: run(vaslayout("lookup", LAYOUT, "-"), stdin),
        "json": lambda: run(vaslayout("lookup", LAYOUT, "--json", "-"), stdin),
        "args": lambda: run(vaslayout("lookup", LAYOUT, *addrs)),
    }, args.runs)
    print(f"Python {sys.version.split()[0]}; {args.runs} alternating runs, medians; output to a pipe")
    print(f"python -c pass                         {ms(fig['pass'])}")
    print(f"lookup {LAYOUT} ADDR             {ms(fig['lookup1'])}   {ratio(fig['lookup1'], fig['pass'], 6)} "
          "python -c pass")
    print(f"list                                   {ms(fig['list'])}   {ratio(fig['list'], fig['pass'])} "
          "python -c pass")
    n = f"{args.addresses:,}"
    print(f"bisect over the leaf starts, {n:>6}   {ms(fig['bisect'])}   (python, the layout loaded, no words)")
    print(f"lookup, {n} addresses from stdin     {ms(fig['human'])}   target <= 500 ms; "
          f"{ratio(fig['human'], fig['bisect'])} the bisect")
    print(f"lookup --json, {n} from stdin        {ms(fig['json'])}   target <= 300 ms")
    print(f"lookup, {n} addresses as arguments   {ms(fig['args'])}")
    mem = peak_mib(vaslayout("lookup", LAYOUT, "--json", "-"), stdin)
    if mem is not None:
        print(f"peak RSS, lookup --json {n} from stdin: {mem:.1f} MiB")
    print()

    with ManyMappings(args.mappings) as child:
        pid = str(child.pid)
        inside = hex(child.base + 4096 * 3)
        commands = {
            "pmap": lambda: run([pmap, pid]) if pmap else 0.0,
            "show": lambda: run(vaslayout("show", "--pid", pid)),
            "json": lambda: run(vaslayout("show", "--pid", pid, "--json")),
            "lookup": lambda: run(vaslayout("lookup", "--pid", pid, inside)),
        }
        live = side_by_side(commands, args.runs)
        print(f"live process {pid} with {child.lines:,} mappings")
        anchor = live["pmap"] if pmap else None
        if pmap:
            print(f"pmap P                                 {ms(live['pmap'])}")
        else:
            print("pmap: not installed (Debian: procps); ratios against it are n/a")
        print(f"show --pid P (plain lines)             {ms(live['show'])}   {ratio(live['show'], anchor, 2)} pmap")
        print(f"show --pid P --json                    {ms(live['json'])}   {ratio(live['json'], anchor, 2)} pmap")
        print(f"lookup --pid P ADDR                    {ms(live['lookup'])}   {ratio(live['lookup'], anchor)} pmap")
        peaks = {"pmap": peak_mib([pmap, pid]) if pmap else None,
                 "show": peak_mib(vaslayout("show", "--pid", pid)),
                 "json": peak_mib(vaslayout("show", "--pid", pid, "--json"))}
        if peaks["show"] is None:
            print("peak RSS: n/a (needs GNU time, /usr/bin/time)")
        else:
            print(f"peak RSS: pmap {peaks['pmap'] or 0:.1f} MiB, show --pid {peaks['show']:.1f} MiB "
                  f"({ratio(peaks['show'], peaks['pmap'], 10)} pmap), --json {peaks['json']:.1f} MiB")
    return 0


if __name__ == "__main__":
    if not Path("/proc/self/maps").exists():
        sys.exit("needs Linux /proc")
    raise SystemExit(main())

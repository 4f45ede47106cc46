"""Lookup speed: a layout of 131,072 leaf regions against one of 100.

Lookups bisect a sorted tuple of leaf starts, so their cost should hardly
grow with the number of regions. This script builds both layouts through
the engine (LayoutSpec -> resolve), times random translate() calls and raw
leaf_index() calls on each, and prints lookups per second and the ratio of
per-lookup times (big / small), which must stay under 3. It also times the
engine on the big layout and the loader on the largest file it accepts.

    python benchmarks/lookups.py [--translate N] [--index N] [--seed S]

Exit status 1 if a ratio reaches 3.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vaslayout.core.engine import resolve  # noqa: E402
from vaslayout.core.loader import MAX_FILE_BYTES, LayoutSpec, Pos, RegionSpec, RuleSpec, Value, load_text  # noqa: E402
from vaslayout.core.model import Layout  # noqa: E402
from vaslayout.core.translate import translate  # noqa: E402

TOP = 1 << 64
KINDS = ("vmalloc", "direct-map", "mmap", "hole", "kernel-text")
LIMIT = 3.0


def _v(n: int) -> Value:
    return Value(hex(n), Pos("<bench>", 1, 1))


def spec(parents: int, children: int) -> LayoutSpec:
    """parents x children leaves splitting the 64-bit space evenly, no gaps."""
    pos = Pos("<bench>", 1, 1)
    tops = []
    for p in range(parents):
        lo, hi = p * TOP // parents, (p + 1) * TOP // parents
        kids = []
        for c in range(children):
            a = lo + c * (hi - lo) // children
            b = lo + (c + 1) * (hi - lo) // children
            kind = KINDS[(p * children + c) % len(KINDS)]
            rule = RuleSpec("linear", pos, phys=_v(c << 12)) if kind == "direct-map" else None
            kids.append(RegionSpec(f"r{p}.{c}", kind, _v(a), pos, end=_v(b), rule=rule))
        tops.append(RegionSpec(f"p{p}", "kernel-space", _v(lo), pos, end=_v(hi), children=tuple(kids)))
    return LayoutSpec(id=f"bench{parents * children}", title="benchmark", arch="x86_64", address_bits=64,
                      paging="x86-64-4level", regions=tuple(tops), origin="<bench>")


def yaml_text(limit: int) -> tuple[str, int]:
    """The largest flat layout file under the loader's size limit, and its region count."""
    head = "id: big\ntitle: big\narch: x86_64\naddress_bits: 64\npaging: x86-64-4level\nregions:\n"
    rows: list[str] = []
    size = len(head)
    step = 1 << 30
    i = 0
    while True:
        row = f"  - {{name: m{i}, start: {i * 2 * step:#x}, size: 1G, kind: mmap}}\n"
        if size + len(row) > limit:
            break
        rows.append(row)
        size += len(row)
        i += 1
    return head + "".join(rows), i


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def per_call(fn, layout: Layout, addrs: list[int], rounds: int = 3) -> float:
    """Best of a few rounds, in seconds per call."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for a in addrs:
            fn(layout, a)
        best = min(best, time.perf_counter() - t0)
    return best / len(addrs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--translate", type=int, default=50_000, metavar="N", help="translate() calls per round")
    ap.add_argument("--index", type=int, default=300_000, metavar="N", help="leaf_index() calls per round")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    big_spec, small_spec = spec(512, 256), spec(10, 10)
    big, t_resolve_big = timed(resolve, big_spec)
    small, t_resolve_small = timed(resolve, small_spec)
    _, t_post = timed(Layout, big.id, big.title, big.arch, big.address_bits, big.paging, big.root)
    assert len(big.leaves) == 131_072 and len(small.leaves) == 100

    rng = random.Random(args.seed)
    t_addrs = [rng.randrange(TOP) for _ in range(args.translate)]
    i_addrs = [rng.randrange(TOP) for _ in range(args.index)]

    def leaf_index(layout: Layout, a: int) -> int:
        return layout.leaf_index(a)

    rows = []
    worst = 0.0
    for label, fn, addrs in (("translate()", translate, t_addrs), ("leaf_index()", leaf_index, i_addrs)):
        t_big = per_call(fn, big, addrs)
        t_small = per_call(fn, small, addrs)
        ratio = t_big / t_small
        worst = max(worst, ratio)
        rows.append((label, len(addrs), 1 / t_small, 1 / t_big, ratio))

    text, n_rows = yaml_text(MAX_FILE_BYTES)
    spec_file, t_load = timed(load_text, text, "<bench.yaml>")
    file_layout, t_resolve_file = timed(resolve, spec_file)

    print(f"Python {sys.version.split()[0]}")
    print(f"{'':14}{'calls':>9}{'100 leaves':>16}{'131,072 leaves':>18}{'ratio':>8}")
    for label, n, small_rate, big_rate, ratio in rows:
        print(f"{label:14}{n:>9,}{small_rate:>12,.0f} / s{big_rate:>14,.0f} / s{ratio:>8.2f}")
    print(f"per-lookup time ratio, big / small: worst {worst:.2f} (limit {LIMIT:.0f})")
    print(f"engine resolve(): {t_resolve_big:.2f} s for 131,072 leaves in 512 parents "
          f"(of which Layout index build {t_post:.2f} s); {t_resolve_small * 1000:.1f} ms for 100")
    print(f"largest file the loader accepts ({len(text.encode()) / (1 << 20):.2f} MiB, {n_rows:,} regions): "
          f"load {t_load:.2f} s, resolve {t_resolve_file:.2f} s, {len(file_layout.leaves):,} leaves")
    return 0 if worst < LIMIT else 1


if __name__ == "__main__":
    raise SystemExit(main())

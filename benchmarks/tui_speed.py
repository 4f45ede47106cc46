"""How fast the map starts and answers keys. Prints figures; not a test.

1. Time to first painted frame: `vaslayout` against a minimal Textual app,
   each started headless in a fresh process (imports included), best of N.
2. Key press to repaint at 160x48 on a layout of 131,072 regions: median
   and worst over repeated presses of each key.

Run: python benchmarks/tui_speed.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MINIMAL = """
from textual.app import App
from textual.widgets import Static
class Minimal(App):
    def compose(self):
        yield Static("hello")
async def pilot(p):
    await p.pause()
    p.app.exit()
Minimal().run(headless=True, size=(160, 48), auto_pilot=pilot)
"""

VASLAYOUT = """
from vaslayout.tui.app import VasLayoutApp
async def pilot(p):
    await p.pause()
    p.app.exit()
VasLayoutApp("x86_64-4level").run(headless=True, size=(160, 48), auto_pilot=pilot)
"""


def first_frame(code: str, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        best = min(best, time.perf_counter() - t0)
    return best


def big_layout(n: int):
    from vaslayout.model import Layout, Region
    from vaslayout.paging import MODES

    page = 4096
    base = 0x7F0000000000
    kids = tuple(Region(f"mapping {i}", "mmap" if i % 3 else "heap", base + 2 * i * page, base + (2 * i + 1) * page)
                 for i in range(n))
    from vaslayout.engine import _siblings  # fill the gaps exactly as the engine does

    user = Region("user space", "user-space", 0, 1 << 47, "user",
                  children=_siblings([(None, k) for k in kids], 0, 1 << 47, 64))  # type: ignore[arg-type]
    root = Region("big", "root", 0, 1 << 64, children=_siblings([(None, user)], 0, 1 << 64, 64))  # type: ignore[arg-type]
    return Layout("big", f"{n} mappings", "x86_64", 64, MODES["x86-64-4level"], root)


async def keys(n: int, presses: int) -> dict[str, tuple[list[float], list[float]]]:
    from vaslayout.tui.app import VasLayoutApp

    layout = big_layout(n)
    app = VasLayoutApp("x86_64-4level", initial=layout, cursor=0x7F0000000000)
    out: dict[str, tuple[list[float], list[float]]] = {}
    key: str | tuple[str, ...]
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # into user space: n + gaps children
        await pilot.pause()
        plan = [(k, k, presses) for k in ("x", "down", "up", "pagedown", "pageup", "plus", "minus", "s")]
        # zoom out to the root and back in: each rebuilds the band (the big level has n + gaps rows)
        plan += [("backspace+enter", ("backspace", "enter"), max(presses // 4, 3))]
        for label, key, count in plan:
            wall, cpu = [], []
            for _ in range(count):
                for k in (key,) if isinstance(key, str) else key:
                    w0, c0 = time.perf_counter(), time.process_time()
                    await pilot.press(k)
                    await pilot.pause()
                    cpu.append((time.process_time() - c0) * 1000)
                    wall.append((time.perf_counter() - w0) * 1000)
            out[label] = (cpu, wall)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--regions", type=int, default=131_072)
    ap.add_argument("--presses", type=int, default=40)
    args = ap.parse_args()

    minimal = first_frame(MINIMAL, args.runs)
    ours = first_frame(VASLAYOUT, args.runs)
    print(f"first frame, best of {args.runs}: minimal Textual app {minimal * 1000:.0f} ms, "
          f"vaslayout {ours * 1000:.0f} ms, ratio {ours / minimal:.2f} (target < 1.5)")

    results = asyncio.run(keys(args.regions, args.presses))
    print(f"key press to repaint at 160x48, {args.regions:,} regions, in ms. 'cpu' is the work done for the")
    print("key (target: median under 16); 'wall' adds the test driver's idle polling. 'x' is unbound: the floor.")
    for key, (cpu, wall) in results.items():
        print(f"  {key:<20} cpu median {statistics.median(cpu):6.2f} worst {max(cpu):6.2f}   "
              f"wall median {statistics.median(wall):6.2f}   n={len(cpu)}")


if __name__ == "__main__":
    main()

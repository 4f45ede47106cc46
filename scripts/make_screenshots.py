"""Regenerate every SVG in screenshots/ with the app's own screenshot command.

Run from the repository root: python scripts/make_screenshots.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"

SHOTS: list[tuple[str, list[str]]] = [
    ("x86_64-4level.svg", ["x86_64-4level"]),
    ("x86_64-5level.svg", ["x86_64-5level"]),
    ("x86_32-vmsplit-3g.svg", ["x86_32-vmsplit-3g"]),
    ("x86_32-vmsplit-2g.svg", ["x86_32-vmsplit-2g"]),
    ("x86_32-vmsplit-1g.svg", ["x86_32-vmsplit-1g"]),
    ("zoom-kernel-space.svg", ["x86_64-4level", "--keys", "enter"]),
    ("zoom-user-space.svg", ["x86_64-4level", "--keys", "end", "enter"]),
    ("linear-zoom.svg", ["x86_64-4level", "--lookup", "ffffffffff600000", "--keys", "escape", "plus", "plus"]),
    ("lookup-direct-map.svg", ["x86_64-4level", "--lookup", "ffff888000001000"]),
    ("lookup-kasan-gp.svg", ["x86_64-4level", "--lookup", "dffffc0000000014"]),
    ("lookup-lowmem.svg", ["x86_32-vmsplit-3g", "--lookup", "c0100000"]),
    ("compare-32bit-splits.svg", ["x86_32-vmsplit-3g", "--compare", "x86_32-vmsplit-2g", "x86_32-vmsplit-1g"]),
    ("compare-4level-5level.svg", ["x86_64-4level", "--compare", "x86_64-5level"]),
    ("x86_32-vmsplit-3g-opt.svg", ["x86_32-vmsplit-3g-opt"]),
    ("x86_32-vmsplit-2g-opt.svg", ["x86_32-vmsplit-2g-opt"]),
    ("arm-vmsplit-3g.svg", ["arm-vmsplit-3g", "--keys", "enter"]),
    ("arm-vmsplit-2g.svg", ["arm-vmsplit-2g", "--keys", "enter"]),
    ("arm-vmsplit-1g.svg", ["arm-vmsplit-1g", "--keys", "enter"]),
    ("arm64-4k-48bit.svg", ["arm64-4k-48bit"]),
    ("arm64-64k-52bit.svg", ["arm64-64k-52bit"]),
    ("riscv-sv39.svg", ["riscv-sv39"]),
    ("riscv-sv48.svg", ["riscv-sv48"]),
    ("riscv-sv57.svg", ["riscv-sv57"]),
    ("compare-riscv.svg", ["riscv-sv39", "--compare", "riscv-sv48", "riscv-sv57"]),
    ("split-lowmem.svg", ["x86_32-vmsplit-3g", "--keys", "v"]),
    ("split-kmap.svg", ["x86_32-vmsplit-3g", "--keys", "v", "tab", "up", "up", "k"]),
    ("split-x86_64.svg", ["x86_64-4level", "--keys", "v", "tab"]),
    ("present.svg", ["x86_32-vmsplit-3g", "--size", "100x30", "--keys", "enter", "f5"]),
    ("tour-vmsplit-lowmem.svg", ["x86_32-vmsplit-3g", "--tour", "vmsplit-lowmem", "--step", "4"]),
    ("tour-kasan-report.svg", ["x86_64-4level", "--tour", "kasan-report", "--step", "4"]),
    ("quiz.svg", ["x86_64-4level", "--quiz", "3"]),
]


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for name, args in SHOTS:
        size = [] if "--size" in args else ["--size", "120x40"]
        cmd = [sys.executable, "-m", "vaslayout", "screenshot", *args[:1], "-o", str(OUT / name), *size, *args[1:]]
        print(" ".join(cmd[2:]))
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Regenerate every SVG in screenshots/ with the app's own screenshot command.

Run from the repository root: python scripts/make_screenshots.py
classroom.svg is a teacher's map (a tour played with --share) and a
follower's beside it, both apps run in one event loop and exported once the
follower shows the teacher's step.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import tempfile
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


# file, tour, step index (its split view), the teacher's keys there (a highmem page kmap()ed), each app's size
CLASSROOM = ("classroom.svg", "vmsplit-lowmem", 2, ("tab", "up", "up", "k"), (100, 30))


async def _classroom(channel: Path) -> tuple[str, str]:
    """The teacher's and a follower's screens as SVGs, once the follower shows the teacher's step."""
    from vaslayout.session import Session
    from vaslayout.teach.tours import load_tour
    from vaslayout.tui import follow
    from vaslayout.tui.app import VasLayoutApp

    _, tour, step, keys, size = CLASSROOM
    teacher = VasLayoutApp(Session.for_tour(load_tour(tour), step), channel=("share", channel))
    student = VasLayoutApp(channel=("follow", channel))

    def following() -> bool:
        played = student.session.tour
        return (played is not None and played.index == step and type(student.screen) is type(teacher.screen)
                and student.map.state.cursor == teacher.map.state.cursor
                and follow.screen_of(student) == follow.screen_of(teacher))

    async def until_following() -> None:
        for _ in range(200):
            await t.pause(follow.POLL_SECONDS / 2)
            await s.pause(follow.POLL_SECONDS / 2)
            if following():
                return
        raise SystemExit("the follower did not show the teacher's step")

    async with teacher.run_test(size=size) as t, student.run_test(size=size) as s:
        await until_following()
        await t.press(*keys)
        await until_following()
        for pilot in (t, s, t, s):  # a last frame for both
            await pilot.pause(follow.POLL_SECONDS)
        return (teacher.export_screenshot(title=f"teacher: vaslayout tour {tour} --share"),
                student.export_screenshot(title="student: vaslayout serve --follow, in a browser"))


def side_by_side(left: str, right: str, gap: int = 16) -> str:
    """Two of Rich's terminal SVGs as one, left and right, each kept whole (its own styles and ids)."""
    boxes = []
    for svg in (left, right):
        found = re.match(r'<svg class="rich-terminal" viewBox="0 0 ([0-9.]+) ([0-9.]+)"', svg)
        if found is None:
            raise SystemExit("not one of Rich's terminal SVGs")
        boxes.append((float(found[1]), float(found[2])))
    width, height = boxes[0][0] + gap + boxes[1][0], max(h for _, h in boxes)
    inner = [svg.replace("<svg ", f'<svg x="{x}" y="0" width="{w}" height="{h}" ', 1)
             for svg, x, (w, h) in zip((left, right), (0, boxes[0][0] + gap), boxes, strict=True)]
    return (f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg">\n' + "\n".join(inner) + "\n</svg>\n")


def classroom() -> Path:
    """screenshots/classroom.svg: a teacher and a follower side by side (on scratch state, a temporary channel)."""
    from vaslayout import state

    with state.scratch(), tempfile.TemporaryDirectory() as folder:
        teacher, student = asyncio.run(_classroom(Path(folder) / "view.json"))
    out = OUT / CLASSROOM[0]
    out.write_text(side_by_side(teacher, student), encoding="utf-8")
    return out


def main() -> int:
    OUT.mkdir(exist_ok=True)
    if sys.argv[1:] == ["classroom"]:  # only this one: it takes seconds, the others a minute
        print(classroom())
        return 0
    for name, args in SHOTS:
        size = [] if "--size" in args else ["--size", "120x40"]
        cmd = [sys.executable, "-m", "vaslayout", "screenshot", *args[:1], "-o", str(OUT / name), *size, *args[1:]]
        print(" ".join(cmd[2:]))
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    print(classroom())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

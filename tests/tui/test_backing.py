"""Key b on a live process: each mapping shaded by what backs it, smaps' numbers in the details panel."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vaslayout import proc
from vaslayout.proc.smaps import read_smaps
from vaslayout.session import Session
from vaslayout.sources import LiveSource
from vaslayout.tui.app import VasLayoutApp
from vaslayout.tui.backing import COLOURS
from vaslayout.tui.details import Card
from vaslayout.tui.map_view import blend

# A child that maps 1 MiB anonymously and writes it, then waits: its pages are anonymous and resident.
CHILD = ("import ctypes, mmap, sys\n"
         "m = mmap.mmap(-1, 1 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)\nm.write(b'x' * (1 << 20))\n"
         "print(ctypes.addressof(ctypes.c_char.from_buffer(m)), flush=True)\nsys.stdin.read()\n")


@pytest.fixture
def child():
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    child.address = int(child.stdout.readline())  # type: ignore[attr-defined]  # the written block
    yield child
    if child.poll() is None:
        child.stdin.close()  # type: ignore[union-attr]
        child.wait()


def live_app(pid: int) -> VasLayoutApp:
    from vaslayout.proc import live

    info = proc.detect(mappings=proc.read_maps(pid))
    if info.paging not in live.LAYOUT_FOR_PAGING:
        pytest.skip(f"no built-in layout for {info.arch}")
    return VasLayoutApp(Session(LiveSource(pid)))


async def test_b_shades_every_mapping_and_the_panel_shows_its_numbers(child) -> None:
    app = live_app(child.pid)
    rows = {b.mapping.start: b for b in read_smaps(child.pid)}
    block = next(b for b in rows.values() if b.mapping.start <= child.address < b.mapping.end)
    async with app.run_test(size=(120, 40)) as pilot:
        app.jump_to(block.mapping.start)
        await pilot.pause()
        assert app.map.shades == {}
        await pilot.press("b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert set(app.map.shades) == set(rows)  # every mapping of the process, nothing else
        assert app.map.shades[block.mapping.start] == COLOURS["anonymous"]
        libc_text = next(s for s, b in rows.items() if "x" in b.mapping.perms and "libc" in b.mapping.path)
        assert app.map.shades[libc_text] == COLOURS["page cache"]
        words = " ".join(app.query_one(Card).plain.split())
        assert "backing anonymous" in words and "Rss " in words and "anonymous" in words
        # the selected block is drawn in its backing's colour
        strip = app.map.render_line(app.map.cursor_row() - app.map.scroll_offset.y)
        assert any(seg.style and seg.style.bgcolor == blend(COLOURS["anonymous"], 0.95) for seg in strip)
        await pilot.press("b")
        await pilot.pause()
        assert app.map.shades == {} and "backing" not in " ".join(app.query_one(Card).plain.split())


async def test_b_on_a_layout_is_not_offered(child) -> None:
    app = VasLayoutApp("x86_64-4level")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("b", "b", "b")  # fast, unpaced: nothing happens, nothing breaks
        await pilot.pause()
        assert app.map.shades == {}
        assert app.check_action("backing", ()) is False


def caption_text(app: VasLayoutApp) -> str:
    import io

    from rich.console import Console
    from textual.widgets import Static

    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(app.query_one("#caption", Static).content)
    return console.export_text()


@pytest.fixture
def demo_app():
    """The map on a live malloc demo child, as `vaslayout demo malloc` opens it."""
    import os

    from vaslayout.session import Opening
    from vaslayout.teach.malloc_demo import MallocDemo

    if os.confstr("CS_GNU_LIBC_VERSION") is None:
        pytest.skip("needs glibc")
    with MallocDemo() as demo:
        app = live_app(demo.pid)
        app.session.opening = Opening(demo=demo)
        yield app, demo


async def demo_steps(app: VasLayoutApp, pilot, steps: int) -> None:
    for _ in range(steps):
        await pilot.press("n")
        await app.workers.wait_for_complete()
        await pilot.pause()


async def test_the_malloc_demo_steps_through_the_map(demo_app) -> None:
    """n runs each malloc in the child; the map re-reads it and the cursor goes to the block."""
    app, demo = demo_app
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "0/7" in caption_text(app)
        await demo_steps(app, pilot, 3)  # 100 B, 100 KiB (both in [heap]), then 1 MiB: its own mapping
        region = app.map.selected_block().region
        assert region.mapping is not None and region.name == "anonymous" and region.size > 1 << 20
        assert "3/7" in caption_text(app) and "mmap()" in caption_text(app)
        await pilot.press("p")  # back: refused in words, nothing breaks
        await pilot.press("n", "n", "n", "n", "n", "n")  # past the end, unpaced
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert demo.step == 7


async def test_a_demo_step_is_shown_whole_in_80_columns(demo_app) -> None:
    """The mmap step's facts and its three-line why fit the caption at 80x24 (none cut off)."""
    app, _ = demo_app
    async with app.run_test(size=(80, 24)) as pilot:
        await demo_steps(app, pilot, 3)
        screen = app.export_screenshot().replace("&#160;", " ")
        assert "resident:" in screen and "header." in screen


async def test_the_physical_pane_of_a_live_process_shows_the_free_lists(child) -> None:
    from textual.widgets import Static

    from vaslayout.proc.buddyinfo import read_buddyinfo
    from vaslayout.tui.physical import PhysicalScreen

    zones = read_buddyinfo()
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, PhysicalScreen)
        text = str(app.screen.query_one("#buddy", Static).content)
        assert "Free blocks by order" in text and "4 MiB" in text
        assert all(z.zone in text for z in zones)

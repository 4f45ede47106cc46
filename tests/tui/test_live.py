"""The map on a live process: re-read, auto-refresh, a process that exits, the physical pane."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vaslayout import proc
from vaslayout.proc import live
from vaslayout.session import Session
from vaslayout.sources import LiveSource
from vaslayout.tui.app import VasLayoutApp
from vaslayout.tui.details import Card
from vaslayout.tui.physical import PhysicalScreen

SIZE = (120, 40)


def live_app(pid: int) -> VasLayoutApp:
    maps = proc.read_maps(pid)
    info = proc.detect(mappings=maps)
    if info.paging not in live.LAYOUT_FOR_PAGING:
        pytest.skip(f"no built-in layout for {info.arch}")
    return VasLayoutApp(Session(LiveSource(pid)))


@pytest.fixture
def child():
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    yield child
    if child.poll() is None:
        child.stdin.close()  # type: ignore[union-attr]
        child.wait()


async def test_reread_keeps_the_cursor_and_exit_is_reported(child) -> None:
    app = live_app(child.pid)
    async with app.run_test(size=SIZE) as pilot:
        heap = next(m for m in proc.read_maps(child.pid) if m.path)
        app.jump_to(heap.start)
        await pilot.pause()
        words = " ".join(app.query_one(Card).plain.split())  # the panel may wrap the line
        assert f"mapping {heap.perms} offset {heap.offset:#x} dev {heap.dev} inode {heap.inode}" in words
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.map.state.cursor == heap.start
        assert app.map.state.layout is app.layout and app.layout.id == f"pid-{child.pid}"
        child.stdin.close()
        child.wait()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "no process" in app.session.live_status or "exited" in app.session.live_status
        await pilot.press("down")  # still usable
        await pilot.pause()
        assert app.map.state is not None


async def test_auto_refresh_toggles(child) -> None:
    app = live_app(child.pid)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await pilot.pause()
        assert app.session.live_status == "auto"
        await pilot.press("R")
        await pilot.pause()
        assert app.session.live_status == ""


async def test_reload_is_not_offered_for_a_layout() -> None:
    app = VasLayoutApp("x86_64-4level")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await pilot.pause()
        assert app.session.pid is None and app.session.live_status == ""
        assert app.check_action("reload", ()) is False


async def test_physical_pane_jumps_to_a_direct_map_alias() -> None:
    app = VasLayoutApp("x86_32-vmsplit-3g")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, PhysicalScreen)
        assert [r.name for r in app.screen.rows] == ["lowmem", "highmem"]
        await pilot.press("enter")  # lowmem: phys 0 is at PAGE_OFFSET
        await pilot.pause()
        assert app.map.state.cursor == 0xC000_0000

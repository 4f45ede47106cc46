"""A fake LayoutSource drives the App: re-read, auto re-read, a source that fails. No monkeypatching."""

from __future__ import annotations

from tests.fake_sources import FakeProcess
from vaslayout import catalog
from vaslayout.proc import ProcError
from vaslayout.session import Session
from vaslayout.tui.app import VasLayoutApp

SIZE = (120, 40)
GONE = "/proc/4242/maps: no process 4242 (it exited)"


def breadcrumb(app) -> str:
    return str(app.query_one("#breadcrumb").content)


async def test_the_app_draws_what_the_source_gives_and_rereads_it() -> None:
    small = catalog.load("x86_32-vmsplit-3g", {"ram": "512M"})
    big = catalog.load("x86_32-vmsplit-3g", {"ram": "2G"})
    source = FakeProcess(small, big, ProcError(GONE))
    app = VasLayoutApp(Session(source))
    async with app.run_test(size=SIZE) as pilot:
        assert app.map.state.layout is small and source.reads == 1
        assert "pid 4242: live" in breadcrumb(app)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.map.state.layout is big and app.session.layout is big and source.reads == 2
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session.live_status == GONE and f"pid 4242: {GONE}" in breadcrumb(app)
        assert app.map.state.layout is big  # the last good picture stays
        await pilot.press("p")
        await pilot.pause()
        assert any("running kernel" in n.message for n in app._notifications)


async def test_auto_reread_toggles_on_the_fake_source() -> None:
    source = FakeProcess(catalog.load("x86_64-4level"))
    app = VasLayoutApp(Session(source))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await pilot.pause()
        assert app.session.live_status == "auto" and "pid 4242: auto" in breadcrumb(app)
        await pilot.press("R")
        await pilot.pause()
        assert app.session.live_status == ""


async def test_a_built_in_layout_offers_no_reread() -> None:
    app = VasLayoutApp(Session.for_layout("x86_64-4level"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await pilot.pause()
        assert app.check_action("reload", ()) is False and app.session.live_status == ""

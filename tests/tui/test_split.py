"""The split view: virtual beside physical, partners, kmap, and params that move the zones live."""

from __future__ import annotations

from textual.widgets import Input

from vaslayout.tui.app import VasLayoutApp
from vaslayout.tui.split import SplitScreen, SplitView

SIZE = (120, 40)


def view(app: VasLayoutApp) -> SplitView:
    assert isinstance(app.screen, SplitScreen)
    return app.screen.query_one(SplitView)


# the numbers below are the textbook ones: the classic MAXMEM (896 MiB) and Kconfig's 8 CPUs
TEXTBOOK = {"maxmem_model": "0", "nr_cpus": "8"}

async def test_v_opens_and_closes_the_split_view() -> None:
    app = VasLayoutApp("x86_32-vmsplit-3g")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        await pilot.pause()
        v = view(app)
        assert v.s.vfocus.name == "kernel space"  # where lowmem and its neighbours are
        assert [p.name for p in v.right._regions] == ["lowmem", "lowmem", "highmem", "no RAM"]
        assert len(v.bands) == 1  # lowmem -> [0, 896M)
        await pilot.press("v")
        await pilot.pause()
        assert not isinstance(app.screen, SplitScreen)


async def test_selecting_lowmem_highlights_its_physical_partner_and_back() -> None:
    app = VasLayoutApp("x86_32-vmsplit-3g")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        await pilot.pause()
        v = view(app)
        v.s.vcursor = 0xC000_0000
        left, right = v.partners()
        assert {v.right.region(i).name for i in right} == {"lowmem"} and len(right) == 2  # ZONE_DMA and NORMAL
        await pilot.press("tab")
        v.s.pcursor = 0x0010_0000
        left, right = v.partners()
        assert {v.left.region(i).name for i in left} == {"lowmem (direct mapping of RAM)"}


async def test_a_physical_address_with_two_aliases_shows_both() -> None:
    app = VasLayoutApp("x86_64-4level")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "tab")
        await pilot.pause()
        info = str(app.screen.query_one("#split-info").render())
        assert "0xffff888000000000" in info and "0xffffffff80000000" in info


async def test_kmap_and_kmap_local_on_a_highmem_page_then_unmap() -> None:
    app = VasLayoutApp("x86_32-vmsplit-3g", overrides={"ram": "2G", **TEXTBOOK})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "tab", "up", "up")
        await pilot.pause()
        v = view(app)
        assert v.s.pcursor == 0x3800_0000  # the first highmem page
        await pilot.press("k")
        await pilot.pause()
        assert v.s.temp is not None and v.s.temp.virt == 0xFF00_1000 and v.s.vcursor == 0xFF00_1000
        assert any(temp for *_, temp in v.bands)
        assert "pkmap slot 1" in str(app.screen.query_one("#split-info").render())
        await pilot.press("K")
        await pilot.pause()
        assert v.s.temp is not None and v.s.temp.how == "kmap_local" and v.s.temp.slot == 68
        await pilot.press("u")
        await pilot.pause()
        assert v.s.temp is None and not any(temp for *_, temp in v.bands)


async def test_kmap_refuses_a_lowmem_page() -> None:
    app = VasLayoutApp("x86_32-vmsplit-3g")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "tab", "k")
        await pilot.pause()
        assert view(app).s.temp is None


async def test_changing_ram_moves_the_zones_at_once() -> None:
    app = VasLayoutApp("x86_32-vmsplit-3g", overrides={"ram": "512M", **TEXTBOOK})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        await pilot.pause()
        assert "highmem" not in [p.name for p in view(app).right._regions]
        await pilot.press("p")
        await pilot.pause()
        app.screen.query_one("#param-ram", Input).value = "8G"
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        pieces = [(p.name, p.start, p.end) for p in view(app).right._regions]
        assert ("highmem", 896 << 20, 4 << 30) in pieces


async def test_zooming_each_side() -> None:
    app = VasLayoutApp("x86_32-vmsplit-3g", overrides={"ram": "2G", **TEXTBOOK})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "tab", "up", "up", "enter")
        await pilot.pause()
        v = view(app)
        assert v.s.pzoom == [(0x3800_0000, 0x8000_0000)]
        assert len(v.right) == 16 and v.right.region(0).start >= 0x3800_0000
        await pilot.press("backspace", "tab", "backspace")
        await pilot.pause()
        assert v.s.pzoom == [] and v.s.vfocus.name == "x86_32-vmsplit-3g"

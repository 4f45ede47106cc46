"""The first screen is an outline: both halves' regions under their headers, the hole one row.

A process opens on its mappings. Rows are read off the map as drawn, so a
name that does not fit on the first screen fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fake_sources import FakeProcess
from vaslayout import catalog, proc
from vaslayout.core.scale import OutlineBand, outline_of
from vaslayout.proc import live
from vaslayout.session import Session
from vaslayout.tui.app import VasLayoutApp

MAPS = Path(__file__).resolve().parent.parent / "data" / "proc" / "maps-python.txt"

X86_64_NAMES = ["KERNEL SPACE", "vmalloc/ioremap space", "direct mapping of all physical mem",  # the cursor row cuts it
                "virtual memory map", "KASAN shadow memory", "kernel text mapping", "module mapping space",
                "kernel-internal fixmap range", "legacy vsyscall ABI", "non-canonical hole", "USER SPACE",
                "program text and read-only data", "heap", "mmap area", "stack"]
X86_32_NAMES = ["KERNEL SPACE", "lowmem (direct mapping of RAM)", "vmalloc/ioremap space",
                "persistent kmap (pkmap)", "fixmap", "USER SPACE", "program text and read-only data",
                "heap", "mmap area", "stack"]


def screen_text(app: VasLayoutApp) -> str:
    """The map's visible lines as text."""
    return "\n".join(app.map.render_line(y).text for y in range(app.map.scrollable_content_region.height))


def process_layout():
    maps = proc.parse_maps(MAPS.read_text(), MAPS.name)
    return live.with_mappings(catalog.load("x86_64-4level"), maps, 4242, "python (pid 4242)")


@pytest.mark.parametrize(("layout", "names"), [("x86_64-4level", X86_64_NAMES), ("x86_32-vmsplit-3g", X86_32_NAMES)])
async def test_the_first_screen_names_every_region_of_both_halves(layout: str, names: list[str]) -> None:
    app = VasLayoutApp(layout)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        for name in names:
            assert name in text, name
        assert text.count("non-canonical") <= 1  # both sides of the hole: one row
        assert app.map.state.focus is app.layout.root


@pytest.mark.parametrize("layout", catalog.builtin_ids())
def test_every_layout_outlines_its_halves(layout: str) -> None:
    lay = catalog.load(layout)
    o = outline_of(lay)
    halves = [r for r in lay.root.children if r.children]
    assert [o.entries[i] for i in sorted(o.headers)] == halves
    # the rows tile the whole space in order, each a half's region (or a top-level one without insides)
    assert o.body[0].start == 0 and o.body[-1].end == lay.size
    assert all(a.end == b.start for a, b in zip(o.body, o.body[1:], strict=False))
    band = OutlineBand(lay, 38, "log")
    for addr in (0, lay.size - 1, lay.leaves[len(lay.leaves) // 2].start):
        i = band.index_of(addr)
        assert i is not None and not band.block(i).header and band.block(i).region.contains(addr)
    for row in o.body:  # every row's both ends find that row, never the header beside it
        for addr in (row.start, row.last):
            assert band.block(band.index_of(addr)).region is row, (layout, row.name, hex(addr))


async def test_the_outline_at_80x24_keeps_the_direct_map_and_user_space_in_view() -> None:
    app = VasLayoutApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "direct mapping of all physical memory" in text and "USER SPACE" in text
        assert "heap" in text and "non-canonical hole" in text


async def test_moves_skip_the_headers_and_enter_backspace_return_to_the_outline_unpaced() -> None:
    app = VasLayoutApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("down", "down", "down", "down", "down", "enter")  # posted back to back
        await pilot.pause()
        s = app.map.state
        # LDT, the hypervisor's guard hole, the hole, over the header onto the guard hole, the stack: its half
        assert s.focus.name == "user-space virtual memory" and app.map.selected_block().region.name == "stack"
        await pilot.press("backspace", "backspace", "home", "up", "up")
        await pilot.pause()
        assert app.map.state.focus is app.layout.root
        block = app.map.selected_block()
        assert block is not None and not block.header and block.region.name == "unused hole"


async def test_a_process_opens_on_its_mappings() -> None:
    layout = process_layout()
    first = next(r for r in layout.leaves if r.mapping is not None)
    for size in ((120, 40), (80, 24)):
        app = VasLayoutApp(Session(FakeProcess(layout)))
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            s = app.map.state
            assert s.focus.name == "user-space virtual memory" and s.cursor == first.start
            assert "/usr/bin/python3.11" in screen_text(app)
            await pilot.press("backspace", "backspace")
            await pilot.pause()
            assert app.map.state.focus is layout.root  # the outline, around the cursor
            assert app.map.band.block(0).header and app.map.band.block(0).region.name == "kernel space"
            assert "/usr/bin/python3.11" in screen_text(app)

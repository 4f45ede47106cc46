"""The map keeps a few screens of drawn lines, not a line for every row it has shown.

Paging through the 65,530 mappings of a big process kept up to 1,024 drawn
lines of about 3 KiB each; the cache is now a few screens of the map's own
height, so paging back still redraws nothing.
"""

from __future__ import annotations

from vaslayout.core.engine import tile
from vaslayout.core.model import Layout, Region
from vaslayout.core.paging import MODES
from vaslayout.session import Session
from vaslayout.sources import FixedSource
from vaslayout.tui.app import VasLayoutApp
from vaslayout.tui.map_view import SCREENS_CACHED

BASE, PAGE = 0x7F0000000000, 4096


def many_mappings(n: int) -> Layout:
    kids = [Region(f"mapping {i}", "mmap", BASE + 2 * i * PAGE, BASE + (2 * i + 1) * PAGE) for i in range(n)]
    user = Region("user space", "user-space", 0, 1 << 47, children=tile(kids, 0, 1 << 47, 64))
    root = Region("many", "root", 0, 1 << 64, children=tile([user], 0, 1 << 64, 64))
    return Layout("many", f"{n} mappings", "x86_64", 64, MODES["x86-64-4level"], root)


async def test_paging_through_thousands_of_rows_keeps_a_few_screens_of_lines() -> None:
    app = VasLayoutApp(Session(FixedSource(many_mappings(3000)), cursor=BASE))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")  # into user space: a row per mapping
        await pilot.pause()
        rows = app.map.scrollable_content_region.height
        seen: set[int] = set()
        for _ in range(40):
            await pilot.press("pageup")
            await pilot.pause()
            seen.add(app.map.scroll_offset.y)
        assert len(seen) > 3 * SCREENS_CACHED  # far more screens went by than are kept
        assert 0 < len(app.map._cache) <= SCREENS_CACHED * rows
        top, hits = app.map.scroll_offset.y, app.map._cache.hits
        await pilot.press("pagedown")  # back a page: its lines are still drawn
        await pilot.pause()
        assert app.map.scroll_offset.y != top and app.map._cache.hits >= hits + rows - 2

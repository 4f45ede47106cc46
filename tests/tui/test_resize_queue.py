"""A screen lays out at the terminal's size only, however many Resizes are queued at it.

Textual 8.2.8 lays a screen out on every Resize it gets, and that layout
posts the screen a Resize of its new size. With several different sizes
queued at a busy screen (a terminal resized again and again while the
screen draws), each one handled re-posted itself behind the others and the
screen laid out for ever: the storms' hang (a split view cycling through
89x16, 33x38, 175x73 and 222x8 with full redraws back to back, no other
task running again). The guard (tui/widgets.py SafeScreen) drops a Resize
whose size is no longer the terminal's; here stale sizes are queued at a
screen, each behind a refresh as in the hang, and every layout the screen
then does must be at the terminal's size.
"""

from __future__ import annotations

import pytest
from textual import events
from textual.geometry import Size

from vaslayout.tui.app import VasLayoutApp
from vaslayout.tui.footer import KeysFooter
from vaslayout.tui.screens import HelpScreen
from vaslayout.tui.split import SplitScreen

SIZES = [Size(89, 16), Size(33, 38), Size(175, 73), Size(222, 8)]  # the four sizes of the hang
SCREENS = {
    "map": lambda app: None,
    "split": lambda app: SplitScreen(app.layout, app.map.state.cursor),
    "help": lambda app: HelpScreen(),
}


@pytest.mark.parametrize("name", SCREENS)
async def test_stale_resizes_are_not_laid_out(name: str) -> None:
    app = VasLayoutApp("x86_32-vmsplit-3g-opt")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        if (pushed := SCREENS[name](app)) is not None:
            app.push_screen(pushed)
            await pilot.pause()
        screen = app.screen
        footer = screen.query(KeysFooter).first(KeysFooter) if screen.query(KeysFooter) else None
        widths: list[int] = []
        screen.screen_layout_refresh_signal.subscribe(
            screen, lambda s: widths.append(footer.size.width if footer else s.outer_size.width))
        for size in SIZES:
            screen.post_message(events.Resize(size, size))  # Textual merges only adjacent Resizes
            screen.call_later(screen.refresh)
        for _ in range(5):
            await pilot.pause()
        stale = [w for w in widths if w != 120]
        assert not stale, f"laid out at stale widths {stale}"
        assert app.screen is screen and app.is_running

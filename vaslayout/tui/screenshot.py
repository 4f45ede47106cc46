"""Save an SVG of the app without a terminal (`vaslayout screenshot`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from vaslayout.core.model import Layout
from vaslayout.errors import UserError


async def _shoot(app, size: tuple[int, int], lookup: str | None, compare: list[str] | None,
                 keys: list[str]) -> str:
    from vaslayout.tui.compare import CompareScreen

    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        if lookup:
            await pilot.press("slash")
            for ch in lookup:
                await pilot.press(ch)
            await pilot.press("enter")
        for key in keys:
            await pilot.press(key)
        if compare:
            await app.push_screen(CompareScreen(compare, app.map.state.cursor))
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        return app.export_screenshot()


def screenshot_svg(name: str, layout: Layout, overrides: dict[str, str], size: tuple[int, int],
                   lookup: str | None = None, compare: list[str] | None = None, keys: list[str] | None = None,
                   **app_options) -> str:
    """The SVG text. app_options go to VasLayoutApp: tour=, tour_step=, quiz=, present=.

    The app runs on scratch state: the user's theme does not change the
    picture, and --lookup does not land in the user's history.
    """
    from vaslayout import state
    from vaslayout.tui.app import VasLayoutApp

    with state.scratch():
        app = VasLayoutApp(layout_name=name, overrides=overrides, initial=layout, **app_options)
        return asyncio.run(_shoot(app, size, lookup, compare, keys or []))


def check_output(out: Path) -> None:
    """Refuse, before the app starts, a path that cannot take the file; no folder is created unasked."""
    folder = out.parent
    if out.is_dir():
        raise UserError(f"-o {out}: is a directory; give a file name")
    if not folder.is_dir():
        raise UserError(f"-o {out}: no folder {folder} (vaslayout does not create folders)")


def screenshot(name: str, layout: Layout, overrides: dict[str, str], out: Path, size: tuple[int, int],
               lookup: str | None = None, compare: list[str] | None = None, keys: list[str] | None = None,
               **app_options) -> Path:
    """The SVG written to out (see screenshot_svg)."""
    check_output(out)
    svg = screenshot_svg(name, layout, overrides, size, lookup, compare, keys, **app_options)
    out.write_text(svg, encoding="utf-8")
    return out

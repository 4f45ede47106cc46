"""Save an SVG of the app without a terminal (`vaslayout screenshot`, `export --format svg`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from vaslayout.errors import UserError
from vaslayout.session import Session


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
            await app.workers.wait_for_complete()  # what a key started (b reads smaps) is in the picture
        if compare:
            await app.push_screen(CompareScreen(compare, app.map.state.cursor))
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        return app.export_screenshot()


def screenshot_svg(session: Session, size: tuple[int, int], lookup: str | None = None,
                   compare: list[str] | None = None, keys: list[str] | None = None) -> str:
    """The SVG text of the session as the App draws it, after a lookup, some keys or a compare view.

    The app runs on scratch state: the user's theme does not change the
    picture, and --lookup does not land in the user's history.
    """
    from vaslayout import state
    from vaslayout.tui.app import VasLayoutApp

    with state.scratch():
        return asyncio.run(_shoot(VasLayoutApp(session), size, lookup, compare, keys or []))


def check_output(out: Path) -> None:
    """Refuse, before the app starts, a path that cannot take the file; no folder is created unasked."""
    folder = out.parent
    if out.is_dir():
        raise UserError(f"-o {out}: is a directory; give a file name")
    if not folder.is_dir():
        raise UserError(f"-o {out}: no folder {folder} (vaslayout does not create folders)")


def screenshot(session: Session, out: Path, size: tuple[int, int], lookup: str | None = None,
               compare: list[str] | None = None, keys: list[str] | None = None) -> Path:
    """The SVG written to out (see screenshot_svg)."""
    check_output(out)
    out.write_text(screenshot_svg(session, size, lookup, compare, keys), encoding="utf-8")
    return out

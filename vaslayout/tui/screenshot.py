"""Save an SVG of the app without a terminal (`vaslayout screenshot`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from vaslayout.session import Session


async def _shoot(app, out: Path, size: tuple[int, int], lookup: str | None, compare: list[str] | None,
                 keys: list[str]) -> None:
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
        app.save_screenshot(filename=out.name, path=str(out.parent))


def screenshot(session: Session, out: Path, size: tuple[int, int], lookup: str | None = None,
               compare: list[str] | None = None, keys: list[str] | None = None) -> Path:
    """The session as the App draws it, after a lookup, some keys or a compare view."""
    from vaslayout.tui.app import VasLayoutApp

    app = VasLayoutApp(session)
    out.parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(_shoot(app, out, size, lookup, compare, keys or []))
    return out

"""Fixtures for the TUI tests: every test gets its own empty state folder."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """History and settings go to a fresh folder, never the user's own.

    A saved theme or lookup history would otherwise change what the app
    shows at start and make the runs depend on the machine.
    """
    folder = tmp_path / "state"
    monkeypatch.setenv("VASLAYOUT_STATE_DIR", str(folder))
    return folder


@pytest.fixture
def snap_compare(snap_compare, monkeypatch: pytest.MonkeyPatch):
    """snap_compare, and every snapshot's scenario rendered once more under NO_COLOR=1.

    A Segment without a style crashed Textual's monochrome filter (NO_COLOR)
    in lines the project draws; the twin app, built with the same arguments,
    must get through the same keys and render. Its picture is not compared.
    """
    from vaslayout.tui.app import VasLayoutApp

    made: dict[int, tuple[tuple, dict]] = {}
    original_init = VasLayoutApp.__init__

    def recording_init(self, *args, **kwargs) -> None:
        made[id(self)] = (args, kwargs)
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(VasLayoutApp, "__init__", recording_init)

    def compare(app, press=(), terminal_size=(80, 24), run_before=None) -> bool:
        same = snap_compare(app, press=press, terminal_size=terminal_size, run_before=run_before)
        args, kwargs = made[id(app)]
        monkeypatch.setenv("NO_COLOR", "1")  # App.__init__ reads and removes it
        twin = type(app)(*args, **kwargs)
        monkeypatch.delenv("NO_COLOR", raising=False)
        assert twin.no_color
        asyncio.run(_render(twin, tuple(press), terminal_size, run_before))
        return same

    return compare


async def _render(app, press: tuple[str, ...], size: tuple[int, int], run_before) -> None:
    async with app.run_test(size=size) as pilot:
        if run_before is not None:
            result = run_before(pilot)
            if inspect.isawaitable(result):
                await result
        await pilot.press(*press)
        await pilot.pause()
        assert "<svg" in app.export_screenshot()

"""`vaslayout open --capture`: the map of a captured kernel, with its vmalloc areas as children of vmalloc."""

from __future__ import annotations

from pathlib import Path

import pytest

from vaslayout.cli import build_parser
from vaslayout.cli.interactive import open_session
from vaslayout.tui.app import VasLayoutApp
from vaslayout.tui.details import Card

CAPTURE = Path(__file__).resolve().parent.parent / "data" / "captures" / "x86_64-6.12-5level-kaslr"
SIZE = (120, 40)


def capture_app() -> VasLayoutApp:
    """The app exactly as `open --capture` builds it."""
    args = build_parser().parse_args(["open", "--capture", str(CAPTURE)])
    return VasLayoutApp(open_session(args))


@pytest.mark.parametrize("paced", [False, True])
async def test_the_captured_vmalloc_areas_are_on_the_map(paced: bool) -> None:
    app = capture_app()
    areas = [r for r in app.layout.leaves if r.source == "/proc/vmallocinfo"]
    assert areas and app.layout.id == f"capture-{CAPTURE.name}"
    stacks = next(r for r in areas if r.name.startswith("thread stacks"))
    async with app.run_test(size=SIZE) as pilot:
        app.jump_to(stacks.start)
        await pilot.pause()
        if paced:
            await pilot.press("down", "up")
            await pilot.pause()
            app.jump_to(stacks.start)
            await pilot.pause()
        words = " ".join(app.query_one(Card).plain.split())
        assert "thread stacks" in words and stacks.description.split(", made by ")[1].split()[0] in words, words
        vmalloc = app.layout.path_at(stacks.start)
        assert [r.kind for r in vmalloc][-2:] == ["vmalloc", "vmalloc"]
        await pilot.press("enter")  # zoom into the region: its areas fill the view
        await pilot.pause()
        assert app.map.state is not None

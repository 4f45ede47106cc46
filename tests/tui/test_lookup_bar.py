"""The lookup bar: `/` starts a fresh lookup, Esc closes, an expression's answer shows its value.

A terminal turns Esc and a key typed right after it into one alt+key, so
"Esc /" arrives as alt+slash; both spellings are tested, paced (a pause
after each key) and unpaced (all keys posted before waiting).
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from textual.widgets import Input, Static

from vaslayout.tui.app import VasLayoutApp
from vaslayout.tui.lookup_bar import LookupBar, is_expression

FIRST, SECOND = "0xffff888000001000", "0xdffffc0000000014"


def answer_text(app: VasLayoutApp) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(app.query_one("#answer", Static).content)
    return console.file.getvalue()  # type: ignore[attr-defined]


async def press(pilot, keys: list[str], paced: bool) -> None:
    if paced:
        for key in keys:
            await pilot.press(key)
    else:
        await pilot.press(*keys)
    await pilot.pause()


@pytest.mark.parametrize("paced", [True, False], ids=["paced", "unpaced"])
@pytest.mark.parametrize("between", [["escape", "slash"], ["alt+slash"], ["slash"], ["escape", "g"], ["alt+g"]],
                         ids=["esc-slash", "esc-slash-as-one-key", "slash-after-enter", "esc-g", "esc-g-as-one-key"])
async def test_a_second_lookup_starts_fresh(state_dir, between: list[str], paced: bool) -> None:
    app = VasLayoutApp()
    async with app.run_test(size=(160, 48)) as pilot:
        await press(pilot, ["slash", *FIRST, "enter", *between, *SECOND, "enter"], paced)
        field = app.query_one("#lookup-input", Input)
        assert field.value == SECOND
        assert app.map.state.cursor == int(SECOND, 16)
        assert "/" not in answer_text(app).splitlines()[0]  # no division was looked up
        assert app.query_one(LookupBar).history == [FIRST, SECOND]


async def test_slash_selects_the_old_text_so_typing_replaces_it(state_dir) -> None:
    app = VasLayoutApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, ["slash", *"0x1000", "enter", "escape", "slash"], paced=False)
        field = app.query_one("#lookup-input", Input)
        assert field.value == "0x1000" and (field.selection.start, field.selection.end) == (0, 6)
        await press(pilot, list("0x2000"), paced=False)
        assert field.value == "0x2000"


async def test_escape_closes_the_bar_wherever_the_focus_is(state_dir) -> None:
    app = VasLayoutApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, ["enter", "slash", *"0x1000", "enter"], paced=False)  # into kernel space, then a lookup
        bar = app.query_one(LookupBar)
        app.map.focus()  # as after a click on the map: the bar stays open
        await pilot.pause()
        focus = app.map.state.focus
        await press(pilot, ["escape"], paced=True)
        assert not bar.has_class("-open")
        assert app.map.state.focus is focus  # Esc closed the bar and did not also zoom out
        await press(pilot, ["escape"], paced=True)
        assert app.map.state.focus is not focus  # the bar is closed: Esc zooms out again


async def test_typing_slash_inside_an_expression_divides(state_dir) -> None:
    app = VasLayoutApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, ["slash", *"0x2000/2"], paced=False)
        assert app.query_one("#lookup-input", Input).value == "0x2000/2"
        assert "0x2000/2 = 0x0000000000001000" in answer_text(app)


@pytest.mark.parametrize("paced", [True, False], ids=["paced", "unpaced"])
async def test_an_expression_answer_shows_the_expression_and_its_value(state_dir, paced: bool) -> None:
    app = VasLayoutApp()
    async with app.run_test(size=(160, 48)) as pilot:
        await press(pilot, ["slash", *"0xffff888000000000+0x1000", "enter"], paced)
        text = answer_text(app)
        assert "0xffff888000000000+0x1000 = 0xffff888000001000" in text
        assert app.map.state.cursor == 0xFFFF888000001000
        await press(pilot, ["slash", *FIRST], paced)
        assert " = " not in answer_text(app).splitlines()[0]  # a plain number is not repeated


def test_what_counts_as_an_expression() -> None:
    assert not any(map(is_expression, ["0xffff888000001000", "ffff888000001000", "896M", "4096", " 0x1_000 "]))
    assert all(map(is_expression, ["0x1000+1", "lowmem.end - 1", "page_offset_base", "8G/2", "(1 << 47)"]))

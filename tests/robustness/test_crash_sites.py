"""Each crash site of the unpaced storms (C1-C10), as the events that reproduced it, back to back.

Before the fixes every one of these raised (ScreenStackError, KeyError,
IndexError, NoMatches, AttributeError under NO_COLOR); run_test re-raises
what the app met, so passing is surviving. Events are posted without
waiting for the app, as a terminal delivers a fast double press.
"""

from __future__ import annotations

import pytest
from rich.segment import Segment
from textual import events
from textual.screen import Screen
from textual.scroll_view import ScrollView

from tests.pilot_steps import settle
from tests.robustness.storm import mouse, post_click, post_keys
from vaslayout.session import Session
from vaslayout.teach.tours import load_tour
from vaslayout.tui.app import VasLayoutApp

SIZE = (120, 40)


def tour_app(name: str = "vmsplit-lowmem") -> VasLayoutApp:
    tour = load_tour(name)
    return VasLayoutApp(Session.for_tour(tour, 0))


@pytest.mark.parametrize("keys, layout", [
    (["l", "enter", "enter"], "x86_64-4level"),  # C1 the layout picker
    (["m", "enter", "enter"], "x86_32-vmsplit-3g"),  # C2 the physical pane
    (["ctrl+p", "enter", "enter"], "x86_64-4level"),  # C3 a second Enter in the palette ran a second command
    (["ctrl+p", "pageup"], "x86_64-4level"),  # C5 a page key before the palette's list is laid out
    (["ctrl+p", "pagedown"], "x86_64-4level"),  # C5
    (["escape", "ctrl+p", "l"], "x86_64-4level"),  # C7 keys for a palette already closed
], ids=["C1-picker", "C2-physical", "C3-palette-enter", "C5-pageup", "C5-pagedown", "C7-palette-gone"])
async def test_double_presses_leave_the_map_standing(keys: list[str], layout: str) -> None:
    app = VasLayoutApp(layout)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        post_keys(app, keys)
        await settle(pilot)
        assert app.screen_stack[0] is not None and app.map.state is not None


async def test_c1_double_click_in_the_picker() -> None:
    app = VasLayoutApp("x86_64-4level")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        await settle(pilot)
        post_click(app, 60, app.size.height // 2, times=2)
        await settle(pilot)
        assert len(app.screen_stack) == 1 and app.map.state is not None


async def test_c2_double_click_on_a_ram_row() -> None:
    app = VasLayoutApp("x86_32-vmsplit-3g")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        await settle(pilot)
        row = app.screen.query_one("OptionList").region
        post_click(app, row.x + 5, row.y + 1, times=2)
        await settle(pilot)
        assert app.map.state is not None


async def test_c3_one_palette_command_per_selection() -> None:
    """Enter Enter on "Switch layout" opens one picker, not two."""
    app = VasLayoutApp("x86_64-4level")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await settle(pilot)
        for ch in "switch layout":
            await pilot.press("space" if ch == " " else ch)
        await settle(pilot)
        post_keys(app, ["enter", "enter", "enter"])
        await settle(pilot)
        assert [type(s).__name__ for s in app.screen_stack] in (["MapScreen", "LayoutPicker"], ["MapScreen"])


async def test_c4_double_click_on_the_palette_backdrop() -> None:
    app = VasLayoutApp("x86_64-4level")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await settle(pilot)
        post_click(app, 2, SIZE[1] - 2, times=2)
        await settle(pilot)
        assert len(app.screen_stack) == 1


async def test_palette_click_outside_a_shrunk_screen() -> None:
    """A click sent before a resize shrank the terminal lands outside the screen (Textual's palette: NoWidget)."""
    app = VasLayoutApp("x86_64-4level")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.resize_terminal(40, 12)
        post_click(app, 100, 35)
        await settle(pilot)
        assert app.map.state is not None


@pytest.mark.parametrize("keys", [
    ["ctrl+p", "n", "ctrl+p", "p", "ctrl+p", "n"],  # C6 the palette popped by a step before it mounted
    ["l", "n", "l", "p", "l", "n"],  # C8 the picker popped before it mounted
    ["v", "n", "m", "p", "question_mark", "n", "c", "p"],
], ids=["C6-palette", "C8-picker", "every-screen"])
async def test_tour_steps_wait_for_screens_still_mounting(keys: list[str]) -> None:
    app = tour_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        post_keys(app, keys * 3)
        await settle(pilot, 8)
        assert app.session.tour.index in range(app.session.tour.steps)


class PostsWhileTornDown(Screen):
    """Input that arrives while the app closes its screens: the stack is empty when it is handled."""

    def __init__(self, late: str) -> None:
        super().__init__()
        self.late = late

    def on_unmount(self) -> None:
        if self.late == "keys":
            post_keys(self.app, ["l", "enter", "ctrl+p", "down", "escape", "question_mark"])
        else:
            post_click(self.app, 30, 10, 2)
            self.app.post_message(mouse(events.MouseScrollDown, 30, 10, 0))


@pytest.mark.parametrize("late", ["keys", "mouse"])
async def test_c9_input_after_the_last_screen_left(late: str) -> None:
    """Keys and mouse events handled after shutdown closed every screen reached App.on_event, whose
    forward to self.screen raised ScreenStackError; they are dropped."""
    app = VasLayoutApp("x86_64-4level")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(PostsWhileTornDown(late))
        await settle(pilot)
    assert not app.screen_stack  # run_test re-raised nothing, and the screens did go


# -- C10: NO_COLOR ---------------------------------------------------------------

SCREENS = {
    "map": ("x86_64-4level", []),
    "compare": ("x86_32-vmsplit-3g", ["c"]),
    "compare-64": ("x86_64-4level", ["c", "end"]),
    "split": ("x86_32-vmsplit-3g", ["v"]),
    "kmap": ("x86_32-vmsplit-3g", ["v", "tab", "up", "up", "k"]),
    "physical": ("x86_32-vmsplit-3g", ["m", "down"]),
    "help": ("x86_64-4level", ["question_mark"]),
    "palette": ("x86_64-4level", ["ctrl+p"]),
    "picker": ("x86_64-4level", ["l"]),
    "params": ("x86_32-vmsplit-3g", ["p"]),
    "lookup": ("x86_64-4level", ["slash", "f", "f", "f", "f", "enter"]),
    "present": ("x86_64-4level", ["f5"]),
    "diff": ("x86_32-vmsplit-3g", ["c", "d"]),
}


def unstyled(app: VasLayoutApp) -> list[str]:
    """Lines the project's own ScrollViews draw that carry a Segment without a style."""
    found = []
    for view in app.screen.query(ScrollView):
        if not type(view).__module__.startswith("vaslayout"):
            continue
        for y in range(view.size.height):
            segments: list[Segment] = list(view.render_line(y))
            if any(seg.style is None for seg in segments):
                found.append(f"{type(view).__name__} line {y}")
    return found


@pytest.mark.parametrize("name", SCREENS)
async def test_c10_every_screen_under_no_color(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    layout, keys = SCREENS[name]
    monkeypatch.setenv("NO_COLOR", "1")  # read (and removed) by App.__init__
    app = VasLayoutApp(layout)
    assert app.no_color
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for k in keys:
            await pilot.press(k)
        await settle(pilot)
        assert "<svg" in app.export_screenshot()
        assert unstyled(app) == []


@pytest.mark.parametrize("name", ["compare", "split", "kmap", "map"])
async def test_lines_the_project_draws_carry_a_style_in_colour_too(name: str) -> None:
    layout, keys = SCREENS[name]
    app = VasLayoutApp(layout)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        for k in keys:
            await pilot.press(k)
        await settle(pilot)
        assert unstyled(app) == []

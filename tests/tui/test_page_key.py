"""What a page key draws: the map and card past Textual's CSS pipeline, the scrollbar and breadcrumb if changed.

These were most of a page key's cost among 131,072 regions
(benchmarks/tui_speed.py measures it). Each shortcut is held here to what
Textual itself would put on the screen.
"""

from __future__ import annotations

import pytest
from textual.geometry import Region as Area
from textual.scrollbar import ScrollBar
from textual.widget import Widget
from textual.widgets import Static

from tests.pilot_steps import settle
from tests.tui.test_map_cache import BASE, many_mappings
from vaslayout.session import Session
from vaslayout.sources import FixedSource
from vaslayout.tui.app import VasLayoutApp
from vaslayout.tui.details import Card
from vaslayout.tui.map_view import MapView
from vaslayout.tui.scrollbar import set_bar


def textuals_lines(view: Widget, crop: Area) -> list:
    """What Widget.render_lines makes of the widget's lines: border, padding, tint, opacity, filters."""
    view.refresh()  # its own cache of styled lines would hand back the last ones
    return Widget.render_lines(view, crop)


def crops(view: Widget) -> list[Area]:
    width, height = view.size
    return [Area(0, 0, width, height), Area(0, 3, width, 4), Area(5, 2, 11, 3), Area(0, height - 1, width, 1)]


# (keys, before them) -> a state of the map worth drawing: the outline, a level, a page, presenter mode
STATES = [[], ["enter"], ["enter", "pageup", "pageup"], ["enter", "f5"], ["enter", "s", "s"]]


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_the_maps_and_the_cards_lines_are_textuals_lines(size: tuple[int, int], no_color: bool,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = VasLayoutApp(Session(FixedSource(many_mappings(300)), cursor=BASE))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        compared = []
        for keys in STATES:
            for theme in ("textual-dark", "textual-light"):
                app.theme = theme
                await pilot.press(*keys)
                await settle(pilot)
                for view in (v for v in (app.map, app.query_one(Card)) if v.size.width):  # presenter hides the card
                    for crop in crops(view):
                        mine = view.render_lines(crop)
                        assert mine == textuals_lines(view, crop), (type(view).__name__, keys, theme, crop)
                        compared.append(len(mine))
                await pilot.press(*(["backspace"] * keys.count("enter")), *(["f5"] * keys.count("f5")))
                await settle(pilot)
        # every crop of the map in each state and theme, of the card in all but presenter mode's two
        assert len(compared) == (2 * len(STATES) + 2 * len(STATES) - 2) * 4 and min(compared) >= 1


async def test_a_page_among_thousands_of_regions_leaves_the_scrollbar_as_drawn(
        monkeypatch: pytest.MonkeyPatch) -> None:
    painted: list[float] = []
    render = ScrollBar.render

    def counted(self: ScrollBar):
        if isinstance(self.parent, MapView):
            painted.append(self.position)
        return render(self)

    monkeypatch.setattr(ScrollBar, "render", counted)
    app = VasLayoutApp(Session(FixedSource(many_mappings(20_000)), cursor=BASE))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")  # 40,000 rows: a page moves the thumb by a thirtieth of a cell
        await settle(pilot)
        bar = app.map.vertical_scrollbar
        crop = Area(0, 0, *bar.size)
        by_keys = 0
        for _ in range(12):
            painted.clear()
            await pilot.press("pageup")
            await settle(pilot)
            by_keys += len(painted)
            assert bar.position == bar.validate_position(app.map.scroll_y)  # kept true for a drag
            shown = bar.render_lines(crop)
            bar.refresh()
            assert bar.render_lines(crop) == shown  # what a repaint would draw is what is there
        assert by_keys <= 5  # 12 pages move it 0.42 of a cell: a repaint per eighth crossed, not one a page


async def test_a_scrollbar_that_looks_different_is_repainted() -> None:
    app = VasLayoutApp(Session(FixedSource(many_mappings(40)), cursor=BASE))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        bar = app.map.vertical_scrollbar
        assert set_bar(bar, position=0) is True  # to the top: the thumb moves a screen's worth
        assert set_bar(bar, position=0) is False  # nothing changed
        assert set_bar(bar, position=bar.window_virtual_size) is True


async def test_the_breadcrumb_is_drawn_again_only_when_it_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    updates: list[str] = []
    update = Static.update

    def counted(self: Static, *args, **kwargs) -> None:
        if self.id == "breadcrumb":
            updates.append(str(args[0]))
        update(self, *args, **kwargs)

    monkeypatch.setattr(Static, "update", counted)
    app = VasLayoutApp(Session(FixedSource(many_mappings(300)), cursor=BASE))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        updates.clear()
        await pilot.press("pageup", "up", "up", "pagedown")  # the cursor moves, the level and scale stay
        await settle(pilot)
        assert updates == []
        await pilot.press("s")
        await settle(pilot)
        assert len(updates) == 1 and "scale:" in updates[0]
        assert str(app.query_one("#breadcrumb", Static).content) == updates[0]

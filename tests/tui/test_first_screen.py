"""The first screen is drawn once: the passes that would draw again what is already there are skipped.

Each of these cost a full screen of layout and output before the first
screen settled (benchmarks/tui_speed.py measures the time): a widget for
each of the footer's keys, made three times over, a Resize of the size the
map already has laid out again, the details wrapped to a guessed width and
then to the real one, the map's lines drawn again for the same size.
"""

from __future__ import annotations

import pytest
from rich.text import Text
from textual import events
from textual.app import App

from tests.pilot_steps import settle
from vaslayout.tui.app import VasLayoutApp
from vaslayout.tui.details import Card
from vaslayout.tui.footer import KeysFooter
from vaslayout.tui.map_view import MapView
from vaslayout.tui.screens import HelpScreen


async def test_the_footer_is_one_widget_and_draws_again_only_when_its_keys_change() -> None:
    app = VasLayoutApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        footer = app.query_one(KeysFooter)
        assert list(footer.query("*")) == []  # no widget per key
        before = footer.keys
        refreshed: list[object] = []
        refresh = footer.refresh
        footer.refresh = lambda *a, **kw: refreshed.append(a) or refresh(*a, **kw)  # type: ignore[method-assign]
        app.screen.refresh_bindings()  # what a focus change does: the same keys
        await settle(pilot)
        assert footer.keys == before and refreshed == []
        app.set_keymap({"app.layout": "L"})  # the layout key moves: the footer shows the new one
        await settle(pilot)
        assert refreshed
        keys = [key.key for key in footer.keys]
        assert "L" in keys and "l" not in keys


async def test_a_resize_to_the_maps_own_size_is_not_laid_out_again() -> None:
    app = VasLayoutApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        layouts: list[object] = []
        screen.screen_layout_refresh_signal.subscribe(screen, layouts.append)
        screen.post_message(events.Resize(app.size, app.size))  # what the first layout posts the screen
        await settle(pilot)
        assert layouts == []
        app.push_screen(HelpScreen())  # a screen above the map: its Resize lays out the map below too
        await settle(pilot)
        top = app.screen
        top.screen_layout_refresh_signal.subscribe(top, layouts.append)
        top.post_message(events.Resize(app.size, app.size))
        await settle(pilot)
        assert layouts


async def test_the_details_are_wrapped_to_the_panel_from_the_first_frame() -> None:
    app = VasLayoutApp()
    first: list[str] = []
    render_line = Card.render_line

    def recording(self, y: int):
        if not first:
            first.append(self.plain)
        return render_line(self, y)

    Card.render_line = recording  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            card = app.query_one(Card)
            assert first == [card.plain]
            assert max(len(line) for line in card.plain.splitlines()) <= card.size.width
    finally:
        Card.render_line = render_line  # type: ignore[method-assign]


class OneCard(App[None]):
    def compose(self):
        yield Card()


async def test_a_card_wraps_its_rows_again_when_its_width_changes() -> None:
    rows = [("region", Text("word " * 30)), ("size", Text("4 KiB"))]
    app = OneCard()
    async with app.run_test(size=(60, 20)) as pilot:
        card = app.query_one(Card)
        card.show([Text("Selected region"), (rows, 1)])
        await settle(pilot)
        wide = card.plain.splitlines()
        await pilot.resize_terminal(30, 20)
        await settle(pilot)
        narrow = card.plain.splitlines()
        assert narrow[0] == wide[0] == "Selected region"
        assert len(narrow) > len(wide)
        assert max(map(len, wide)) <= 60 and max(map(len, narrow)) <= 30
        assert " ".join(" ".join(narrow[1:]).split()) == " ".join(" ".join(wide[1:]).split())


async def test_a_card_draws_a_line_it_has_shown_before_from_what_it_kept() -> None:
    """Back and forth between two regions (Enter, Backspace) draws no line twice; a line that
    looks different is drawn anew, and each run of changed lines is one refresh."""
    first = [("region", Text("user space", style="bold")), ("size", Text("128 TiB"))]
    second = [("region", Text("kernel space", style="bold")), ("size", Text("128 TiB"))]
    app = OneCard()
    async with app.run_test(size=(60, 20)) as pilot:
        card = app.query_one(Card)
        rendered: list[str] = []
        render = Text.render

        def recording(text: Text, console, end: str = ""):
            rendered.append(text.plain)
            return render(text, console, end)

        Text.render = recording  # type: ignore[method-assign]
        try:
            for rows in (first, second, first, second):
                card.show([Text("Selected region"), (rows, 1)])
                await settle(pilot)
        finally:
            Text.render = render  # type: ignore[method-assign]
        assert card.plain.splitlines()[1].split() == ["region", "kernel", "space"]
        assert sorted(r.split()[-1] for r in rendered if r.startswith("region")) == ["space", "space"]
        refreshed: list[object] = []
        card.refresh = lambda *regions, **kw: refreshed.extend(regions)  # type: ignore[method-assign]
        card.show([Text("Other"), ([("a", Text("1")), ("b", Text("2"))], 1)])
        assert [(r.y, r.height) for r in refreshed] == [(0, 3)]


async def test_the_first_frame_has_the_footers_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """The keys are read when the footer is first drawn, not after the first frame.
    (Textual's own second pass, for the sizes the first one set, remains: two layouts in all.)"""
    layouts: list[int] = []  # the footer's keys at each layout of the map's screen
    first: list[str] = []  # the footer's line in the first frame
    on_mount = VasLayoutApp.on_mount
    render_line = KeysFooter.render_line

    def counting(self) -> None:
        screen = self.screen
        screen.screen_layout_refresh_signal.subscribe(
            screen, lambda s: layouts.append(len(s.query_one(KeysFooter).keys)))
        on_mount(self)

    def recording(self, y: int):
        strip = render_line(self, y)
        if not first:
            first.append(strip.text)
        return strip

    monkeypatch.setattr(VasLayoutApp, "on_mount", counting)
    monkeypatch.setattr(KeysFooter, "render_line", recording)
    app = VasLayoutApp()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
    assert layouts and layouts[0] > 0
    assert len(layouts) <= 2, layouts
    assert "p Params" in first[0] and "^p palette" in first[0]


async def test_the_map_draws_its_lines_again_only_when_its_size_changes() -> None:
    """The first layout's Resize reaches the map after its first frame was drawn at that size:
    it used to build the band and draw every line again for the second pass."""
    app = VasLayoutApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = app.query_one(MapView)
        drawn: list[int] = []
        draw = MapView._draw

        def recording(self, block, row, *args):
            drawn.append(row)
            return draw(self, block, row, *args)

        MapView._draw = recording  # type: ignore[method-assign]
        try:
            view.post_message(events.Resize(view.size, view.virtual_size, view.container_size))
            await settle(pilot)
            assert drawn == []
            await pilot.resize_terminal(120, 30)  # a real resize: the band and its lines for the new height
            await settle(pilot)
            assert drawn
            assert view.virtual_size.width == view.scrollable_content_region.width
            drawn.clear()
            width = view.size.width
            await pilot.resize_terminal(100, 30)  # the width alone: the lines again, at the new width
            await settle(pilot)
            assert view.size.width != width and drawn
            assert view.virtual_size.width == view.scrollable_content_region.width
        finally:
            MapView._draw = draw  # type: ignore[method-assign]

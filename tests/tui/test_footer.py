"""The footer: one line placed as Textual's Footer places its key widgets, and used as they are."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest
from textual.app import App
from textual.binding import Binding
from textual.widgets import Footer

from tests.pilot_steps import settle
from vaslayout.tui.footer import KeysFooter

ZOOM = Binding.Group("Zoom")
TOGGLE = Binding.Group("Toggle", compact=True)


class Keys(App[None]):
    """Bindings of every kind the footer draws: a group, a compact group, plain keys, a disabled one."""

    CSS = "Footer.-compact FooterLabel { margin: 0 1 0 0; }"  # the app's: a label keeps a space after it
    BINDINGS = [
        Binding("enter", "note('in')", "In", group=ZOOM, tooltip="zoom in"),
        Binding("backspace", "note('out')", "Out", group=ZOOM),
        Binding("x", "note('x')", "Ex", tooltip="the x key"),
        Binding("y", "off", "Why"),
        Binding("u", "note('u')", "U1", group=TOGGLE),
        Binding("v", "note('v')", "V1", group=TOGGLE),
        Binding("h", "note('h')", "Hidden", show=False),
        Binding("w", "note('w')", "A longer description"),
    ]

    def __init__(self, footer) -> None:
        super().__init__()
        self.footer = footer
        self.notes: list[str] = []

    def compose(self):
        yield self.footer

    def check_action(self, action: str, parameters) -> bool | None:
        return None if action == "off" else True  # None: shown, but disabled

    def action_note(self, what: str) -> None:
        self.notes.append(what)


async def textual_places(compact: bool, width: int) -> list[tuple[str | None, int, int, str]]:
    app = Keys(Footer(compact=compact))
    async with app.run_test(size=(width, 5)) as pilot:
        await settle(pilot)
        placed = []
        for widget in app.query_one(Footer).query("FooterKey, FooterLabel"):
            text = widget.description if hasattr(widget, "key") else str(widget.render())
            placed.append((getattr(widget, "key", None), widget.region.x, widget.region.width, text))
        return sorted(placed, key=lambda p: (p[1], p[0] or ""))


async def our_places(compact: bool, width: int) -> list[tuple[str | None, int, int, str]]:
    app = Keys(KeysFooter(compact=compact))
    async with app.run_test(size=(width, 5)) as pilot:
        await settle(pilot)
        spots = app.query_one(KeysFooter).spots
        return sorted(((s.key.key if s.key else None, s.x, s.width, s.key.description if s.key else s.parts[0][0])
                       for s in spots), key=lambda p: (p[1], p[0] or ""))


@pytest.mark.parametrize("compact", [True, False], ids=["compact", "full"])
@pytest.mark.parametrize("width", [100, 60, 45])
async def test_the_keys_are_where_textuals_footer_puts_them(compact: bool, width: int) -> None:
    theirs = await textual_places(compact, width)
    ours = await our_places(compact, width)
    visible = [p for p in theirs if p[1] < width]
    palette = next(p[1] for p in theirs if p[0] == "ctrl+p")
    assert ours == [p for p in visible if p[0] == "ctrl+p" or p[1] < palette]


@asynccontextmanager
async def compact_footer():
    """The Keys app at 100 columns with the compact footer: its pilot, the footer, and each key's spot."""
    app = Keys(KeysFooter(compact=True))
    async with app.run_test(size=(100, 5)) as pilot:
        await settle(pilot)
        footer = app.query_one(KeysFooter)
        yield pilot, footer, {s.key.key: s for s in footer.spots if s.key}


async def test_the_footer_draws_each_key_in_its_cells() -> None:
    async with compact_footer() as (_pilot, footer, _spot):
        line = footer.render_line(0).text
        assert len(line) == 100
        for spot in footer.spots:
            assert line[spot.x:spot.x + spot.width] == "".join(text for text, _ in spot.parts)
        assert line.startswith(" ⏎ ⌫ Zoom x Ex y Why  uv Toggle w A longer description")
        assert line.endswith("▏^p palette ")


async def test_a_click_presses_the_key_and_a_disabled_key_rings_the_bell() -> None:
    async with compact_footer() as (pilot, footer, spot):
        app = pilot.app
        bells: list[bool] = []
        app.bell = lambda: bells.append(True)  # type: ignore[method-assign]
        for key in ("enter", "x", "v"):
            await pilot.click(KeysFooter, offset=(spot[key].x, 0))
        await settle(pilot)
        assert app.notes == ["in", "x", "v"]
        await pilot.click(KeysFooter, offset=(spot["y"].x + 2, 0))
        await settle(pilot)
        assert bells == [True] and app.notes == ["in", "x", "v"]
        await pilot.click(KeysFooter, offset=(spot["x"].x + spot["x"].width, 0))  # the gap after a key
        await settle(pilot)
        assert app.notes == ["in", "x", "v"]


async def test_hovering_a_key_highlights_it_and_shows_its_tooltip() -> None:
    async with compact_footer() as (pilot, footer, spot):
        x = spot["x"]
        plain = footer.render_line(0)
        await pilot.hover(KeysFooter, offset=(x.x + 1, 0))
        await settle(pilot)
        assert footer.tooltip == "the x key"
        hovered = footer.render_line(0)
        assert hovered.text == plain.text
        changed = [i for i in range(100) if list(hovered.crop(i, i + 1)) != list(plain.crop(i, i + 1))]
        assert changed == list(range(x.x, x.x + x.width))
        await pilot.hover(KeysFooter, offset=(spot["enter"].x, 0))
        await settle(pilot)
        assert footer.tooltip == "zoom in"
        await pilot.hover(KeysFooter, offset=(spot["enter"].x + 1, 0))  # the gap between the group's keys
        await settle(pilot)
        assert footer.tooltip is None and list(footer.render_line(0)) == list(plain)

"""The footer: the screen's keys as one line, laid out as Textual's Footer lays out its keys.

Textual's Footer is a container with a widget for every key (nine on the
map's screen), each composed, mounted, styled, laid out and drawn on its
own, and composed again whenever the bindings change: about a quarter of
the time from the app's start to its first whole screen, and every key
that changed the bindings drew the footer's widgets again. Here the keys
are plain tuples (`footer_items`; NamedTuples cost a sixth of a frozen
dataclass to create at import), placed in cells by a pure function
(`place`), and drawn as one strip; a click, the hover highlight and each
key's tooltip work as on Textual's footer keys. tests/tui/test_footer.py
holds the placement equal to Textual's Footer, cell for cell.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import groupby
from typing import NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

from vaslayout.tui.lines import cropped, finished, line_filters


class Key(NamedTuple):
    """One key the footer shows: what a click sends, what it draws, and its tooltip."""

    key: str  # the key name simulate_key sends
    display: str  # how the key is written (the app's key display)
    description: str  # "" for a key drawn in a group
    tooltip: str
    enabled: bool = True


class Group(NamedTuple):
    """Neighbouring keys of one Binding.Group, drawn together before the group's label."""

    keys: tuple[Key, ...]
    label: str
    compact: bool = False


class Spot(NamedTuple):
    """A placed piece of the line: its first cell, its text in parts, and the key it is (None: a label)."""

    x: int
    parts: tuple[tuple[str, str], ...]  # (text, role): role is "key", "description", "item", "label", "border"
    key: Key | None = None

    @property
    def width(self) -> int:
        return sum(cell_len(text) for text, _ in self.parts)


Item = Key | Group


def footer_items(screen: Screen, show_palette: bool = True) -> tuple[tuple[Item, ...], Key | None]:
    """The keys Textual's Footer composes for the screen's active bindings, and the palette's key."""
    app = screen.app
    active = screen.active_bindings
    by_action: defaultdict[str, list[tuple[Binding, bool, str]]] = defaultdict(list)
    for _node, binding, enabled, tooltip in active.values():
        if binding.show:
            by_action[binding.action].append((binding, enabled, tooltip))
    items: list[Item] = []
    for group, runs in groupby(by_action.values(), lambda run: run[0][0].group):
        firsts = [run[0] for run in runs]
        if group is not None and len(firsts) > 1:
            keys = tuple(Key(b.key, app.get_key_display(b), "", tooltip or b.description, enabled)
                         for b, enabled, tooltip in firsts)
            items.append(Group(keys, group.description, group.compact))
        else:
            items.extend(Key(b.key, app.get_key_display(b), b.description, tooltip, enabled)
                         for b, enabled, tooltip in firsts)
    palette = None
    if show_palette and app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
        _node, b, enabled, tooltip = active[app.COMMAND_PALETTE_BINDING]
        palette = Key(b.key, app.get_key_display(b), b.description, b.tooltip or b.description, enabled)
    return tuple(items), palette


def _key_parts(key: Key, padded: bool) -> tuple[tuple[str, str], ...]:
    """A key as FooterKey draws it, each space in the style of the part whose padding it is:
    " k " "desc " in the full footer, "k" " desc" in the compact one."""
    if not key.description:
        return ((key.display, "key"),)
    if padded:
        return ((f" {key.display} ", "key"), (f"{key.description} ", "description"))
    return ((key.display, "key"), (f" {key.description}", "description"))


def place(items: Iterable[Item], palette: Key | None, width: int, compact: bool) -> list[Spot]:
    """Each key and label in its cells, left to right, the palette's key at the right end.

    A piece's margins are Textual's (the footer's CSS and the app's): a key
    has one cell after it in the compact footer, a group's keys one on each
    side, a label one after it; margins between neighbours collapse to the
    larger one, as Textual's horizontal layout does.
    """
    spots: list[Spot] = []
    x, margin = 0, 0  # the next free cell, and the right margin of the piece before it
    for item in items:
        if isinstance(item, Key):
            x += margin
            spot = Spot(x, _key_parts(item, not compact), item)
            spots.append(spot)
            x, margin = x + spot.width, 1 if compact else 0
            continue
        x += margin
        inner = x + (1 if item.compact else 0)  # a compact group: one cell before its keys, none between
        for key in item.keys:
            inner += 0 if item.compact else 1  # each key's margin of one, collapsed between neighbours
            spots.append(Spot(inner, ((key.display, "key"),), key))
            inner += cell_len(key.display)
        x = inner + (0 if item.compact else 1)
        margin = 1 if item.compact else 0
        x += margin
        spots.append(Spot(x, ((item.label, "label"),)))
        x, margin = x + cell_len(item.label), 1
    if palette is not None:
        parts = (("▏", "border"), *_key_parts(palette, False), *(() if compact else ((" ", "item"),)))
        right = width - (1 if compact else 0)
        spot = Spot(right - Spot(0, parts).width, parts, palette)
        return [s for s in spots if s.x < spot.x] + [spot]  # drawn over the keys it covers
    return [s for s in spots if s.x < width]


class KeysFooter(Widget):
    """The keys of the screen's bindings on the bottom line, drawn as one strip."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keys-footer--key", "keys-footer--description", "keys-footer--label",
                         "keys-footer--hover", "keys-footer--border"}
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .keys-footer--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
        & > .keys-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .keys-footer--label {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .keys-footer--hover { color: $footer-key-foreground; background: $block-hover-background; }
        & > .keys-footer--border { color: $foreground 20%; }
    }
    """

    def __init__(self, *, compact: bool = False, show_command_palette: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.compact = compact
        self.show_command_palette = show_command_palette
        self._items: tuple[tuple[Item, ...], Key | None] | None = None  # None: read at the first draw
        self._spots: list[Spot] = []
        self._placed_for: tuple | None = None  # (items, width) the spots were placed for
        self._hover: Key | None = None
        self._strip: Strip | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        # As Textual's Footer: while the app is not focused its bindings are the blurred screen's; keep the keys.
        if not self.is_attached or screen is not self.screen or not screen.app.app_focus:
            return
        items = footer_items(screen, self.show_command_palette)
        if items != self._items:
            self._items = items
            self._redraw()

    def _redraw(self) -> None:
        self._strip = None
        self.refresh()

    @property
    def spots(self) -> list[Spot]:
        """The keys and labels as placed at the footer's width now."""
        if self._items is None:
            self._items = footer_items(self.screen, self.show_command_palette)
        width = self.size.width
        if self._placed_for != (self._items, width):
            self._spots = place(*self._items, width, self.compact)
            self._placed_for = (self._items, width)
        return self._spots

    @property
    def keys(self) -> list[Key]:
        return [spot.key for spot in self.spots if spot.key is not None]

    def spot_at(self, x: int) -> Spot | None:
        """The key drawn at column x (the palette's key first: it is drawn over the others)."""
        return next((s for s in reversed(self.spots) if s.key is not None and s.x <= x < s.x + s.width), None)

    # -- mouse, as on Textual's footer keys ---------------------------------

    def _set_hover(self, key: Key | None) -> None:
        if key != self._hover:
            self._hover = key
            self.tooltip = key.tooltip or None if key is not None else None
            self._redraw()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        spot = self.spot_at(event.x)
        self._set_hover(spot.key if spot is not None else None)

    def on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        spot = self.spot_at(event.x)
        if spot is None or spot.key is None:
            return
        if spot.key.enabled:
            self.app.simulate_key(spot.key.key)
        else:
            self.app.bell()

    # -- drawing -------------------------------------------------------------

    def notify_style_update(self) -> None:
        self._strip = None
        super().notify_style_update()

    def _styles(self) -> dict[str, Style]:
        def part(name: str) -> Style:
            return self.get_component_rich_style(f"keys-footer--{name}")

        def fg(style: Style) -> Style:
            return Style(color=style.color, bold=style.bold, dim=style.dim, italic=style.italic)

        base, hover, border = self.rich_style, part("hover"), fg(part("border"))
        styles = {name: part(name) for name in ("key", "description", "label")}
        styles.update({"item": base, "border": base + border, "hover item": hover, "hover border": hover + border})
        for name in ("key", "description"):
            styles["hover " + name] = hover + fg(styles[name])
        return styles

    def render_lines(self, crop: Region) -> list[Strip]:
        return cropped(self, [self.render_line(y) for y in crop.line_range], crop)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self._strip is None or self._strip.cell_length != width:
            styles, base = self._styles(), self.rich_style
            dim = Style(dim=True)
            strip = Strip.blank(width, base)
            for spot in self.spots:  # left to right, each over the cells it takes (the palette over the keys)
                hover = "hover " if spot.key is not None and spot.key == self._hover else ""
                disabled = dim if spot.key is not None and not spot.key.enabled else None
                segments = [Segment(text, styles[hover + role] + disabled) for text, role in spot.parts]
                end = spot.x + spot.width
                strip = Strip.join([strip.crop(0, spot.x), Strip(segments, spot.width), strip.crop(end, width)])
            self._strip = finished(strip.crop(0, width), *line_filters(self))
        return self._strip if y == 0 else Strip.blank(width, self.rich_style)

"""The command palette (Ctrl+P): a modal screen of an Input and a list, built from public Textual API.

Textual's own CommandPalette gathers its commands in a background worker
and closes through private methods, which a fast typist outran (a second
Enter ran a second command and popped the map, PageDown before the list was
laid out raised KeyError, a palette popped by a tour step before it mounted
raised IndexError, the worker outlived a closed palette). This one has its
commands in hand when it opens, filters them synchronously as the user
types, and closes once (SafeScreen): every gesture after that, or before
it has mounted, does nothing. tests/robustness/test_crash_sites.py holds a
reproducer of each of those crashes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from textual import events, on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from vaslayout.tui.widgets import SafeOptionList, SafeScreen


class CommandOptions(SafeOptionList, can_focus=False):
    """The palette's list: the Input keeps the focus, the palette's keys move the list."""


def matching(commands: Sequence[SystemCommand], query: str) -> list[tuple[SystemCommand, Content]]:
    """The commands whose title fuzzy-matches query, best first, with the matched letters highlighted.

    No query: every command, in its own order, unhighlighted.
    """
    query = query.strip()
    if not query:
        return [(c, Content(c.title)) for c in commands]
    matcher = Matcher(query, match_style="bold underline")
    scored = [(matcher.match(c.title), i, c) for i, c in enumerate(commands)]
    return [(c, matcher.highlight(c.title)) for score, _, c in sorted(scored, key=lambda s: (-s[0], s[1]))
            if score > 0]


class Palette(SafeScreen, ModalScreen[None]):
    """Type to filter, ↑ ↓ PgUp PgDn Home End to move, Enter or a click to run, Esc or the backdrop to close."""

    # priority: the Input has the focus, and its own home/end would take these keys
    BINDINGS = [
        Binding("escape", "close", "Close", show=False, priority=True),
        Binding("up", "move(-1)", show=False, priority=True),
        Binding("down", "move(1)", show=False, priority=True),
        Binding("pageup", "page(-1)", show=False, priority=True),
        Binding("pagedown", "page(1)", show=False, priority=True),
        Binding("home", "edge(-1)", show=False, priority=True),
        Binding("end", "edge(1)", show=False, priority=True),
    ]
    DEFAULT_CSS = """
    Palette { align-horizontal: center; background: $background 60%; }
    Palette:ansi { background: transparent; }
    Palette > Vertical {
        margin-top: 3; width: 90%; max-width: 110; height: auto;
        background: $surface; border: hkey $border;
    }
    Palette Input, Palette Input:focus { border: blank; background: transparent; }
    Palette CommandOptions { height: auto; max-height: 20; background: transparent; border: none; }
    Palette CommandOptions > .option-list--option { padding: 0 2; }
    """

    def __init__(self, commands: Iterable[SystemCommand]) -> None:
        super().__init__()
        self.commands = list(commands)
        self.shown: list[SystemCommand] = []  # the list's commands, in its order
        # held, not queried: keys and clicks may arrive before compose or after the screen has gone
        self.search = Input(placeholder="Search for commands…")
        self.options = CommandOptions()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield self.search
            yield self.options

    def on_mount(self) -> None:
        if self.dismissed:
            return  # popped (a tour step pops every screen above the map) before it mounted
        self.show(self.search.value)
        self.search.focus()

    def show(self, query: str) -> None:
        """The commands matching query, in the list; the best one highlighted."""
        found = matching(self.commands, query)
        self.shown = [c for c, _ in found]
        self.options.clear_options()
        self.options.add_options([Option(Content.assemble(title, "  ", (c.help, "dim"))) for c, title in found])
        self.options.highlighted = 0 if found else None

    def ready(self) -> bool:
        """Mounted and not yet closing: only then do keys and clicks act."""
        return not self.dismissed and self.options.is_mounted

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        if self.ready():
            self.show(event.value)

    @on(Input.Submitted)
    def _entered(self) -> None:
        self.run(self.options.highlighted)

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self.run(event.option_index)

    def on_click(self, event: events.Click) -> None:
        if event.widget is self:  # the dimmed backdrop, not the box
            self.action_close()

    def run(self, index: int | None) -> None:
        """Close, then run the command at index of the list: once, whatever else is queued."""
        if not self.ready() or index is None or not 0 <= index < len(self.shown):
            return
        callback: Callable[[], Any] = self.shown[index].callback
        self.dismiss()
        self.app.call_later(callback)  # after the pop: a command that opens a screen opens it over the map

    def action_close(self) -> None:
        if not self.dismissed:
            self.dismiss()

    def action_move(self, step: int) -> None:
        if self.ready() and self.options.option_count:
            now = self.options.highlighted
            moved = 0 if now is None else now + step
            self.options.highlighted = max(0, min(self.options.option_count - 1, moved))

    def action_page(self, direction: int) -> None:
        if self.ready():
            self.options.page(direction)

    def action_edge(self, direction: int) -> None:
        if self.ready() and self.options.option_count:
            self.options.highlighted = 0 if direction < 0 else self.options.option_count - 1


def is_open(app: Any) -> bool:
    """Whether a palette is on the stack (Ctrl+P in an open palette does not open a second)."""
    return any(isinstance(screen, Palette) for screen in app.screen_stack)

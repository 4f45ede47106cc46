"""The command palette the app opens: Textual's own, guarded against input faster than it opens and closes.

Each override names the Textual 8.2.8 behaviour it covers; all of them are
reproduced by tests/robustness/test_crash_sites.py (C3 to C7).
"""

from __future__ import annotations

from typing import Any

from textual import events, on
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.command import CommandList, CommandPalette
from textual.errors import NoWidget
from textual.message import Message
from textual.widgets import Button, Input, OptionList

from vaslayout.tui.widgets import page_ready


class Palette(CommandPalette):
    """CommandPalette that acts once: one selection, one dismissal, nothing after it has gone."""

    _dismissed = False

    def _gone(self) -> bool:
        """Closed, closing, or popped from the stack (a tour step pops every screen above the map)."""
        return self._dismissed or self not in self.app.screen_stack or not self.query(CommandList)

    def dismiss(self, result: Any = None) -> AwaitComplete:
        # C3/C4: a second Enter (_select_or_command) or a double click on the backdrop (_on_click)
        # dismissed twice, and the second pop took the map's own screen (ScreenStackError).
        if self._dismissed or not self.is_active:
            return AwaitComplete.nothing()
        self._dismissed = True
        self._stop_timers()
        return super().dismiss(result)

    def _stop_timers(self) -> None:
        self._stop_no_matches_countdown()
        self._stop_busy_countdown()

    def on_unmount(self) -> None:
        self._stop_timers()

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # the gathering worker, finishing after the palette closed, started a timer whose callback
        # queries the gone CommandList (NoMatches)
        if not self._gone():
            super()._start_no_matches_countdown(search_value)

    def _start_busy_countdown(self) -> None:
        if not self._gone():
            super()._start_busy_countdown()

    @on(Input.Submitted)
    @on(Button.Pressed)
    @on(OptionList.OptionSelected)
    def _once(self, event: Message) -> None:
        # C3: Textual's own handlers for these run the chosen command once per Enter in the queue and
        # dismiss again; a handler of a subclass runs first, and prevent_default keeps theirs from running.
        if self._gone():
            event.stop()
            event.prevent_default()

    def _select_or_command(self, event: Any = None) -> None:
        if not self._gone():  # reached from _select_command, after the list's selection
            super()._select_or_command(event)

    def _on_click(self, event: events.Click) -> None:  # type: ignore[override]
        # Textual's _on_click asks get_widget_at for the click's cell, which raises NoWidget for a cell
        # outside the screen (a click sent before a resize that shrank it). Such a click, or one on a
        # palette already closing, does nothing.
        try:
            self.get_widget_at(event.screen_x, event.screen_y)
        except NoWidget:
            event.prevent_default()
            return
        if self._gone():
            event.prevent_default()

    def _on_mount(self, event: events.Mount) -> None:
        # C6: Textual reads screen_stack[-2] on mount; a palette popped before it mounted (a tour step
        # pops every screen above the map) has none: IndexError. Its mount is moot, so none of it runs.
        if self not in self.app.screen_stack or len(self.app.screen_stack) < 2:
            event.prevent_default()

    def _watch__list_visible(self) -> None:
        # C7: the command-gathering worker outlives a palette closed at once (NoMatches 'CommandList').
        if not self._gone():
            super()._watch__list_visible()

    async def _watch__show_busy(self) -> None:
        if not self._gone():
            await super()._watch__show_busy()

    def _action_command_list(self, action: str) -> None:
        # C5: PageUp/PageDown before the list was laid out raised KeyError in OptionList._move_page.
        if self._gone():
            return
        if action in ("page_up", "page_down") and not page_ready(self.query_one(CommandList)):
            return
        super()._action_command_list(action)

    def _action_cursor_down(self) -> None:
        if not self._gone():
            super()._action_cursor_down()

    def _action_escape(self) -> None:
        if not self._gone():
            super()._action_escape()


def open_palette(app: App[Any]) -> None:
    """What App.action_command_palette does, with the guarded palette."""
    if app.use_command_palette and not CommandPalette.is_open(app):
        app.push_screen(Palette(id="--command-palette"))

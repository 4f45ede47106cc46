"""Small fixes on Textual's own widgets and screens, each made once for the whole app.

Events arrive faster than a screen opens or closes: a double Enter, a double
click, keys typed while a screen is still mounting, a terminal resized again
and again while a screen is busy drawing. These guards make the second of
two closing gestures a no-op instead of closing the screen below, and let a
screen lay out only at the terminal's current size.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.await_complete import AwaitComplete
from textual.screen import Screen
from textual.widgets import OptionList


class SafeOptionList(OptionList):
    """An OptionList whose PageUp/PageDown move `highlighted` through public API only.

    Textual 8.2.8's page keys look the highlighted option up in a line map
    that is built only when the list is laid out, so a page key before the
    first layout (a list just opened, a short terminal) raised KeyError. Here
    a page is the visible height in options (the lines of all options over
    their count gives the lines of one), clamped to the list; before the list
    has a height the keys do nothing.
    """

    DEFAULT_CSS = "SafeOptionList { min-height: 3; }"

    def page(self, direction: int) -> None:
        """Move the highlight one page up (-1) or down (1)."""
        height, count = self.scrollable_content_region.height, self.option_count
        if height <= 0 or not count:
            return
        lines = self.virtual_size.height
        step = max(1, height * count // lines) if lines > 0 else height
        start = self.highlighted if self.highlighted is not None else (count - 1 if direction > 0 else 0)
        self.highlighted = max(0, min(count - 1, start + direction * step))

    def action_page_up(self) -> None:
        self.page(-1)

    def action_page_down(self) -> None:
        self.page(1)


class SafeScreen:
    """A screen that closes once, only while it is on top, and lays out at the terminal's size only.

    Textual's Screen.dismiss pops whatever screen is on top, and a second
    selection queued behind the first (Enter Enter, a double click) dismisses
    again: it popped the map itself (ScreenStackError). Here the second call,
    or a call from a screen that is no longer the top one, does nothing.

    Textual 8.2.8 lays a screen out on every Resize it receives, and the layout
    posts the screen a Resize of its own new size (the screen is one of the
    widgets its layout resizes). With two or more different sizes queued at a
    screen (resizes arriving while it draws), each one handled changes the size
    and posts itself again behind the others: the screen lays out forever and
    starves everything else. A Resize whose size is no longer the terminal's
    is dropped here, so the queue drains to the latest size.
    """

    _dismissed = False
    # a mixin, not a Screen subclass: Textual's CSS and screen machinery see the screen's own bases only

    @property
    def dismissed(self) -> bool:
        """True once dismiss has run (or the screen left the stack): later gestures are ignored."""
        return self._dismissed or not self.is_active  # type: ignore[attr-defined]

    def dismiss(self, result: Any = None) -> AwaitComplete:
        if self.dismissed:
            return AwaitComplete.nothing()
        self._dismissed = True
        return super().dismiss(result)  # type: ignore[misc]

    def on_resize(self, event: events.Resize) -> None:
        # runs before Screen's own handler (this class is earlier in the MRO); prevent_default skips it
        size = event.size
        if size != self.app.size:  # type: ignore[attr-defined]
            event.prevent_default()
        elif size == self.outer_size and len(self.app.screen_stack) == 1:  # type: ignore[attr-defined]
            event.prevent_default()  # laid out at this size already, and no screen below to lay out too


class MapScreen(SafeScreen, Screen[None]):
    """The app's first screen, the map's, with the same guards as every other screen."""

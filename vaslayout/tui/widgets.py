"""Small fixes on Textual's own widgets and screens, each made once for the whole app.

Events arrive faster than a screen opens or closes: a double Enter, a double
click, keys typed while a screen is still mounting. These guards make the
second of two closing gestures a no-op instead of closing the screen below.
"""

from __future__ import annotations

from typing import Any

from textual.await_complete import AwaitComplete
from textual.widgets import OptionList


def page_ready(options: OptionList) -> bool:
    """Whether a PageUp/PageDown can move in this list now.

    Textual 8.2.8's OptionList looks the highlighted option up in a line map
    that is built only when the list is laid out, so a page key before the
    first layout (the palette's list, a short terminal) raises KeyError. The
    map's private name is read here, through getattr, and nowhere else.
    """
    lines = getattr(options, "_index_to_line", None)
    if not options.scrollable_content_region or not lines:
        return False
    return (options.highlighted or 0) in lines


class SafeOptionList(OptionList):
    """An OptionList whose PageUp/PageDown do nothing until it has been laid out (see page_ready).

    The guard sits on the public page actions, so it holds whatever the
    private helper behind them is called in a later Textual.
    """

    DEFAULT_CSS = "SafeOptionList { min-height: 3; }"

    def action_page_up(self) -> None:
        if page_ready(self):
            super().action_page_up()

    def action_page_down(self) -> None:
        if page_ready(self):
            super().action_page_down()


class DismissOnce:
    """A screen that closes once, and only while it is on top.

    Textual's Screen.dismiss pops whatever screen is on top, and a second
    selection queued behind the first (Enter Enter, a double click) dismisses
    again: it popped the map itself (ScreenStackError). Here the second call,
    or a call from a screen that is no longer the top one, does nothing.
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

"""Small fixes on Textual's own widgets."""

from __future__ import annotations

from textual.widgets import OptionList


class SafeOptionList(OptionList):
    """An OptionList whose PageUp/PageDown do nothing while it has no room.

    Textual 8.2.8's OptionList raises KeyError on a page move before it has
    laid out a single line (a terminal 10 rows high is enough). The guard
    sits on the public page actions, so it holds whatever the private
    helper behind them is called in a later Textual.
    """

    DEFAULT_CSS = "SafeOptionList { min-height: 3; }"

    def action_page_up(self) -> None:
        if self.scrollable_content_region:
            super().action_page_up()

    def action_page_down(self) -> None:
        if self.scrollable_content_region:
            super().action_page_down()

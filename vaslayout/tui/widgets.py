"""Small fixes on Textual's own widgets."""

from __future__ import annotations

from textual.widgets import OptionList


class SafeOptionList(OptionList):
    """An OptionList whose PageUp/PageDown do nothing while it has no room.

    Textual 8.2.8's OptionList raises KeyError on a page move before it has
    laid out a single line (a terminal 10 rows high is enough).
    """

    DEFAULT_CSS = "SafeOptionList { min-height: 3; }"

    def _move_page(self, direction) -> None:  # type: ignore[override]
        if not self.scrollable_content_region:
            return
        super()._move_page(direction)

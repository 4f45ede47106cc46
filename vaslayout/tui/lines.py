"""Lines a widget draws whole, handed to the screen past Textual's CSS pipeline.

Widget.render_lines sends each line through the styles of border, padding,
tint and opacity, each step a new Strip; for the map and the details card,
which have none of them and draw every line styled and at full width, that
cost twice the drawing. What they do need is what the app does to every
line: its line filters (NO_COLOR, ANSI colours). The lines on the screen
are kept finished; the lines drawn before are kept as drawn, and finished
again when they come back: a strip keeps what the screen made of it
(filtered, divided, its escape codes), which for a few screens of kept lines
was more memory than the lines. tests/tui/test_page_key.py holds both
widgets' lines equal to Textual's.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.color import Color
from textual.filter import LineFilter
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


def line_filters(widget: Widget) -> tuple[tuple[LineFilter, ...], Color]:
    """The app's filters for the widget's lines, and the background they blend with."""
    return tuple(widget.get_line_filters()), widget.background_colors[1]


def finished(strip: Strip, filters: Sequence[LineFilter], background: Color) -> Strip:
    """A drawn line as the screen gets it, a new strip (Strip.apply_filter would keep it in the drawn one)."""
    for line_filter in filters:
        strip = Strip(line_filter.apply(list(strip), background), strip.cell_length)
    return strip


def cropped(widget: Widget, strips: list[Strip], crop: Region) -> list[Strip]:
    """The finished lines for `crop`, as Widget.render_lines gives them."""
    x1, x2 = crop.column_span
    return strips if (x1, x2) == (0, widget.size.width) else [strip.crop(x1, x2) for strip in strips]

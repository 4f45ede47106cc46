"""Lines a widget draws whole, handed to the screen past Textual's CSS pipeline.

Widget.render_lines sends each line through the styles of border, padding,
tint and opacity, each step a new Strip; for the map and the details card,
which have none of them and draw every line styled and at full width, that
cost twice the drawing. What they do need is what the app does to every
line: its line filters (NO_COLOR, ANSI colours). tests/tui/test_page_key.py
holds both widgets' lines equal to Textual's.
"""

from __future__ import annotations

from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


def filtered(widget: Widget, strips: list[Strip], crop: Region) -> list[Strip]:
    """The widget's own lines for `crop`, as Widget.render_lines would give them."""
    background = widget.background_colors[1]
    for line_filter in widget.get_line_filters():
        strips = [strip.apply_filter(line_filter, background) for strip in strips]
    x1, x2 = crop.column_span
    return strips if (x1, x2) == (0, widget.size.width) else [strip.crop(x1, x2) for strip in strips]

"""A scrollbar repainted only when what it draws changes.

A page among 131,072 regions moves the thumb by a hundredth of a cell, but
Textual repaints a scrollbar whenever its position changes: 46 lines through
the whole widget pipeline, as much as the map's own new lines. The look is
asked of the bar's own renderer (`ScrollBar.renderer.render_bar`), so it is
Textual's arithmetic, whatever the version.
"""

from __future__ import annotations

from math import ceil

from textual.scrollbar import ScrollBar


def _look(bar: ScrollBar, virtual: float, window: float, position: float) -> list:
    """The segments the bar draws at these sizes (as ScrollBar.render hands them to its renderer)."""
    height, width = bar.size.height, bar.size.width
    window = window if window < virtual else 0
    drawn = bar.renderer.render_bar(size=height, virtual_size=ceil(virtual), window_size=ceil(window),
                                    position=position, thickness=width, vertical=bar.vertical)
    return drawn.segments


def set_bar(bar: ScrollBar, *, virtual: float | None = None, window: float | None = None,
            position: float | None = None) -> bool:
    """Set the bar's sizes and position; True if it repaints, which it does only if it looks different.

    The values are always stored (a drag starts from the true position);
    only the repaint is left out.
    """
    now = (bar.window_virtual_size, bar.window_size, bar.position)
    new = (now[0] if virtual is None else virtual, now[1] if window is None else window,
           now[2] if position is None else bar.validate_position(position))
    if new == now:
        return False
    if bar.size.height and _look(bar, *now) == _look(bar, *new):
        bar.set_reactive(ScrollBar.window_virtual_size, new[0])
        bar.set_reactive(ScrollBar.window_size, new[1])
        bar.set_reactive(ScrollBar.position, new[2])
        return False
    bar.window_virtual_size, bar.window_size, bar.position = new
    return True

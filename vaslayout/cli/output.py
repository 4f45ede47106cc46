"""Where a command's text goes and in which form: rich for a person at a terminal, plain lines otherwise.

rich lays out tables by measuring every cell (0.3 ms a row), so it is used
only for small output to a terminal; pipes, files and big outputs get plain
lines (vaslayout.plain) without styles or trailing spaces.
"""

from __future__ import annotations

import os
import re
import sys

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from typing import IO, Any

RICH_MAX_ROWS = 400  # above this many lines even a terminal gets plain lines
_TRAILING = re.compile(r"[ \t]+(?=\n)")


def interactive(stream: IO[str] | None = None) -> bool:
    """stdout (or `stream`) is a terminal a person reads."""
    stream = sys.stdout if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or not a real file
        return False


def terminal_width(stream: IO[str] | None = None) -> int | None:
    """The terminal's columns, or None when the output is not a terminal (no width limit then)."""
    if not interactive(stream):
        return None
    try:
        return os.get_terminal_size(stream.fileno() if stream is not None else sys.stdout.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return int(os.environ["COLUMNS"]) if os.environ.get("COLUMNS", "").isdigit() else 80


def use_rich(rows: int, stream: IO[str] | None = None) -> bool:
    """Styled output only for a person at a terminal, and only when it is small."""
    return interactive(stream) and rows <= RICH_MAX_ROWS


class Stripped:
    """A text stream that drops the spaces rich pads lines with, for output that is not a terminal."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(_TRAILING.sub("", text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self.stream, "encoding", "utf-8")


def console(file: IO[str] | None = None) -> Any:
    """A rich Console: the terminal's, or one for a pipe that neither wraps nor pads lines."""
    from rich.console import Console

    stream = sys.stdout if file is None else file
    if interactive(stream):
        return Console(file=stream, highlight=False)
    width = int(os.environ["COLUMNS"]) if os.environ.get("COLUMNS", "").isdigit() else 1000
    return Console(file=Stripped(stream), highlight=False, width=width, no_color=True, soft_wrap=False)


def write_lines(lines: list[str] | tuple[str, ...], stream: IO[str] | None = None) -> None:
    (sys.stdout if stream is None else stream).write("\n".join(lines) + "\n" if lines else "")

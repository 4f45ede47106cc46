"""Where a layout's text was written, and the error that names it: no YAML needed to raise or catch one.

Kept apart from yamldoc so that code which only catches a LayoutError (the
TUI, the session, sources) does not import the YAML parser at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from vaslayout.errors import UserError


@dataclass(frozen=True)
class Pos:
    file: str
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def shifted(self, column_offset: int) -> Pos:
        return replace(self, column=self.column + column_offset)


class LayoutError(UserError, ValueError):
    """A user error in a layout file or in params; str() is the one line to print."""

    def __init__(self, message: str, pos: Pos | str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos

    def __str__(self) -> str:
        return f"{self.pos}: {self.message}" if self.pos else self.message

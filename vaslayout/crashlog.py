"""A crash (a bug, not a user error) leaves its traceback in a file and one line on the terminal.

The file goes to the state directory (crash-YYYYmmdd-HHMMSS-PID.log), so a
student can hand it in and the terminal is not flooded with a traceback
and its locals. If even that cannot be written, the traceback goes to
stderr as a last resort.
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path
from typing import Any

EXIT_CRASH = 70  # EX_SOFTWARE (sysexits.h): an internal error


def write_crash_log(text: str) -> Path | None:
    """The path of the new log holding text, or None when the state directory cannot take it."""
    from vaslayout.state import state_dir

    folder = state_dir()
    path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as f:
            f.write(text)
    except OSError:
        return None
    return path


def report_crash(text: str) -> int:
    """Log text, say where in one line on stderr, and give the exit status of a crash."""
    path = write_crash_log(text)
    if path is None:
        sys.stderr.write(text)
        print("vaslayout: crashed (a bug); the traceback is above", file=sys.stderr)
    else:
        print(f"vaslayout: crashed (a bug); the traceback is in {path}", file=sys.stderr)
    return EXIT_CRASH


def capture_app_errors(app: Any) -> io.StringIO:
    """Textual prints an unhandled exception's traceback to app.error_console when the app exits:
    send it to a buffer instead (plain text, no colours) for the crash log."""
    from rich.console import Console

    buffer = io.StringIO()
    app.error_console = Console(file=buffer, width=120, color_system=None, markup=False, highlight=False)
    return buffer


def app_exit_status(app: Any, buffer: io.StringIO) -> int:
    """0 for a normal exit; a crash is logged and gives EXIT_CRASH."""
    text = buffer.getvalue()
    if app.return_code in (0, None) and not text:
        return 0
    return report_crash(text or f"the app exited with status {app.return_code} and no traceback\n")

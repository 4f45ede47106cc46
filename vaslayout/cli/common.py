"""Shared pieces of the commands: --set parsing, output, the layout or process a command is given."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Sequence

from vaslayout.errors import UserError

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from typing import Any

EXIT_USER_ERROR = 2


class UsageError(UserError, ValueError):
    """A bad command-line value; str() is the one line to print."""


def parse_sets(items: Sequence[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UsageError(f"--set {item!r}: expected NAME=VALUE, e.g. --set ram=4G")
        out[name.strip()] = value.strip()
    return out


def _console(file=None):
    """rich for a terminal; for a pipe, lines that are neither wrapped nor padded (cli.output)."""
    from vaslayout.cli.output import console

    out = console(file)
    out.on_broken_pipe = _closed_pipe  # type: ignore[method-assign]  # rich's own exits 1
    return out


def _closed_pipe() -> None:
    """rich calls this when stdout's reader has gone: main() ends quietly, as a pipe writer does."""
    raise BrokenPipeError(errno.EPIPE, "the reader of the output has gone")


def _dump(data: Any, indent: int | None = None) -> None:
    """A command's JSON: compact unless --indent, every address also as a hex string (vaslayout.jsonout)."""
    from vaslayout import jsonout

    jsonout.dump(data, sys.stdout, indent)


def add_indent(p: argparse.ArgumentParser) -> None:
    """--indent N for commands that print JSON: compact (one line) by default."""
    p.add_argument("--indent", type=_indent, metavar="N", help="--json: indent by N spaces (default: compact)")


def _indent(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 16:
        raise argparse.ArgumentTypeError(f"{text!r}: expected 0..16 spaces")
    return int(text)


def load_target(args: argparse.Namespace):
    """LAYOUT (a built-in id or a file) or --pid: the layout to show, and the pid if live."""
    overrides = parse_sets(args.set)
    pid_spec = getattr(args, "pid", None)
    capture_path = getattr(args, "capture", None)
    if capture_path is not None:
        if args.layout or pid_spec is not None:
            raise UsageError("give a LAYOUT, --pid or --capture, not two of them")
        from vaslayout.proc.captured import CaptureSource

        args.capture_source = CaptureSource(capture_path)
        return args.capture_source.layout(overrides), None
    if pid_spec is not None:
        if args.layout:
            raise UsageError("give a LAYOUT or --pid, not both")
        from vaslayout import proc
        from vaslayout.proc import live

        pid, maps, info = _read_live(pid_spec)
        return live.process_layout(pid, info, maps, proc.comm(pid), overrides), pid
    if not args.layout:
        raise UsageError("give a LAYOUT (see 'vaslayout list') or --pid PID")
    from vaslayout.catalog import load

    return load(args.layout, overrides), None


def _read_live(pid_spec: str):
    from vaslayout import proc

    pid = proc.resolve_pid(pid_spec)
    maps = proc.read_maps(pid, started=proc.start_time(pid))
    return pid, maps, proc.detect(mappings=maps)


def _size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit() or not (20 <= int(w) <= 400 and 5 <= int(h) <= 200):
        raise UsageError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 120x40")
    return int(w), int(h)


def complete_layout(prefix: str, **_: Any) -> list[str]:
    """Tab completion of LAYOUT: the built-in ids and YAML files (only run under argcomplete)."""
    from argcomplete.completers import FilesCompleter

    from vaslayout.catalog import builtin_ids

    files = FilesCompleter(allowednames=("yaml", "yml"))(prefix)
    return [i for i in builtin_ids() if i.startswith(prefix)] + list(files)


def with_layout(p: argparse.ArgumentParser, pid: bool = True) -> None:
    """LAYOUT (a built-in id or a file), --set, and --pid where a live process will do."""
    action = p.add_argument("layout", metavar="LAYOUT", nargs=None if not pid else "?",
                            help="a built-in layout id or a YAML file")
    action.completer = complete_layout  # type: ignore[attr-defined]  # read by argcomplete
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a param (repeatable)")
    if pid:
        p.add_argument("--pid", metavar="PID",
                       help="a live process instead of a layout: a pid, 'self', or a command name")
        add_capture(p)


def require_terminal(command: str) -> None:
    """The map needs a terminal on stdin and stdout: without one it would wait for keys that never come.

    Called just before an App starts, once the command's input has been
    checked (a bad file is reported as such, terminal or not); an app served
    to a browser runs on Textual's web driver (TEXTUAL_DRIVER), not a terminal.
    """
    if os.environ.get("TEXTUAL_DRIVER") or (sys.stdin.isatty() and sys.stdout.isatty()):
        return
    what = "standard input" if not sys.stdin.isatty() else "standard output"
    view, hint = {
        "quiz": ("the quiz", "'vaslayout quiz LAYOUT --print' prints it"),
        "demo": ("the demo", "'vaslayout demo malloc --print' prints it"),
        "tour": ("the tour", "'vaslayout tour --list' lists the tours"),
        "compare": ("the compare view", "for plain text try 'vaslayout diff A B'"),
    }.get(command, ("the map", "for plain text try 'vaslayout show LAYOUT'"))
    raise UsageError(f"{view} needs a terminal, and {what} is not one; {hint}")


def add_capture(p: argparse.ArgumentParser) -> None:
    """--capture: a capture (vaslayout capture) instead of the running system."""
    p.add_argument("--capture", metavar="FILE|DIR",
                   help="the kernel of a capture (a tar.gz from 'vaslayout capture', or its unpacked directory)")

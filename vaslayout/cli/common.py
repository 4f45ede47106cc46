"""Shared pieces of the commands: --set parsing, output, the layout or process a command is given."""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from vaslayout.errors import UserError

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
    from rich.console import Console

    console = Console(file=file, highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(file=file, highlight=False, width=200)  # piped: do not wrap at 80
    console.on_broken_pipe = _closed_pipe  # type: ignore[method-assign]  # rich's own exits 1
    return console


def _closed_pipe() -> None:
    """rich calls this when stdout's reader has gone: main() ends quietly, as a pipe writer does."""
    raise BrokenPipeError(errno.EPIPE, "the reader of the output has gone")


def _dump(data: Any, compact: bool = False) -> None:
    """Indented JSON for people; compact for big outputs, where only the C encoder is quick."""
    sys.stdout.write((json.dumps(data, separators=(",", ":")) if compact else json.dumps(data, indent=2)) + "\n")


def load_target(args: argparse.Namespace):
    """LAYOUT (a built-in id or a file) or --pid: the layout to show, and the pid if live."""
    overrides = parse_sets(args.set)
    pid_spec = getattr(args, "pid", None)
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


def with_layout(p: argparse.ArgumentParser, pid: bool = True) -> None:
    """LAYOUT (a built-in id or a file), --set, and --pid where a live process will do."""
    p.add_argument("layout", metavar="LAYOUT", nargs=None if not pid else "?",
                   help="a built-in layout id or a YAML file")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a param (repeatable)")
    if pid:
        p.add_argument("--pid", metavar="PID",
                       help="a live process instead of a layout: a pid, 'self', or a command name")

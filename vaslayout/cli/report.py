"""`vaslayout explain`: a crash report in, every address in it explained."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vaslayout.cli.common import _dump, parse_sets

READ_LIMIT = 64 << 20  # bytes read from a file or stdin (the rest is ignored and said so)


def _read(name: str) -> str:
    """The report's text: a file or stdin ("-"), as UTF-8 with bad bytes replaced."""
    from vaslayout.errors import shortened
    from vaslayout.report import ReportError

    try:
        if name == "-":
            if sys.stdin.isatty():
                print("vaslayout: paste the report, then Ctrl-D", file=sys.stderr)
            data = sys.stdin.buffer.read(READ_LIMIT + 1)
        else:
            with open(name, "rb") as f:
                data = f.read(READ_LIMIT + 1)
    except (OSError, ValueError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise ReportError(f"{shortened(name, 80)}: cannot read: {why}") from None
    return data[:READ_LIMIT].decode("utf-8", errors="replace")


def _capture(path: str) -> tuple[str, dict[str, str]]:
    """The built-in layout and params a capture of the machine gives: its paging mode, KASLR bases
    (from kcore, as root), kernel image and module area (proc/resolve.py)."""
    from vaslayout.proc.captured import CaptureSource

    choice = CaptureSource(path).choice
    return choice.layout_id, dict(choice.overrides)


def _explain(args: argparse.Namespace, file: str):
    from vaslayout.report import explain_text, layout_loader

    name = "stdin" if file == "-" else file
    sets = parse_sets(args.set)
    layout = args.layout
    if getattr(args, "capture", None):
        captured, overrides = _capture(args.capture)
        layout = layout or captured
        sets = {**overrides, **sets}
    return explain_text(_read(file), layout_loader(), name=name, layout=layout, sets=sets or None), name


def open_report(args: argparse.Namespace) -> int:
    """`open --report FILE`: the map steps through the report's addresses (n / p), captioned."""
    if getattr(args, "pid", None) is not None:
        from vaslayout.cli.common import UsageError

        raise UsageError("give --report or --pid, not both")
    from vaslayout.cli.interactive import run_session
    from vaslayout.report.tour import report_tour
    from vaslayout.session import Opening, Session
    from vaslayout.teach.tours import validate_tour

    explanation, name = _explain(args, args.report)
    tour = report_tour(explanation, name)
    validate_tour(tour)  # every stop resolves before the screen opens
    return run_session(Session.for_tour(tour, 0, opening=Opening(present=args.present)))


def cmd_explain(args: argparse.Namespace) -> int:
    from vaslayout.report import to_json

    explanation, name = _explain(args, args.file)
    if args.json:
        _dump(to_json(explanation, name))
        return 0
    from vaslayout.report.text import render

    out = sys.stdout
    for line in render(explanation):
        out.write(line + "\n")
    return 0


def add_parsers(sub: Any) -> None:
    """Register this module's commands."""
    p = sub.add_parser("explain", help="explain every address in a kernel crash report (oops, #GP, page fault)")
    p.add_argument("file", nargs="?", default="-", metavar="FILE",
                   help="the report or log (default: - , standard input)")
    p.add_argument("--layout", help="use this layout (built-in id or file) instead of the one the evidence picks")
    p.add_argument("--capture", metavar="DIR", help="a capture of the crashed machine: its layout and bases")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a layout param (repeatable)")
    p.add_argument("--json", action="store_true", help="one object per oops: layout, evidence, bases, addresses")
    p.set_defaults(func=cmd_explain)




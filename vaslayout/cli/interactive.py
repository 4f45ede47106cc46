"""Commands that open the map: open, compare, tour, quiz, screenshot, serve."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vaslayout.cli.common import (
    UsageError,
    _size,
    parse_sets,
    with_layout,
)


def open_session(args: argparse.Namespace, **options):
    """LAYOUT (a built-in id or a file) or --pid as a Session; errors surface before a screen opens."""
    from vaslayout.session import Session

    overrides = parse_sets(args.set)
    if getattr(args, "pid", None) is None:
        if not args.layout:
            raise UsageError("give a LAYOUT (see 'vaslayout list') or --pid PID")
        return Session.for_layout(args.layout, overrides, **options)
    if args.layout:
        raise UsageError("give a LAYOUT or --pid, not both")
    from vaslayout import proc
    from vaslayout.sources import LiveSource

    return Session(LiveSource(proc.resolve_pid(args.pid)), overrides, **options)


def run_session(session) -> None:
    """The one App, drawing whatever session the command built."""
    from vaslayout.tui.app import VasLayoutApp

    VasLayoutApp(session).run()


def cmd_open(args: argparse.Namespace) -> int:
    from vaslayout.session import Opening

    run_session(open_session(args, opening=Opening(present=args.present)))
    return 0


def cmd_quiz(args: argparse.Namespace) -> int:
    from vaslayout.session import Opening
    from vaslayout.teach.quiz import make_quiz, to_markdown

    if not 1 <= args.count <= 200:
        raise UsageError(f"--count {args.count}: expected 1..200")
    session = open_session(args)
    layout = session.layout
    questions = make_quiz(layout, args.seed, args.count)
    if args.print:
        sys.stdout.write(to_markdown(layout, questions))
        return 0
    session.opening = Opening(quiz=(questions, f"Quiz on {layout.id} (seed {args.seed})"))
    run_session(session)
    return 0


def _tour(name: str, step: int):
    """A tour checked whole (a broken step is reported now, not in front of the class)."""
    from vaslayout.teach import tours

    tour = tours.load_tour(name)
    tours.validate_tour(tour)
    if not 1 <= step <= len(tour.steps):
        raise UsageError(f"--step {step}: {tour.id} has steps 1..{len(tour.steps)}")
    return tour


def cmd_tour(args: argparse.Namespace) -> int:
    from vaslayout.session import Opening, Session

    if args.list:
        from vaslayout.teach import tours

        for tid in tours.builtin_tours():
            t = tours.load_tour(tid)
            print(f"{tid:<20} {len(t.steps):>2} steps  {t.title}")
        return 0
    if not args.tour:
        raise UsageError("give a tour (see 'vaslayout tour --list') or a tour file")
    tour = _tour(args.tour, args.step)
    live, pid = None, None
    if args.pid is not None:
        from vaslayout import proc
        from vaslayout.sources import LiveSource

        pid = proc.resolve_pid(args.pid)
        live = LiveSource(pid).load({})
    run_session(Session.for_tour(tour, args.step - 1, live, pid, opening=Opening(present=args.present)))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from vaslayout.session import Opening, Session
    from vaslayout.tui.compare import load_all

    load_all(args.layouts)  # errors surface before the screen opens
    run_session(Session.for_layout(args.layouts[0], opening=Opening(compare=args.layouts)))
    return 0


def cmd_screenshot(args: argparse.Namespace) -> int:
    from pathlib import Path

    from vaslayout.core.translate import layout_names, parse_address
    from vaslayout.session import Opening, Session

    size = _size(args.size)
    session = open_session(args)
    if args.lookup:
        parse_address(args.lookup, session.layout.address_bits, names=layout_names(session.layout))
    compare = None
    if args.compare:
        from vaslayout.tui.compare import load_all

        compare = [args.layout, *args.compare]
        load_all(compare)
    if args.tour:
        session = Session.for_tour(_tour(args.tour, args.step), args.step - 1)
    quiz = None
    if args.quiz is not None:
        from vaslayout.teach.quiz import make_quiz

        quiz = (make_quiz(session.layout, args.quiz, 5), f"Quiz on {session.layout.id} (seed {args.quiz})")
    session.opening = Opening(quiz=quiz, present=args.present)
    from vaslayout.tui.screenshot import screenshot

    print(screenshot(session, Path(args.output), size, args.lookup, compare, args.keys))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """The map in web browsers, through textual-serve: each visitor gets their own app."""
    import shlex

    overrides = parse_sets(args.set)
    if args.layout:
        from vaslayout.catalog import load

        load(args.layout, overrides)  # a bad layout is reported here, not in every browser tab
    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: expected 1..65535")
    command = [sys.executable, "-m", "vaslayout", "open", args.layout or "x86_64-4level"]
    for name, value in overrides.items():
        command += ["--set", f"{name}={value}"]
    if args.present:
        command.append("--present")
    from textual_serve.server import Server

    url = f"http://{args.host}:{args.port}"
    print(f"vaslayout: serving the map at {url} (Ctrl+C stops)", flush=True)
    Server(shlex.join(command), host=args.host, port=args.port, title="vaslayout", public_url=url).serve()
    return 0


def add_parsers(sub: Any) -> None:
    """Register this module's commands."""
    p = sub.add_parser("open", help="open the interactive map")
    with_layout(p)
    p.add_argument("--present", action="store_true", help="presenter mode: big, high contrast, no footer")
    p.set_defaults(func=cmd_open)

    p = sub.add_parser("compare", help="two or three layouts side by side")
    p.add_argument("layouts", nargs="+", metavar="LAYOUT")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("tour", help="play a guided tour (n / p step through it)")
    p.add_argument("tour", metavar="NAME|FILE", nargs="?")
    p.add_argument("--list", action="store_true", help="the built-in tours")
    p.add_argument("--pid", metavar="PID", help="play the process steps on this live process")
    p.add_argument("--step", type=int, default=1, help="start at this step")
    p.add_argument("--present", action="store_true", help="presenter mode")
    p.set_defaults(func=cmd_tour)

    p = sub.add_parser("quiz", help="a multiple-choice quiz on a layout (--print: a handout with answers)")
    with_layout(p, pid=False)
    p.add_argument("--seed", type=int, default=1, help="the same seed gives the same quiz")
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--print", action="store_true", help="Markdown questions and an answer key, for paper")
    p.set_defaults(func=cmd_quiz)

    p = sub.add_parser("screenshot", help="save an SVG of the interactive map")
    with_layout(p, pid=False)
    p.add_argument("-o", "--output", required=True, metavar="FILE.svg")
    p.add_argument("--size", default="120x40", metavar="WxH")
    p.add_argument("--lookup", metavar="ADDR", help="look this address up first")
    p.add_argument("--compare", nargs="+", metavar="LAYOUT", help="show a compare view with these layouts")
    p.add_argument("--keys", nargs="+", default=[], metavar="KEY", help="press these keys first (e.g. enter s)")
    p.add_argument("--tour", metavar="NAME|FILE", help="show a tour's step (with --step)")
    p.add_argument("--step", type=int, default=1)
    p.add_argument("--quiz", type=int, metavar="SEED", help="show the first question of a quiz")
    p.add_argument("--present", action="store_true", help="presenter mode")
    p.set_defaults(func=cmd_screenshot)

    p = sub.add_parser("serve", help="serve the map to web browsers (textual-serve)")
    p.add_argument("layout", metavar="LAYOUT", nargs="?", help="the layout to open (default x86_64-4level)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a param (repeatable)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--present", action="store_true", help="open in presenter mode")
    p.set_defaults(func=cmd_serve)

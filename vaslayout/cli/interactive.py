"""Commands that open the map: open, compare, tour, quiz, screenshot, serve."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from typing import Any

from vaslayout.cli.common import (
    UsageError,
    _size,
    load_target,
    parse_sets,
    with_layout,
)


def has_terminal() -> bool:
    """Both ends are a terminal, or Textual was given a driver of its own (textual-serve's web driver)."""
    if os.environ.get("TEXTUAL_DRIVER"):
        return True
    return sys.stdin.isatty() and sys.stdout.isatty()


def run_app(app) -> int:
    """Run an app whose start-up ran with the collector paused (a tenth of the time to the first frame).

    The exit status: 0, or the crash status once the traceback is in a log file (vaslayout.crashlog).
    """
    from vaslayout.crashlog import app_exit_status, capture_app_errors

    if not has_terminal():  # Textual would wait for a terminal that never comes
        raise UsageError("the interactive map needs a terminal (stdin and stdout); "
                         "for plain output use 'vaslayout show LAYOUT'")
    app.collect_after_start = not gc.isenabled()
    errors = capture_app_errors(app)
    app.run()
    return app_exit_status(app, errors)


def cmd_open(args: argparse.Namespace) -> int:
    layout, pid = load_target(args)  # errors surface before the screen opens
    from vaslayout.tui.app import VasLayoutApp

    name = args.layout or f"pid-{pid}"
    return run_app(VasLayoutApp(layout_name=name, overrides=parse_sets(args.set), initial=layout, pid=pid,
                         present=args.present))


def cmd_quiz(args: argparse.Namespace) -> int:
    from vaslayout.catalog import load
    from vaslayout.teach.quiz import make_quiz, to_markdown

    if not 1 <= args.count <= 200:
        raise UsageError(f"--count {args.count}: expected 1..200")
    layout = load(args.layout, parse_sets(args.set))
    questions = make_quiz(layout, args.seed, args.count)
    if args.print:
        sys.stdout.write(to_markdown(layout, questions))
        return 0
    from vaslayout.tui.app import VasLayoutApp

    return run_app(VasLayoutApp(layout_name=args.layout, overrides=parse_sets(args.set), initial=layout,
                         quiz=(questions, f"Quiz on {layout.id} (seed {args.seed})")))


def cmd_tour(args: argparse.Namespace) -> int:
    from vaslayout.teach import tours

    if args.list:
        for tid in tours.builtin_tours():
            t = tours.load_tour(tid)
            print(f"{tid:<20} {len(t.steps):>2} steps  {t.title}")
        return 0
    if not args.tour:
        raise UsageError("give a tour (see 'vaslayout tour --list') or a tour file")
    tour = tours.load_tour(args.tour)
    tours.validate_tour(tour)  # a broken step is reported now, not in front of the class
    if not 1 <= args.step <= len(tour.steps):
        raise UsageError(f"--step {args.step}: {tour.id} has steps 1..{len(tour.steps)}")
    live, pid = None, None
    if args.pid is not None:
        from vaslayout import proc
        from vaslayout.proc import live as live_mod

        pid = proc.resolve_pid(args.pid)
        maps = proc.read_maps(pid)
        live = live_mod.process_layout(pid, proc.detect(mappings=maps), maps, proc.comm(pid))
    from vaslayout.teach.tours import step_view
    from vaslayout.tui.app import VasLayoutApp

    first = step_view(tour.steps[args.step - 1], live).layout
    return run_app(VasLayoutApp(layout_name=tour.steps[0].layout, initial=first, pid=pid, present=args.present,
                         tour=tour, tour_live=live, tour_step=args.step - 1))


def cmd_compare(args: argparse.Namespace) -> int:
    from vaslayout.tui.compare import load_all

    layouts = load_all(args.layouts)  # errors surface before the screen opens
    from vaslayout.tui.app import VasLayoutApp

    return run_app(VasLayoutApp(layout_name=args.layouts[0], initial=layouts[0], compare=args.layouts))


def cmd_screenshot(args: argparse.Namespace) -> int:
    from pathlib import Path

    from vaslayout.catalog import load
    from vaslayout.core.translate import layout_names, parse_address

    overrides = parse_sets(args.set)
    layout = load(args.layout, overrides)
    size = _size(args.size)
    if args.lookup:
        parse_address(args.lookup, layout.address_bits, names=layout_names(layout))
    compare = None
    if args.compare:
        from vaslayout.tui.compare import load_all

        compare = [args.layout, *args.compare]
        load_all(compare)
    options: dict[str, Any] = {"present": args.present}
    if args.tour:
        from vaslayout.teach import tours

        tour = tours.load_tour(args.tour)
        tours.validate_tour(tour)
        if not 1 <= args.step <= len(tour.steps):
            raise UsageError(f"--step {args.step}: {tour.id} has steps 1..{len(tour.steps)}")
        options.update(tour=tour, tour_step=args.step - 1)
        layout = tours.step_view(tour.steps[args.step - 1]).layout
    if args.quiz is not None:
        from vaslayout.teach.quiz import make_quiz

        options["quiz"] = (make_quiz(layout, args.quiz, 5), f"Quiz on {layout.id} (seed {args.quiz})")
    from vaslayout.tui.screenshot import screenshot

    out = screenshot(args.layout, layout, overrides, Path(args.output), size, args.lookup, compare, args.keys,
                     **options)
    print(out)
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

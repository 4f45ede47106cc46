"""Commands that open the map: open, compare, tour, quiz, screenshot (serve: cli/serve.py)."""

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
    """LAYOUT (a built-in id or a file), --pid or --capture as a Session; errors surface before a screen opens."""
    from vaslayout.session import Session

    overrides = parse_sets(args.set)
    if getattr(args, "capture", None) is not None:
        if args.layout or getattr(args, "pid", None) is not None:
            raise UsageError("give a LAYOUT, --pid or --capture, not two of them")
        from vaslayout.sources import CaptureLayoutSource

        return Session(CaptureLayoutSource(args.capture), overrides, **options)
    if getattr(args, "pid", None) is None:
        if not args.layout:
            raise UsageError("give a LAYOUT (see 'vaslayout list') or --pid PID")
        return Session.for_layout(args.layout, overrides, **options)
    if args.layout:
        raise UsageError("give a LAYOUT or --pid, not both")
    from vaslayout import proc
    from vaslayout.sources import LiveSource

    return Session(LiveSource(proc.resolve_pid(args.pid)), overrides, **options)


def run_app(app) -> int:
    """Run an App. The exit status: 0, or the crash status once the traceback is in a log file
    (vaslayout.crashlog)."""
    from vaslayout.crashlog import app_exit_status, capture_app_errors

    errors = capture_app_errors(app)
    exit_when_terminal_goes(app)
    app.run()
    return app_exit_status(app, errors)


HANGUP_STATUS = 129  # 128 + SIGHUP, the shell's convention


def exit_when_terminal_goes(app, fd: int = 0, grace: float = 5.0) -> None:
    """End the App when its terminal hangs up (pty closed, SIGHUP).

    Textual 8.2.8's linux driver treats an empty read of stdin as "piped"
    and keeps selecting, so a closed pty leaves the app spinning for ever;
    nothing in it handles SIGHUP either. A daemon thread watches the
    terminal for POLLHUP (poll with no events asked reads nothing) and a
    SIGHUP handler wakes it; the App is asked to exit, and the process ends
    by itself if the App cannot answer within `grace` seconds.
    """
    import contextlib
    import os
    import select
    import signal
    import threading

    hung_up = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGHUP, lambda *_: hung_up.set())

    def watch() -> None:
        poller = select.poll()
        try:
            poller.register(fd, 0)  # POLLHUP, POLLERR and POLLNVAL are always reported
        except (OSError, ValueError):
            return
        while not hung_up.is_set():
            try:
                if any(mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, mask in poller.poll(500)):
                    hung_up.set()
            except OSError:
                hung_up.set()
        with contextlib.suppress(Exception):  # the App has already stopped, or never started
            app.call_from_thread(app.exit)  # not a crash: nobody is left to read a status
        threading.Event().wait(grace)
        os._exit(HANGUP_STATUS)

    if os.isatty(fd):
        threading.Thread(target=watch, name="terminal-hangup", daemon=True).start()


def run_session(session, channel=None, command: str = "open") -> int:
    """The one App, drawing whatever session the command built; it needs a terminal."""
    from vaslayout.cli.common import require_terminal
    from vaslayout.tui.app import VasLayoutApp

    require_terminal(command)
    return run_app(VasLayoutApp(session, channel=channel))


def cmd_open(args: argparse.Namespace) -> int:
    from vaslayout.session import Opening

    if getattr(args, "report", None):
        from vaslayout.cli.report import open_report

        return open_report(args)
    channel = _channel(args)
    return run_session(open_session(args, opening=Opening(present=args.present)), channel)


def _channel(args: argparse.Namespace):
    """open --share / --follow: the view file a teacher's map writes and a class's maps read (tui/follow.py)."""
    from pathlib import Path

    if args.share and getattr(args, "follow", None):
        raise UsageError("--share or --follow, not both")
    if args.share:
        from vaslayout.tui.follow import default_channel

        return "share", Path(args.share) if args.share != "-" else default_channel()
    if getattr(args, "follow", None):
        return "follow", Path(args.follow)
    return None


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
    return run_session(session, _channel(args), command="quiz")


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

        ids = tours.builtin_tours()
        width = max(map(len, ids), default=0) + 2
        for tid in ids:
            t = tours.load_tour(tid)
            print(f"{tid:<{width}}{len(t.steps):>2} steps  {t.title}")
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
    session = Session.for_tour(tour, args.step - 1, live, pid, opening=Opening(present=args.present))
    return run_session(session, _channel(args), command="tour")


def cmd_compare(args: argparse.Namespace) -> int:
    from vaslayout.session import Opening, Session
    from vaslayout.tui.compare import load_all

    load_all(args.layouts)  # errors surface before the screen opens
    session = Session.for_layout(args.layouts[0], opening=Opening(compare=args.layouts))
    return run_session(session, command="compare")


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



def add_parsers(sub: Any) -> None:
    """Register this module's commands."""
    p = sub.add_parser("open", help="open the interactive map")
    with_layout(p)
    p.add_argument("--present", action="store_true", help="presenter mode: big, high contrast, no footer")
    p.add_argument("--report", metavar="FILE", help="a crash report: step through its addresses with n / p")
    p.add_argument("--share", nargs="?", const="-", metavar="FILE",
                   help="publish this map's view for 'vaslayout serve --follow' (default: in the state directory)")
    p.add_argument("--follow", metavar="FILE", help="follow the view another map shares in FILE (F: explore alone)")
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
    p.add_argument("--share", nargs="?", const="-", metavar="FILE",
                   help="publish this map's view for 'vaslayout serve --follow' (default: in the state directory)")
    p.set_defaults(func=cmd_tour)

    p = sub.add_parser("quiz", help="a multiple-choice quiz on a layout (--print: a handout with answers)")
    with_layout(p, pid=False)
    p.add_argument("--seed", type=int, default=1, help="the same seed gives the same quiz")
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--print", action="store_true", help="Markdown questions and an answer key, for paper")
    p.add_argument("--share", nargs="?", const="-", metavar="FILE",
                   help="publish this map's view for 'vaslayout serve --follow' (default: in the state directory)")
    p.set_defaults(func=cmd_quiz)

    p = sub.add_parser("screenshot", help="save an SVG of the interactive map")
    with_layout(p)  # a layout, or the map of a live process (--pid) or a capture
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


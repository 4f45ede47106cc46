"""`vaslayout serve`: the map in web browsers, one app process per visitor, behind a token.

This module is the command (its options, checks and one-line errors) and
imports little, as every command's start-up imports it; the server itself
is in map_server.py, loaded only when serving. What the server guarantees
is said there.
"""

from __future__ import annotations

import argparse
import errno
import sys
from typing import Any

from vaslayout.cli.common import complete_layout, parse_sets
from vaslayout.errors import UserError

MAX_COLS, MAX_ROWS = 400, 200  # as `screenshot --size`: a 3000x1500 terminal made a 40 MB first frame
MAX_MESSAGE = 64 * 1024  # a key press or a resize is a few bytes; a paste is at most this
DEFAULT_SESSIONS = 8  # each app process is ~40-150 MB
WILDCARDS = ("0.0.0.0", "::", "")
MISSING_EXTRA = ("serve needs the web extra, which is not installed: "
                 "pip install 'vaslayout[serve]' (into the environment vaslayout runs from)")


class ServeError(UserError):
    """A bad --host/--port or a bind that failed: one line."""


def add_parsers(sub: Any) -> None:
    """The `serve` sub-command."""
    p = sub.add_parser("serve", help="serve the map to web browsers (needs the 'serve' extra)")
    p.add_argument("layout", metavar="LAYOUT", nargs="?",
                   help="the layout to open (default x86_64-4level)").completer = complete_layout  # type: ignore

    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a param (repeatable)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 or :: for a class)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--max-sessions", type=int, default=DEFAULT_SESSIONS, metavar="N",
                   help=f"at most N browsers at once, each its own app (default {DEFAULT_SESSIONS})")
    p.add_argument("--present", action="store_true", help="open in presenter mode")
    p.add_argument("--follow", nargs="?", const="-", metavar="FILE",
                   help="every browser follows the map of 'vaslayout open --share' (read-only; F explores alone)")
    p.set_defaults(func=cmd_serve)


def clamp_size(width: Any, height: Any) -> tuple[int, int]:
    """A terminal size a browser asked for, within 1..400 x 1..200 (80x24 when it is not a number)."""
    def number(value: Any, default: int, most: int) -> int:
        try:
            n = int(value)
        except (TypeError, ValueError):
            return default
        return min(max(n, 1), most)

    return number(width, 80, MAX_COLS), number(height, 24, MAX_ROWS)


def url_host(host: str) -> str:
    """The host as it goes in a URL: a wildcard bind becomes this machine's name, IPv6 goes in brackets."""
    import socket

    if host in WILDCARDS:
        host = socket.gethostname()
    return f"[{host}]" if ":" in host else host


def is_loopback(addresses: list[str]) -> bool:
    import ipaddress

    return all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def resolve(host: str, port: int) -> list[str]:
    """The addresses --host names; a name that does not resolve is a one-line error."""
    import socket

    if not 1 <= port <= 65535:
        raise ServeError(f"--port {port}: expected 1..65535")
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else "not a host name"
        raise ServeError(f"--host {host!r}: {reason}") from None
    return sorted({str(info[4][0]) for info in infos})


def bind_error(exc: OSError, host: str, port: int) -> ServeError:
    """What a failed bind means, in one line."""
    if exc.errno == errno.EADDRINUSE:
        return ServeError(f"port {port} on {host} is in use (another server?); try --port {port + 1}")
    if exc.errno == errno.EACCES:
        return ServeError(f"port {port}: ports below 1024 need privileges; try --port 8000")
    if exc.errno == errno.EADDRNOTAVAIL:
        return ServeError(f"--host {host}: not an address of this machine")
    return ServeError(f"cannot serve on {host}:{port}: {exc.strerror or exc}")


def exposure(host: str) -> str:
    """What a bind beyond this machine means, said before the URL is printed."""
    return (f"--host {host} serves the map to other machines: anyone with the URL can drive an app "
            "running as you; share it only with your class")


def load_web_stack() -> None:
    """textual-serve and aiohttp, or the one line that says how to get them."""
    try:
        import aiohttp  # noqa: F401
        import aiohttp_jinja2  # noqa: F401
        import textual_serve.app_service  # noqa: F401
    except ImportError:
        raise ServeError(MISSING_EXTRA) from None


def cmd_serve(args: argparse.Namespace) -> int:
    """The map in web browsers: each visitor gets their own app, behind the printed URL's token."""
    overrides = parse_sets(args.set)
    if args.layout:
        from vaslayout.catalog import load

        load(args.layout, overrides)  # a bad layout is reported here, not in every browser tab
    if args.max_sessions < 1:
        raise ServeError(f"--max-sessions {args.max_sessions}: expected at least 1")
    addresses = resolve(args.host, args.port)
    load_web_stack()
    command = [sys.executable, "-m", "vaslayout", "open", args.layout or "x86_64-4level"]
    for name, value in overrides.items():
        command += ["--set", f"{name}={value}"]
    if args.present:
        command.append("--present")
    if args.follow:
        from pathlib import Path

        from vaslayout.tui.follow import default_channel

        channel = default_channel() if args.follow == "-" else Path(args.follow)
        command += ["--follow", str(channel.resolve())]  # the teacher's folder, not each visitor's own
    import asyncio

    from vaslayout.cli.map_server import MapServer

    server = MapServer(command, args.host, args.port, args.max_sessions, local=is_loopback(addresses))
    if not server.local:
        print(f"vaslayout: warning: {exposure(args.host)}", file=sys.stderr, flush=True)
    asyncio.run(server.run())
    return 0

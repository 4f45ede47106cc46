"""The server behind `vaslayout serve`: one app process per visitor, behind a token.

textual-serve (1.1.x, the `serve` extra) gives the pieces used here through
its public classes: AppService runs one app process and speaks Textual's
web-driver protocol to it, and its page template and static files bring
xterm.js. Its Server is not used: it has no token, no Origin check and no
limits, lists /static, and writes the bind address (0.0.0.0, ::) into the
page as the address browsers should connect to. This module serves the same
page with those fixed:

- a random token in the printed URL, required for the page and the websocket;
- the websocket's Origin must be the page's own (a page on another site
  cannot open it), and for a local bind the Host must name this machine
  (DNS rebinding);
- at most --max-sessions app processes, terminals of at most 400x200 cells,
  64 KiB messages;
- each visitor's app runs with its own, fresh state and config folders (no
  shared lookup history or theme), and is ended (quit, then SIGTERM, then
  SIGKILL) and reaped when its browser goes, however it goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import secrets
import shlex
import shutil
import signal
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vaslayout.cli.serve import MAX_MESSAGE, bind_error, clamp_size, url_host

QUIT_GRACE = 3.0  # seconds an app gets to quit when asked, then to die when terminated


@dataclass(eq=False)  # kept in a set, by identity
class Visitor:
    """One browser's app: the service that runs it and the folder that holds its state."""

    folder: Path
    service: Any = None
    reaped: asyncio.Event = field(default_factory=asyncio.Event)


class MapServer:
    """An aiohttp server for the map page, its static files and one websocket per visitor."""

    def __init__(self, command: list[str], host: str, port: int, max_sessions: int, local: bool) -> None:
        self.command = command
        self.host, self.port = host, port
        self.max_sessions = max_sessions
        self.local = local
        self.token = secrets.token_urlsafe(18)
        self.visitors: set[Visitor] = set()
        self.url = f"http://{url_host(host)}:{port}/{self.token}/"

    # -- checks ---------------------------------------------------------------------------------

    def token_ok(self, request: Any) -> bool:
        return secrets.compare_digest(request.match_info.get("token", ""), self.token)

    def host_ok(self, request: Any) -> bool:
        """A local bind answers only to names of this machine: a rebound DNS name gets nothing."""
        if not self.local:
            return True
        name = (urlsplit(f"//{request.host}").hostname or "").lower()
        return name == "localhost" or _is_loopback_literal(name)

    def origin_ok(self, request: Any) -> bool:
        """A browser names the page that opens a websocket: it must be ours (same scheme-less host:port)."""
        origin = request.headers.get("Origin")
        if not origin:
            return False
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.netloc.lower() == request.host.lower()

    # -- handlers -------------------------------------------------------------------------------

    def make_app(self) -> Any:
        from aiohttp import web
        from textual_serve import app_service

        static = Path(app_service.__file__).parent / "static"
        templates = Path(app_service.__file__).parent / "templates"
        import aiohttp_jinja2
        import jinja2

        app = web.Application()
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(templates), autoescape=True)
        app.add_routes([
            web.get("/{token}/", self.handle_index),
            web.get("/{token}/ws", self.handle_websocket),
            web.static("/static", static, show_index=False),
        ])
        return app

    async def handle_index(self, request: Any) -> Any:
        import aiohttp_jinja2
        from aiohttp import web

        if not self.token_ok(request) or not self.host_ok(request):
            raise web.HTTPNotFound(text="vaslayout: no map here; open the URL `vaslayout serve` printed\n")
        scheme = "wss" if request.secure else "ws"
        context = {
            "font_size": clamp_int(request.query.get("fontsize"), 16, 6, 64),
            "app_websocket_url": f"{scheme}://{request.host}/{self.token}/ws",
            "config": {"static": {"url": "/static/"}},
            "application": {"name": "vaslayout"},
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers["Referrer-Policy"] = "no-referrer"  # the token stays out of other sites' logs
        response.headers["Cache-Control"] = "no-store"
        return response

    async def handle_websocket(self, request: Any) -> Any:
        from aiohttp import web

        if not self.token_ok(request) or not self.host_ok(request):
            raise web.HTTPNotFound()
        if not self.origin_ok(request):
            raise web.HTTPForbidden(text="vaslayout: a websocket from another site's page is refused\n")
        if len(self.visitors) >= self.max_sessions:
            raise web.HTTPServiceUnavailable(
                text=f"vaslayout: {self.max_sessions} browsers are already connected (serve --max-sessions)\n")
        visitor = Visitor(Path(tempfile.mkdtemp(prefix="vaslayout-visitor-")))
        self.visitors.add(visitor)
        websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE)
        try:
            await websocket.prepare(request)
            width, height = clamp_size(request.query.get("width"), request.query.get("height"))
            visitor.service = self.start_service(visitor, websocket)
            await visitor.service.start(width, height)
            await self.relay(websocket, visitor.service)
        except (ConnectionError, asyncio.CancelledError):
            pass  # the browser went: below, its app goes too
        finally:
            await self.reap(visitor)
            with contextlib.suppress(Exception):
                await websocket.close()
        return websocket

    def start_service(self, visitor: Visitor, websocket: Any) -> Any:
        from textual_serve.app_service import AppService
        from textual_serve.download_manager import DownloadManager

        folder = shlex.quote(str(visitor.folder))
        # AppService runs a shell command: the environment goes in front of it, and exec leaves one process.
        command = f"VASLAYOUT_STATE_DIR={folder} VASLAYOUT_CONFIG_DIR={folder} exec {shlex.join(self.command)}"
        return AppService(command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                          close=websocket.close, download_manager=DownloadManager())

    async def relay(self, websocket: Any, service: Any) -> None:
        """Browser messages to the app; a message that is not one of textual.js's is dropped."""
        from aiohttp import WSMsgType

        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                kind, data = json.loads(message.data)
            except (ValueError, TypeError):
                continue
            if kind == "stdin" and isinstance(data, str):
                await service.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                await service.set_terminal_size(*clamp_size(data.get("width"), data.get("height")))
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()

    async def reap(self, visitor: Visitor) -> None:
        """Ask the app to quit; if it will not, terminate and then kill it; always wait for it."""
        service = visitor.service
        try:
            if service is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(service.stop(), QUIT_GRACE)
                # AppService keeps its asyncio Process in `_process` (textual-serve 1.1.x) and offers no
                # public way to end it: stop() waits for the app to quit on its own, which an app whose
                # output nobody reads any more (the browser went mid-frame) never does.
                process = getattr(service, "_process", None)
                if process is not None:
                    await end_process(process)
        finally:
            shutil.rmtree(visitor.folder, ignore_errors=True)
            self.visitors.discard(visitor)
            visitor.reaped.set()

    async def run(self) -> None:
        from aiohttp import web

        runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await runner.setup()
        try:
            try:
                await web.TCPSite(runner, self.host or None, self.port).start()
            except OSError as exc:
                raise bind_error(exc, self.host, self.port) from None
            print(f"vaslayout: serving the map at {self.url} (Ctrl+C stops)", flush=True)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
        finally:
            await runner.shutdown()
            await asyncio.gather(*(self.reap(v) for v in list(self.visitors)), return_exceptions=True)
            await runner.cleanup()


def clamp_int(value: Any, default: int, least: int, most: int) -> int:
    try:
        return min(max(int(value), least), most)
    except (TypeError, ValueError):
        return default


def _is_loopback_literal(name: str) -> bool:
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


async def end_process(process: asyncio.subprocess.Process) -> None:
    """Terminate, then kill, a child process; return once it is reaped."""
    for send in (process.terminate, process.kill):
        if process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            send()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(process.wait(), QUIT_GRACE)
    if process.returncode is None:
        await process.wait()

"""`vaslayout serve` for real: a server on localhost, headless Chromium loads the page.

Chromium is driven over its DevTools protocol with aiohttp (which textual-serve
already brings): load the page, wait until the app's first bytes reach the
browser's terminal, read the page, and take a screenshot.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium package is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


class DevTools:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.n = 0

    async def call(self, method: str, **params):
        self.n += 1
        await self.ws.send_json({"id": self.n, "method": method, "params": params})
        while True:
            msg = json.loads((await self.ws.receive()).data)
            if msg.get("id") == self.n:
                return msg.get("result", {})

    async def eval(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")


async def drive(url: str, debug_port: int, shot: Path) -> dict:
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            try:
                async with http.get(f"http://127.0.0.1:{debug_port}/json") as r:
                    pages = [p for p in await r.json() if p.get("type") == "page"]
                if pages:
                    break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        async with http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            dt = DevTools(ws)
            await dt.call("Page.enable")
            await dt.call("Page.navigate", url=url)
            started = False
            for _ in range(200):  # up to 20 s for the app to start and paint
                started = bool(await dt.eval("document.body && document.body.classList.contains('-first-byte')"))
                if started:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.5)  # let the first full frame land
            title = await dt.eval("document.querySelector('.textual-terminal .xterm') !== null")
            ws_url = await dt.eval("document.querySelector('.textual-terminal').dataset.sessionWebsocketUrl")
            png = base64.b64decode((await dt.call("Page.captureScreenshot", format="png"))["data"])
            shot.write_bytes(png)
            return {"started": started, "title": title, "ws_url": ws_url, "png": png}


def test_serve_in_headless_chromium(tmp_path: Path) -> None:
    port, debug_port = free_port(), free_port()
    server = subprocess.Popen([sys.executable, "-m", "vaslayout", "serve", "x86_32-vmsplit-3g", "--port", str(port)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    browser = None
    try:
        wait_for_port(port, time.monotonic() + 30)
        first = server.stdout.readline()  # type: ignore[union-attr]
        url = first.split(" at ", 1)[1].split(" ", 1)[0]
        assert first.strip() == f"vaslayout: serving the map at {url} (Ctrl+C stops)"
        assert url.startswith(f"http://127.0.0.1:{port}/")
        browser = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", f"--remote-debugging-port={debug_port}",
             "--window-size=1280,800", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shot = Path(os.environ.get("VASLAYOUT_SERVE_SHOT", tmp_path / "serve.png"))
        result = asyncio.run(drive(url, debug_port, shot))
    finally:
        if browser is not None:
            browser.terminate()
            browser.wait(timeout=10)
        server.terminate()
        server.wait(timeout=10)
    assert result["title"] is True  # xterm.js is up inside the page's terminal element
    assert result["ws_url"] == "ws" + url[4:] + "ws"
    assert result["started"], "the app never sent its first bytes to the browser"
    png = result["png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000  # a painted terminal, not a blank page


def test_serve_binds_localhost_by_default() -> None:
    p = subprocess.run([sys.executable, "-m", "vaslayout", "serve", "--help"], capture_output=True, text=True,
                       cwd=ROOT, timeout=30)
    assert "default 127.0.0.1" in p.stdout


def test_serve_refuses_a_bad_layout_before_serving() -> None:
    p = subprocess.run([sys.executable, "-m", "vaslayout", "serve", "no-such-layout"], capture_output=True,
                       text=True, cwd=ROOT, timeout=30)
    assert p.returncode == 2 and "unknown layout 'no-such-layout'" in p.stderr

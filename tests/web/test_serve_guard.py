"""`vaslayout serve` to a hostile visitor: token, Origin, limits, reaping, per-visitor state, bind errors.

A real server process on 127.0.0.1 (the only address these tests talk to),
driven with aiohttp's client as a browser's textual.js would drive it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from vaslayout.cli import map_server, serve

ROOT = Path(__file__).resolve().parent.parent.parent
URL_LINE = re.compile(r"^vaslayout: serving the map at (http://\S+/) \(Ctrl\+C stops\)$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    process: subprocess.Popen
    url: str
    port: int

    @property
    def token(self) -> str:
        return self.url.rstrip("/").rsplit("/", 1)[1]

    @property
    def ws_url(self) -> str:
        return "ws" + self.url[4:] + "ws"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def apps(self) -> list[int]:
        """The app processes the server runs now (its children)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.process.pid and fields[0] != "Z":
                    pids.append(int(stat.parent.name))
        return pids

    def wait_for_apps(self, count: int, deadline: float = 30.0) -> list[int]:
        """Poll until the server runs `count` apps (a bound on how long to look, not a timing claim)."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            pids = self.apps()
            if len(pids) == count:
                return pids
            time.sleep(0.1)
        return self.apps()


@contextlib.contextmanager
def served(*extra: str) -> Iterator[Served]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "vaslayout", "serve", "x86_32-vmsplit-3g", "--port", str(port),
                                *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip()  # type: ignore[union-attr]
        match = URL_LINE.match(line)
        assert match, (line, process.stderr.read() if process.poll() is not None else "")  # type: ignore[union-attr]
        yield Served(process, match.group(1), port)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    with served("--max-sessions", "2") as s:
        yield s


async def first_bytes(ws: aiohttp.ClientWebSocketResponse) -> int:
    """Read until the app has sent its first frame's bytes; how many arrived."""
    total = 0
    with contextlib.suppress(asyncio.TimeoutError):
        while total < 2000:
            msg = await asyncio.wait_for(ws.receive(), 30)
            if msg.type != aiohttp.WSMsgType.BINARY:
                break
            total += len(msg.data)
    return total


def run(coro):
    return asyncio.run(coro)


# -- the token --------------------------------------------------------------------------------


def test_the_printed_url_carries_a_long_random_token(server: Served) -> None:
    assert server.url.startswith(f"http://127.0.0.1:{server.port}/")
    assert len(server.token) >= 24 and re.fullmatch(r"[A-Za-z0-9_-]+", server.token)


def test_the_page_needs_the_token(server: Served) -> None:
    # One character off; the last one differs whatever the random token ends with.
    near_miss = f"/{server.token[:-1]}{'y' if server.token.endswith('x') else 'x'}/"

    async def go() -> dict[str, int | str]:
        async with aiohttp.ClientSession() as http:
            codes: dict[str, int | str] = {}
            for path in ("/", near_miss, "/index.html", f"/{server.token}/"):
                async with http.get(server.origin + path) as r:
                    codes[path] = r.status
                    if r.status == 200:
                        codes["page"] = await r.text()
            return codes

    codes = run(go())
    assert codes["/"] == codes["/index.html"] == codes[near_miss] == 404
    assert codes[f"/{server.token}/"] == 200
    assert f'data-session-websocket-url="ws://127.0.0.1:{server.port}/{server.token}/ws"' in str(codes["page"])


def test_the_websocket_needs_the_token(server: Served) -> None:
    async def go() -> int:
        async with aiohttp.ClientSession() as http:
            try:
                async with http.ws_connect(f"ws://127.0.0.1:{server.port}/not-the-token/ws", origin=server.origin):
                    return 101
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status

    assert run(go()) == 404
    assert server.apps() == []


def test_static_files_are_served_but_not_listed(server: Served) -> None:
    async def go() -> tuple[int, int]:
        async with aiohttp.ClientSession() as http, http.get(server.origin + "/static/") as listing, \
                    http.get(server.origin + "/static/js/textual.js") as script:
            return listing.status, script.status

    listing, script = run(go())
    assert listing in (403, 404) and script == 200


def test_a_rebound_dns_name_gets_nothing(server: Served) -> None:
    async def go() -> int:
        async with aiohttp.ClientSession() as http, \
                http.get(server.url, headers={"Host": f"evil.example:{server.port}"}) as r:
            return r.status

    assert run(go()) == 404


# -- Origin -------------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1:1", "null", None])
def test_a_websocket_from_another_origin_is_refused(server: Served, origin: str | None) -> None:
    async def go() -> int:
        headers = {} if origin is None else {"Origin": origin}
        async with aiohttp.ClientSession(skip_auto_headers=["Origin"]) as http:
            try:
                async with http.ws_connect(server.ws_url, headers=headers):
                    return 101
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status

    assert run(go()) == 403
    assert server.apps() == []  # no app was started for it


def test_the_pages_own_origin_gets_the_app(server: Served) -> None:
    async def go() -> int:
        async with aiohttp.ClientSession() as http, \
                http.ws_connect(server.ws_url + "?width=90&height=30", origin=server.origin) as ws:
            return await first_bytes(ws)

    assert run(go()) >= 2000
    assert server.wait_for_apps(0) == []  # and it is gone when the browser is


# -- limits, reaping, per-visitor state ----------------------------------------------------------


def test_the_session_cap_refuses_the_third_browser_and_frees_a_slot(server: Served) -> None:
    async def go() -> tuple[int, list[int], int]:
        async with aiohttp.ClientSession() as http:
            a = await http.ws_connect(server.ws_url, origin=server.origin)
            b = await http.ws_connect(server.ws_url, origin=server.origin)
            await first_bytes(a)
            await first_bytes(b)
            apps = server.apps()
            try:
                async with http.ws_connect(server.ws_url, origin=server.origin):
                    third = 101
            except aiohttp.WSServerHandshakeError as exc:
                third = exc.status
            await a.close()
            await asyncio.to_thread(server.wait_for_apps, 1)
            async with http.ws_connect(server.ws_url, origin=server.origin) as c:
                again = await first_bytes(c)
            await b.close()
            return third, apps, again

    third, apps, again = run(go())
    assert third == 503
    assert len(apps) == 2
    assert again >= 2000
    assert server.wait_for_apps(0) == []


def test_each_visitor_gets_its_own_state_and_config(server: Served) -> None:
    async def go() -> list[dict[str, str]]:
        async with aiohttp.ClientSession() as http:
            a = await http.ws_connect(server.ws_url, origin=server.origin)
            b = await http.ws_connect(server.ws_url, origin=server.origin)
            await first_bytes(a)
            await first_bytes(b)
            envs = []
            for pid in server.apps():
                raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                env = dict(item.decode().split("=", 1) for item in raw if b"=" in item)
                envs.append({k: env[k] for k in ("VASLAYOUT_STATE_DIR", "VASLAYOUT_CONFIG_DIR")})
            await a.close()
            await b.close()
            return envs

    envs = run(go())
    assert len(envs) == 2
    folders = {e["VASLAYOUT_STATE_DIR"] for e in envs}
    assert len(folders) == 2 and os.environ["VASLAYOUT_STATE_DIR"] not in folders
    assert all(e["VASLAYOUT_CONFIG_DIR"] == e["VASLAYOUT_STATE_DIR"] for e in envs)
    assert server.wait_for_apps(0) == []
    assert not any(Path(f).exists() for f in folders)  # removed with the app


@pytest.mark.parametrize("how", ["garbage then drop", "drop mid-frame", "drop while it redraws", "close"])
def test_the_app_is_reaped_however_the_browser_goes(server: Served, how: str) -> None:
    async def go() -> int:
        http = aiohttp.ClientSession()
        ws = await http.ws_connect(server.ws_url + "?width=400&height=200", origin=server.origin)
        if how == "drop mid-frame":
            await ws.receive()  # the first piece of a 400x200 frame; the rest is still to come
        else:
            await first_bytes(ws)
        apps = len(server.apps())
        if how == "drop while it redraws":  # frames the server will not read any more fill the pipe
            for key in ["j", "k", "s", "\r", "\x7f"] * 60:
                await ws.send_json(["stdin", key])
                await ws.send_json(["resize", {"width": 400 - len(key), "height": 200}])
        if how == "garbage then drop":
            await ws.send_str("{not json")
            await ws.send_str('["resize", "big"]')
            await ws.send_bytes(b"\xff" * 100)
        if how == "close":
            await ws.close()
        else:  # the TCP connection just goes, as when a laptop lid closes
            transport = ws._response.connection.transport  # noqa: SLF001 - the only way to cut the socket
            if transport is not None:
                transport.abort()
        await http.close()
        return apps

    assert run(go()) == 1
    assert server.wait_for_apps(0) == []


def test_an_app_that_will_not_quit_is_killed_and_reaped() -> None:
    async def go() -> int | None:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); time.sleep(600)", stdout=asyncio.subprocess.PIPE)
        assert process.stdout is not None
        await process.stdout.readline()
        await map_server.end_process(process)
        return process.returncode

    assert run(go()) == -9


def test_a_huge_terminal_is_cut_to_400_by_200() -> None:
    assert serve.clamp_size(3000, 1500) == (400, 200)
    assert serve.clamp_size("x", None) == (80, 24)
    assert serve.clamp_size(-5, 0) == (1, 1)


# -- binding ------------------------------------------------------------------------------------


def serve_cli(*args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, "-m", "vaslayout", "serve", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)


def test_an_unresolvable_host_is_one_line() -> None:
    p = serve_cli("--host", "no-such-host.invalid")
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.startswith("vaslayout: --host 'no-such-host.invalid': ") and p.stderr.count("\n") == 1


def test_a_port_in_use_is_one_line() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = serve_cli("--port", str(port))
    assert p.returncode == 2
    assert p.stderr == f"vaslayout: port {port} on 127.0.0.1 is in use (another server?); try --port {port + 1}\n"


@pytest.mark.parametrize("port", ["0", "70000"])
def test_a_port_out_of_range_is_one_line(port: str) -> None:
    p = serve_cli("--port", port)
    assert p.returncode == 2 and p.stderr == f"vaslayout: --port {port}: expected 1..65535\n"


def test_a_privileged_port_is_one_line() -> None:
    import errno

    assert str(serve.bind_error(OSError(errno.EACCES, "Permission denied"), "127.0.0.1", 80)) == \
        "port 80: ports below 1024 need privileges; try --port 8000"
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:  # root may bind port 80: drop that one capability, as an ordinary user has it
        if shutil.which("setpriv") is None:
            pytest.skip("root, and no setpriv to drop CAP_NET_BIND_SERVICE")
        prefix = ("setpriv", "--bounding-set=-net_bind_service", "--inh-caps=-net_bind_service")
    p = serve_cli("--port", "80", prefix=prefix)
    assert p.returncode == 2
    assert p.stderr == "vaslayout: port 80: ports below 1024 need privileges; try --port 8000\n"


def test_urls_for_non_local_binds() -> None:
    host = socket.gethostname()
    assert serve.url_host("0.0.0.0") == host and serve.url_host("::") == host
    assert serve.url_host("::1") == "[::1]" and serve.url_host("fe80::1") == "[fe80::1]"
    assert serve.url_host("127.0.0.1") == "127.0.0.1"
    assert serve.is_loopback(["127.0.0.1", "::1"]) and not serve.is_loopback(["0.0.0.0"])
    assert serve.exposure("0.0.0.0").startswith("--host 0.0.0.0 serves the map to other machines")


def test_ipv6_loopback_is_printed_in_brackets() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "vaslayout", "serve", "--host", "::1", "--port", str(port)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert re.match(rf"vaslayout: serving the map at http://\[::1\]:{port}/[\w-]+/ \(Ctrl\+C stops\)$", line)


def test_without_the_extra_serve_says_how_to_get_it() -> None:
    code = ("import sys; sys.modules['textual_serve'] = None; from vaslayout.cli import main; "
            "raise SystemExit(main(['serve']))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert p.returncode == 2
    assert p.stderr == f"vaslayout: {serve.MISSING_EXTRA}\n"


def test_serve_follow_starts_each_app_following_the_teachers_view(tmp_path: Path) -> None:
    channel = tmp_path / "view.json"
    with served("--follow", str(channel)) as s:
        async def go() -> list[str]:
            async with aiohttp.ClientSession() as http, http.ws_connect(s.ws_url, origin=s.origin) as ws:
                await first_bytes(ws)
                (pid,) = s.apps()
                return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")

        argv = run(go())
    assert argv[argv.index("--follow") + 1] == str(channel.resolve())

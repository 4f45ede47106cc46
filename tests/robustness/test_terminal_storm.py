"""The real app in a real terminal (a pty, 120x40): raw key bytes written as fast as it takes them.

os.write on the pty blocks when the app has not read what came before, so
the app sets the pace, never the test. The app must keep running (or end
by a Quit it was sent, status 0) and leave no crash log. A crash exits
non-zero, names its log in one line and leaves the traceback in the state
directory: tested with an app made to fail on a key.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from tests.robustness.conftest import ROOT
from tests.robustness.storm import base_seed

TERMINAL_BYTES = int(os.environ.get("VASLAYOUT_PTY_BYTES", 3000))
RAW_KEYS = [
    *"abcdefghijklmnoprstuvwxyzKR0123456789+-/?.", "\r", "\t", "\x7f", " ", "\x1b",  # no q: it quits
    "\x10",  # Ctrl+P
    "\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D", "\x1b[5~", "\x1b[6~", "\x1b[H", "\x1b[F", "\x1b[15~",
]


class Terminal:
    """A child process on a pty of a given size; its output is read (and dropped) all the time."""

    def __init__(self, argv: list[str], env: dict[str, str], size: tuple[int, int] = (120, 40)) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.master = master
        self.output = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.2)
                if ready:
                    chunk = os.read(self.master, 65536)
                    if not chunk:
                        return
                    self.output += chunk
                    del self.output[:-262144]
            except OSError:
                return

    def write(self, data: bytes) -> bool:
        """Write all of data (blocking while the app does not read); False once the app has gone."""
        while data:
            if self.proc.poll() is not None:
                return False
            _, ready, _ = select.select([], [self.master], [], 1.0)
            if not ready:
                continue
            try:
                data = data[os.write(self.master, data):]
            except OSError:
                return False
        return True

    def wait_for_output(self, needle: bytes, seconds: float = 60) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end and self.proc.poll() is None:
            if needle in self.output:
                return True
            time.sleep(0.05)
        return needle in self.output

    def close(self) -> int:
        if self.proc.poll() is None:
            self.write(b"\x11")  # Ctrl+Q
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(30)
        self.reap()
        return self.proc.returncode

    def reap(self) -> None:
        """Kill what is left of the child's process group and close the pty (idempotent)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        if self.master >= 0:
            os.close(self.master)
            self.master = -1


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def terminals():
    """Every Terminal a test starts is reaped at teardown, whatever the test did; none may be left."""
    started: list[Terminal] = []

    def start(argv: list[str], env: dict[str, str]) -> Terminal:
        term = Terminal(argv, env)
        started.append(term)
        return term

    yield start
    for term in started:
        term.reap()
    assert not [t.proc.pid for t in started if group_alive(t.proc.pid)]


def child_env(state: Path) -> dict[str, str]:
    env = dict(os.environ, VASLAYOUT_STATE_DIR=str(state), TERM="xterm-256color")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("TEXTUAL_DRIVER", None)
    return env


@pytest.mark.parametrize("args", [["open", "x86_32-vmsplit-3g"], ["tour", "vmsplit-lowmem"]], ids=["open", "tour"])
def test_raw_key_bytes_as_fast_as_the_app_reads_them(args: list[str], state_dir: Path, terminals) -> None:
    seed = base_seed()
    rng = random.Random(f"{seed}-pty-{args[0]}")
    sent, starts = 0, 0
    while sent < TERMINAL_BYTES:
        term = terminals([sys.executable, "-m", "vaslayout", *args], child_env(state_dir))
        starts += 1
        assert term.wait_for_output(b"^p"), term.output[-2000:]
        while sent < TERMINAL_BYTES:
            burst = "".join(rng.choice(RAW_KEYS) for _ in range(rng.randint(1, 64))).encode()
            if not term.write(burst):
                break  # the palette's Quit was typed: allowed, if it exits cleanly
            sent += len(burst)
        status = term.close()
        crashes = sorted(state_dir.glob("crash-*.log"))
        assert status == 0 and not crashes, (f"seed {seed}: status {status} after {sent} bytes; "
                                             + (crashes[0].read_text()[-3000:] if crashes else ""))
    assert starts < 20


CRASHING_APP = """
import sys
from pathlib import Path

import vaslayout.tui.app
from vaslayout.cli.interactive import run_app
from vaslayout.tui.app import VasLayoutApp

class Failing(VasLayoutApp):
    CSS_PATH = str(Path(vaslayout.tui.app.__file__).parent / "app.tcss")

    def key_x(self):
        raise RuntimeError("made to fail")

sys.exit(run_app(Failing("x86_64-4level")))
"""


def test_a_crash_exits_non_zero_and_names_its_log(state_dir: Path, terminals) -> None:
    term = terminals([sys.executable, "-c", CRASHING_APP], child_env(state_dir))
    assert term.wait_for_output(b"^p")
    term.write(b"x")
    term.proc.wait(60)
    time.sleep(0.3)  # the reader takes the last line
    status = term.close()
    assert status == 70
    logs = list(state_dir.glob("crash-*.log"))
    assert len(logs) == 1
    assert "made to fail" in logs[0].read_text() and "Traceback" in logs[0].read_text()
    tail = bytes(term.output).decode(errors="replace")
    assert f"the traceback is in {logs[0]}" in tail
    assert "made to fail" not in tail.split("vaslayout: crashed")[-1]


def test_the_app_exits_when_its_terminal_goes_away(state_dir: Path, terminals) -> None:
    """The pty's master closed (a terminal window shut): the app ends by itself, no process left spinning."""
    term = terminals([sys.executable, "-m", "vaslayout", "open", "x86_32-vmsplit-3g"], child_env(state_dir))
    assert term.wait_for_output(b"^p"), term.output[-2000:]
    os.close(term.master)
    term.master = -1
    deadline = time.monotonic() + 120  # a liveness bound, not a speed assertion
    while term.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert term.proc.poll() is not None, "the app kept running after its terminal went away"
    assert not group_alive(term.proc.pid) or term.proc.poll() is not None

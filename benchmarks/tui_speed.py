"""How fast the map starts and answers keys, in a real terminal. Prints figures; not a test.

Both figures come from the app running in a pseudo-terminal at 160x48, as a
user runs it (the real Linux driver, frames turned into terminal output):

1. Time to the first whole screen: from starting the process to the last byte
   of its first screen (map, breadcrumb, details and footer, and any resize
   pass after them: the screen counts as whole when nothing more is written
   for SETTLE seconds), against a minimal Textual app with a footer measured
   the same way, in alternating runs. The same for `open --pid P` on a live
   process with about 65,530 mappings, with that app's peak memory (VmHWM).
   Bytecode is compiled first, as an installed package has it.
2. Key press to repaint on a layout of 131,072 regions, and on `open --pid P`
   of the process with about 65,530 mappings (with its peak memory over the
   whole run, keys included): the CPU time the app
   spends from the moment a key reaches it until the last frame that key
   caused is handed to the terminal. Textual's frame pacing (it paints at most
   60 times a second) is idle time, not work, and is left out; everything done
   for the key (Textual's dispatch, our handler, layout, compositing, the
   terminal output) is in. Keys are sent one at a time, each after the screen
   has gone quiet.

Run: python benchmarks/tui_speed.py [--runs 10] [--presses 30] [--regions 131072] [--mappings 65530] [--tiny]
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import fcntl
import json
import os
import pty
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

COLS, ROWS = 160, 48

SETTLE = 0.3  # seconds without output after which the first screen is whole

MINIMAL = """
from textual.app import App
from textual.widgets import Footer, Static
class Minimal(App):
    BINDINGS = [("q", "quit", "Quit"), ("question_mark", "help", "Help")]
    def compose(self):
        yield Static("hello")
        yield Footer()
Minimal().run()
"""

# Runs under the pseudo-terminal: vaslayout on a big layout, started the way
# `vaslayout open` starts it, with the key-to-frame CPU time recorded.
KEYS_CHILD = r"""
import gc, json, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/benchmarks"]
from textual import events
from textual.app import App
from textual.drivers.linux_driver import LinuxDriver
from tui_speed import big_layout
from vaslayout.session import Session
from vaslayout.sources import FixedSource
from vaslayout.tui.app import VasLayoutApp

samples = []  # [key, cpu when it arrived, cpu at the last frame since]
on_event = App.on_event
async def timed_on_event(self, event):
    if isinstance(event, events.Key):
        samples.append([event.key, time.process_time(), None])
    await on_event(self, event)
write = LinuxDriver.write
def timed_write(self, data):
    write(self, data)
    if samples:
        samples[-1][2] = time.process_time()
App.on_event = timed_on_event
LinuxDriver.write = timed_write

what, number, cursor = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
gc.disable()  # as `vaslayout open` starts; the app resumes the collector after its first frame
if what == "pid":  # `open --pid P`: the live process's layout, read as LiveSource reads it
    from vaslayout.sources import LiveSource
    session = Session(LiveSource(number), cursor=cursor)
else:
    session = Session(FixedSource(big_layout(number)), cursor=cursor)
app = VasLayoutApp(session)
app.run()
with open("/proc/self/status") as f:  # VmHWM: the peak memory of the whole run, keys included
    peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
with open(sys.argv[2], "w") as f:
    json.dump({"peak_mib": peak,
               "samples": [(k, (end - start) * 1000) for k, start, end in samples if end is not None]}, f)
"""

KEY_BYTES = {
    "down": b"\x1b[B", "up": b"\x1b[A", "pagedown": b"\x1b[6~", "pageup": b"\x1b[5~",
    "plus": b"+", "minus": b"-", "s": b"s", "backspace": b"\x7f", "enter": b"\r", "q": b"q", "0": b"0",
}


class Terminal:
    """A child process on a pseudo-terminal of COLS x ROWS."""

    def __init__(self, argv: list[str]) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT), TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
        self.started = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child
            os.chdir(ROOT)
            os.execvpe(argv[0], argv, env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self.fd, 1 << 16)
        except OSError:  # the child closed the terminal
            return b""

    def until(self, marker: bytes, timeout: float = 30) -> float:
        """Seconds from the start until `marker` has appeared in the output."""
        seen = b""
        while time.perf_counter() - self.started < timeout:
            seen = seen[-len(marker):] + self.read(0.5)
            if marker in seen:
                return time.perf_counter() - self.started
        raise RuntimeError(f"{marker!r} never appeared")

    def settled(self, marker: bytes, gap: float = SETTLE, timeout: float = 60) -> float:
        """Seconds from the start to the last output before `gap` seconds of quiet, once `marker` was seen."""
        self.until(marker, timeout)
        last = time.perf_counter()
        while time.perf_counter() - self.started < timeout:
            if not self.read(gap):
                return last - self.started
            last = time.perf_counter()
        raise RuntimeError("the screen never settled")

    def peak_mib(self) -> float:
        """VmHWM of the child: its peak memory so far."""
        with open(f"/proc/{self.pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024

    def quiet(self, gap: float = 0.08, timeout: float = 10) -> None:
        """Read until nothing has arrived for `gap` seconds."""
        end = time.perf_counter() + timeout
        while time.perf_counter() < end and self.read(gap):
            pass

    def send(self, key: str) -> None:
        os.write(self.fd, KEY_BYTES[key])
        self.quiet()

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)

    def wait(self, timeout: float = 30) -> None:
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return
            self.read(0.1)
        self.close()


def first_frame(argv: list[str], marker: bytes) -> tuple[float, float]:
    """Seconds to the first whole screen, and the app's peak memory then (MiB)."""
    term = Terminal(argv)
    try:
        return term.settled(marker), term.peak_mib()
    finally:
        term.close()


def big_layout(n: int):
    from vaslayout.core.model import Layout, Region
    from vaslayout.core.paging import MODES

    page = 4096
    base = 0x7F0000000000
    kids = tuple(Region(f"mapping {i}", "mmap" if i % 3 else "heap", base + 2 * i * page, base + (2 * i + 1) * page)
                 for i in range(n))
    from vaslayout.core.engine import tile  # fill the gaps exactly as the engine does

    user = Region("user space", "user-space", 0, 1 << 47, "user", children=tile(list(kids), 0, 1 << 47, 64))
    root = Region("big", "root", 0, 1 << 64, children=tile([user], 0, 1 << 64, 64))
    return Layout("big", f"{n} mappings", "x86_64", 64, MODES["x86-64-4level"], root)


def keys(what: str, number: int, cursor: int, presses: int) -> tuple[dict[str, list[float]], float]:
    """CPU ms per key press by key, and the app's peak memory over the whole run (MiB).

    `what` is "regions" (big_layout(number)) or "pid" (`open --pid number`);
    the cursor starts at `cursor`, inside the user space that holds them.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "samples.json")
        term = Terminal([sys.executable, "-c", KEYS_CHILD, str(ROOT), out, what, str(number), str(cursor)])
        term.until(b"Cursor address", timeout=120)
        term.quiet(0.5)
        term.send("enter")  # into user space: the level of the many regions and their gaps
        # the cursor starts on the lowest mapping, near the bottom: up and page up first, so every press moves
        plan = [[k] * presses for k in ("up", "down", "pageup", "pagedown", "s")]
        plan += [["plus", "minus"] * (presses // 2), ["0"]]
        plan += [["enter", "backspace"] * max(presses // 4, 3)]  # into user space and out: rebuilds the band
        for key in (k for group in plan for k in group):
            term.send(key)
        term.send("q")
        term.wait()
        with open(out) as f:
            recorded = json.load(f)
    results: dict[str, list[float]] = {}
    for key, ms in recorded["samples"][1:-1]:  # not the first enter nor q
        if key != "0":
            results.setdefault(key, []).append(ms)
    return results, recorded["peak_mib"]


def print_keys(title: str, results: dict[str, list[float]]) -> None:
    print(f"key press to repaint at {COLS}x{ROWS}, {title}: CPU ms from the key's arrival to its last frame "
          "(target: median under 16)")
    for key, ms in results.items():
        print(f"  {key:<10} median {statistics.median(ms):6.2f}   worst {max(ms):6.2f}   n={len(ms)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--regions", type=int, default=131_072)
    ap.add_argument("--mappings", type=int, default=65_530)
    ap.add_argument("--presses", type=int, default=30)
    ap.add_argument("--tiny", action="store_true", help="one run, 2,000 regions, 300 mappings, few keys")
    args = ap.parse_args()
    if args.tiny:
        args.runs, args.regions, args.mappings, args.presses = 1, 2000, 300, 4
    compileall.compile_dir(str(ROOT / "vaslayout"), quiet=1)

    from _bench import ManyMappings

    minimal, ours, live, memory = [], [], [], []
    with ManyMappings(args.mappings) as child:
        live_keys, live_peak = keys("pid", child.pid, child.base, args.presses)
        for _ in range(args.runs):
            minimal.append(first_frame([sys.executable, "-c", MINIMAL], b"hello")[0])
            ours.append(first_frame([sys.executable, "-m", "vaslayout"], b"Cursor address")[0])
            seconds, mib = first_frame([sys.executable, "-m", "vaslayout", "open", "--pid", str(child.pid)],
                                       b"Cursor address")
            live.append(seconds)
            memory.append(mib)
        lines = child.lines
    base = statistics.median(minimal)
    print(f"first whole screen (footer included, settled for {SETTLE} s) at {COLS}x{ROWS}, {args.runs} alternating "
          "runs, best / median:")
    print(f"  minimal Textual app with a footer    {min(minimal) * 1000:5.0f} / {base * 1000:5.0f} ms")
    print(f"  vaslayout                            {min(ours) * 1000:5.0f} / {statistics.median(ours) * 1000:5.0f} ms"
          f"   median ratio {statistics.median(ours) / base:.2f} (target <= 1.2)")
    print(f"  vaslayout open --pid ({lines:,} maps)  {min(live) * 1000:5.0f} / {statistics.median(live) * 1000:5.0f} ms"
          f"   median ratio {statistics.median(live) / base:.2f} (target <= 1.5)")
    print(f"  peak memory of open --pid ({lines:,} maps): {max(memory):.1f} MiB at the first screen, "
          f"{live_peak:.1f} MiB after the keys below (target <= 60)")

    print_keys(f"open --pid on {lines:,} mappings", live_keys)
    results, _ = keys("regions", args.regions, 0x7F0000000000, args.presses)
    print_keys(f"{args.regions:,} regions", results)


if __name__ == "__main__":
    main()

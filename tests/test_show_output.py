"""`show` as people read it: plain lines when piped, addresses never cut at a terminal, --pid as pmap."""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from vaslayout import pmap, proc, rows
from vaslayout.catalog import load

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "proc"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
ADDR64 = re.compile(r"0x[0-9a-f]{16}")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vaslayout", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def run_in_terminal(args: list[str], columns: int, rows: int = 40) -> str:
    """The command's output as a terminal of `columns` shows it (escape codes removed)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env["TERM"] = "xterm-256color"
    child = subprocess.Popen([sys.executable, "-m", "vaslayout", *args], cwd=ROOT, stdin=subprocess.DEVNULL,
                             stdout=slave, stderr=slave, env=env)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert child.wait(timeout=60) == 0, out[-2000:]
    return ANSI.sub("", out.decode()).replace("\r\n", "\n")


def sleeper() -> subprocess.Popen[bytes]:
    child = subprocess.Popen([sys.executable, "-c", "import sys; print(flush=True); sys.stdin.read()"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdout is not None
    child.stdout.readline()  # started: its maps stay as they are now
    return child


def stop(child: subprocess.Popen[bytes]) -> None:
    assert child.stdin is not None
    child.stdin.close()
    child.wait(timeout=30)


# -- show LAYOUT -------------------------------------------------------------------------------------


def test_piped_show_is_plain_lines_without_padding() -> None:
    p = run("show", "x86_64-4level")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert "\x1b" not in p.stdout
    assert all(line == line.rstrip() for line in lines)
    table = [line for line in lines if line.startswith("0x")]
    assert len(table) == len(list(rows.layout_rows(load("x86_64-4level"))))
    assert all(len(ADDR64.findall(line)) == 2 for line in table)
    assert lines[0] == "x86-64 Linux, 4-level paging (48-bit virtual addresses)  [x86_64-4level]"


@pytest.mark.parametrize("columns", [80, 120])
def test_show_at_a_terminal_never_cuts_an_address(columns: int) -> None:
    text = run_in_terminal(["show", "x86_64-4level"], columns)
    # the table's rows: a start, two spaces, an end (the summary above may begin a line with an address too)
    table = [line for line in text.splitlines() if re.match(r"0x[0-9a-f]+  +0x", line)]
    assert table and all(len(ADDR64.findall(line[:40])) == 2 for line in table)
    assert "…" not in "".join(line[:40] for line in table)
    assert "direct mapping" in text and "vsyscall" in text


# -- show --pid --------------------------------------------------------------------------------------


def process_maps(name: str = "maps-cat.txt") -> pmap.ProcessMaps:
    table = proc.parse_maps_table((DATA / name).read_text(), name)
    return pmap.process_maps(load("x86_64-4level"), table, 4242, "cat (pid 4242)")


def test_one_line_per_mapping_with_its_region_and_a_total() -> None:
    pm = process_maps()
    text = "".join(pmap.process_text(pm))
    lines = text.splitlines()
    assert lines[0] == "cat (pid 4242)"
    assert lines[1].startswith("user    0x0000000000000000-0x00007fffffffffff  128 TiB  37 mappings")
    assert lines[2].startswith("kernel  0xffff800000000000-0xffffffffffffffff  128 TiB  ldt, direct-map, vmalloc")
    header = lines.index(next(line for line in lines if line.startswith("start")))
    assert lines[header].split() == ["start", "end", "size", "perms", "offset", "dev", "inode", "region", "name"]
    body = lines[header + 1:-1]
    assert len(body) == len(pm.table) == 38
    vsyscall = body[-1]
    assert vsyscall.startswith("ffffffffff600000  ffffffffff601000     4K  --xp  00000000  00:00  0")
    assert vsyscall.endswith("legacy vsyscall ABI        [vsyscall]")
    assert all("user-space virtual memory" in line for line in body[:-1])
    total = sum(m.size for m in pm.table)
    assert lines[-1] == f"total {total >> 10:,}K ({pmap.fmt_size(total)}) in 38 mappings"
    assert all(line == line.rstrip() for line in lines)


@pytest.mark.parametrize(("layout_id", "maps", "width"), [
    ("x86_64-4level", "maps-python.txt", None), ("x86_64-4level", "maps-edge.txt", 90),
    ("x86_32-vmsplit-3g", "CAT32", None), ("x86_32-vmsplit-3g", "CAT32", 70)])
def test_each_line_starts_with_its_numbers_formatted_one_at_a_time(layout_id: str, maps: str,
                                                                    width: int | None) -> None:
    """The columns made in one pass (core.units.hex_column) say what a format per number says."""
    text = (DATA / maps).read_text() if maps != "CAT32" else CAT32
    table = proc.parse_maps_table(text, maps)
    pm = pmap.process_maps(load(layout_id), table, 4242, "cat (pid 4242)")
    head, *body = "\n".join(pmap.mapping_lines(pm, width)).split("\n")
    digits = 8 if layout_id.startswith("x86_32") else 16
    numbers = ["start", "end", "size"] if "end" in head.split() else ["start", "size"]
    assert head.split()[:len(numbers)] == numbers
    assert len(body) == len(table)
    for line, m in zip(body, table, strict=True):
        end = [f"{m.end:0{digits}x}"] if "end" in numbers else []
        want = [f"{m.start:0{digits}x}", *end, f"{m.size >> 10}K", m.perms]
        assert line.split()[:len(want)] == want, (line, m)
    assert len({line.index("K  ") for line in body}) == 1  # sizes right-aligned in one column
    if width is not None:
        assert all(len(line) <= width for line in body)


# a 32-bit process's maps in the kernel's format (%08lx), made up for the test: every address is eight digits
CAT32 = """08048000-08050000 r-xp 00000000 08:01 131090     /bin/cat
08050000-08051000 rw-p 00007000 08:01 131090     /bin/cat
09a5c000-09a7d000 rw-p 00000000 00:00 0          [heap]
b7d00000-b7eb0000 r-xp 00000000 08:01 262150     /lib/i386-linux-gnu/libc.so.6
b7f9f000-b7fa1000 rw-p 00000000 00:00 0
bf8e0000-bf901000 rw-p 00000000 00:00 0          [stack]
"""


def test_anonymous_mappings_are_named_as_pmap_names_them() -> None:
    text = "".join(pmap.process_text(process_maps("maps-python.txt")))
    assert "  [ anon ]" in text and "  [heap]" in text and "  [stack]" in text


@pytest.mark.parametrize("width", [60, 80, 100, 120, 160])
def test_at_a_terminal_columns_go_before_an_address_is_cut(width: int) -> None:
    pm = process_maps("maps-python.txt")
    lines = "".join(pmap.process_text(pm, width)).splitlines()
    body = [line for line in lines if re.match(r"[0-9a-f]{16}  ", line)]
    assert len(body) == len(pm.table)
    assert all(len(line) <= width for line in lines)
    shown = next(line for line in lines if line.startswith("start")).split()
    assert shown[:1] == ["start"] and {"size", "perms", "name"} <= set(shown)
    if width < 120:
        assert "inode" not in shown  # the first to go
    if width >= 160:
        assert len(shown) == len(pmap.COLUMNS)


def test_cli_show_pid_piped_has_every_line_of_the_maps() -> None:
    child = sleeper()
    try:
        p = run("show", "--pid", str(child.pid))
        maps = proc.read_maps(child.pid)
    finally:
        stop(child)
    assert p.returncode == 0, p.stderr
    body = [line for line in p.stdout.splitlines() if re.match(r"[0-9a-f]{16}  [0-9a-f]{16} ", line)]
    assert [int(line[:16], 16) for line in body] == [m.start for m in maps]
    assert [int(line[18:34], 16) for line in body] == [m.end for m in maps]
    assert all(line == line.rstrip() for line in p.stdout.splitlines())
    assert p.stdout.splitlines()[-1].startswith("total ")


def test_cli_show_pid_regions_adds_the_kernel_rows() -> None:
    p = run("show", "--pid", "self", "--regions")
    assert p.returncode == 0, p.stderr
    assert "direct mapping of all physical memory" in p.stdout and "module mapping space" in p.stdout
    assert p.stdout.index("module mapping space") < p.stdout.index("[stack]")


@pytest.mark.parametrize("columns", [80, 120])
def test_cli_show_pid_at_a_terminal_never_cuts_an_address(columns: int) -> None:
    child = sleeper()
    try:
        text = run_in_terminal(["show", "--pid", str(child.pid)], columns)
        maps = proc.read_maps(child.pid)
    finally:
        stop(child)
    body = [line for line in text.splitlines() if re.match(r"[0-9a-f]{16}  ", line)]
    assert [int(line[:16], 16) for line in body] == [m.start for m in maps]
    assert all(len(line) <= columns for line in text.splitlines())

"""The live side under stress: processes that die at every step, maps that never hold still,
an unreadable pagemap, a pid given to another process. Each is one clear line, exit code 2.

Real child processes are killed at the exact moment between two reads (the
procfs reader the CLI calls next is wrapped to kill first); fake /proc trees
(procfs functions take root=) stage what cannot be timed for real, such as
a pid that a new process takes over.
"""

from __future__ import annotations

import ctypes
import errno
import gc
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.robustness.conftest import CHURN, cli, one_user_error
from vaslayout import cli as vcli
from vaslayout import proc
from vaslayout.proc import live
from vaslayout.proc.reader import ProcError
from vaslayout.session import Session
from vaslayout.sources import LiveSource
from vaslayout.tui.app import VasLayoutApp

needs_linux = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")
needs_x86_64 = pytest.mark.skipif(platform.machine() != "x86_64", reason="live layouts are x86-64 only")



def spawn(code: str = "import sys; print('ready', flush=True); sys.stdin.read()") -> subprocess.Popen[str]:
    task = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert task.stdout is not None and task.stdout.readline() == "ready\n"
    return task


@pytest.fixture
def child():
    task = spawn()
    yield task
    if task.poll() is None:
        task.kill()
    task.wait()


@pytest.fixture
def churning():
    """A process that maps and unmaps memory without pause: its maps change between any two reads."""
    task = spawn(CHURN)
    yield task
    task.kill()
    task.wait()


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    enabled = gc.isenabled()  # cli.main() turns the collector off for the rest of a short run
    try:
        code = vcli.main(argv)
    finally:
        if enabled:
            gc.enable()
    out, err = capsys.readouterr()
    return code, out, err


def one_line(code: int, out: str, err: str) -> str:
    assert code == 2, (out, err)
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def kill_before(monkeypatch: pytest.MonkeyPatch, name: str, child: subprocess.Popen[str]) -> None:
    """The next call of proc.NAME first kills the process and lets the kernel forget it."""
    original = getattr(proc, name)

    def wrapped(*args, **kwargs):
        if child.poll() is None:
            child.kill()
            child.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(proc, name, wrapped)


def buffer_address() -> tuple[bytearray, int]:
    """A page of this process that is certainly mapped and present."""
    buf = bytearray(b"\x5a" * 8192)
    return buf, ctypes.addressof((ctypes.c_char * len(buf)).from_buffer(buf)) + 0x10


# -- a process that exits in the middle -------------------------------------------------------


@needs_linux
@needs_x86_64
@pytest.mark.parametrize("step", ["read_maps_table", "detect", "comm"])
def test_show_when_the_process_dies_before_a_step(child, monkeypatch, capsys, step: str) -> None:
    kill_before(monkeypatch, step, child)
    line = one_line(*run_cli(["show", "--pid", str(child.pid)], capsys))
    assert line == f"vaslayout: no process {child.pid}"


@needs_linux
@needs_x86_64
def test_lookup_when_the_process_dies_before_its_pagemap_is_read(child, monkeypatch, capsys) -> None:
    maps = proc.read_maps(child.pid)
    addr = next(m.start for m in maps if m.path)  # inside one of its mappings: the CLI reads its pagemap
    kill_before(monkeypatch, "read_pagemap", child)
    line = one_line(*run_cli(["lookup", "--pid", str(child.pid), hex(addr)], capsys))
    assert line == f"vaslayout: no process {child.pid}"


def wait_until_zombie(pid: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = Path(f"/proc/{pid}/stat").read_text()
        if text[text.rfind(")") + 2:].startswith("Z"):
            return
        time.sleep(0.01)
    pytest.fail(f"process {pid} did not exit")


@needs_linux
def test_a_process_that_has_exited_but_is_not_collected_yet(tmp_path: Path) -> None:
    """A zombie's maps read empty, like a kernel thread's: say it has exited, do not draw it empty."""
    task = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        wait_until_zombie(task.pid)
        with pytest.raises(ProcError) as exc:
            proc.read_maps(task.pid)
        assert str(exc.value) == f"process {task.pid} has exited (its parent has not collected it yet)"
        if platform.machine() == "x86_64":
            line = one_user_error(cli("show", "--pid", str(task.pid), cwd=tmp_path))
            assert line == f"vaslayout: process {task.pid} has exited (its parent has not collected it yet)"
    finally:
        task.wait()
    with pytest.raises(ProcError, match=f"^no process {task.pid}$"):
        proc.read_maps(task.pid)


@needs_linux
def test_the_cli_on_a_process_that_just_exited(tmp_path: Path) -> None:
    task = subprocess.Popen([sys.executable, "-c", "pass"])
    task.wait()
    line = one_user_error(cli("lookup", "--pid", str(task.pid), "0x1000", cwd=tmp_path))
    assert line == f"vaslayout: no process {task.pid}"


# -- maps that change between reads ---------------------------------------------------------------


@needs_linux
def test_maps_that_never_hold_still(churning) -> None:
    """Hundreds of reads of a process that maps and unmaps without pause: sorted and disjoint, or one error."""
    good = gave_up = 0
    for _ in range(300):
        try:
            maps = proc.read_maps(churning.pid)
        except ProcError as exc:
            assert str(exc) == (f"process {churning.pid}: its maps kept changing while being read "
                                f"({proc.MAPS_ATTEMPTS} tries); try again")
            gave_up += 1
            continue
        good += 1
        assert all(a.end <= b.start for a, b in zip(maps, maps[1:], strict=False))
        assert all(m.start < m.end for m in maps)
    assert good > 0 and good + gave_up == 300


@needs_linux
@needs_x86_64
def test_live_layouts_of_maps_that_never_hold_still(churning) -> None:
    info = proc.detect()
    for _ in range(30):
        try:
            maps = proc.read_maps(churning.pid)
        except ProcError:
            continue
        layout = live.process_layout(churning.pid, info, maps, "churn")
        assert len([r for r in layout.leaves if r.mapping is not None]) >= len(maps) - 1  # [vsyscall] may merge
        for m in maps[:50]:
            assert layout.path_at(m.start)[-1].start <= m.start


@needs_linux
@needs_x86_64
def test_the_cli_on_maps_that_never_hold_still(churning, tmp_path: Path) -> None:
    outcomes = set()
    for _ in range(6):
        run = cli("lookup", "--pid", str(churning.pid), "0x1000", "--json", cwd=tmp_path)
        if run.returncode == 0:
            outcomes.add("answered")
            assert run.stderr == ""
        else:
            line = one_user_error(run)
            assert "kept changing" in line, line
            outcomes.add("one line")
    assert outcomes


def test_a_read_torn_by_a_change_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines from two moments (out of order) are never mixed: the reader reads again."""
    root = tmp_path / "proc"
    (root / "77").mkdir(parents=True)
    reads = iter([b"2000-3000 r--p 0 00:00 0\n1000-1800 rw-p 0 00:00 0\n",  # torn: out of order
                  b"1000-1800 rw-p 0 00:00 0\n1800-2000 r--p 0 00:00 0\n"])
    monkeypatch.setattr("vaslayout.proc.process._read_file", lambda path: next(reads))
    maps = proc.read_maps(77, root=str(root.parent))
    assert [(m.start, m.end) for m in maps] == [(0x1000, 0x1800), (0x1800, 0x2000)]


# -- an unreadable pagemap ----------------------------------------------------------------------


@needs_linux
@needs_x86_64
@pytest.mark.parametrize(("error", "message"), [
    (PermissionError(errno.EACCES, "Permission denied"), "permission denied reading /proc/{pid}/pagemap"),
    (OSError(errno.EIO, "Input/output error"), "cannot read /proc/{pid}/pagemap: Input/output error"),
])
def test_lookup_with_an_unreadable_pagemap(monkeypatch, capsys, error: OSError, message: str) -> None:
    buf, addr = buffer_address()
    real_open = os.open

    def guarded_open(path, flags, *args, **kwargs):
        if str(path).endswith("/pagemap"):
            raise error
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)
    line = one_line(*run_cli(["lookup", "--pid", "self", hex(addr)], capsys))
    assert line == "vaslayout: " + message.format(pid=os.getpid())
    assert buf[0] == 0x5A


@needs_linux
@needs_x86_64
def test_lookup_with_a_pagemap_that_fails_mid_read(monkeypatch, capsys) -> None:
    buf, addr = buffer_address()

    def failing(fd, n, offset):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "pread", failing)
    line = one_line(*run_cli(["lookup", "--pid", "self", hex(addr)], capsys))
    assert line == f"vaslayout: cannot read /proc/{os.getpid()}/pagemap: Input/output error"


def test_a_short_pagemap_reads_as_absent_pages(tmp_path: Path) -> None:
    root = tmp_path / "proc"
    (root / "5").mkdir(parents=True)
    (root / "5" / "pagemap").write_bytes(b"\xff" * 12)  # one and a half entries
    pages = proc.read_pagemap(5, [0x0, 0x1000, 0x5000], root=str(root.parent), page_size=4096)
    assert pages[0].present
    assert not pages[1].present and not pages[2].present


# -- a pid that is given to another process -------------------------------------------------------


def stat_line(pid: int, comm: str, start: int, state: str = "S") -> str:
    fields = [state, "1", str(pid), str(pid), "0", "-1", "4194560"] + ["0"] * 12 + [str(start), "1000", "100"]
    return f"{pid} ({comm}) " + " ".join(fields) + "\n"


@pytest.fixture
def fake(tmp_path: Path):
    """A fake /proc with process 4242, 'first', started at tick 100, with one mapping and a pagemap."""
    root = tmp_path / "proc"
    d = root / "4242"
    d.mkdir(parents=True)
    (d / "comm").write_text("first\n")
    (d / "stat").write_text(stat_line(4242, "first", 100))
    (d / "maps").write_text("00400000-00401000 r-xp 00000000 08:01 11 /usr/bin/first\n")
    (d / "pagemap").write_bytes(bytes(8 * 0x401))
    return root


def reuse(root: Path, start: int = 5000) -> None:
    """Process 4242 exits; a new process, 'second', is given the same pid."""
    d = root / "4242"
    (d / "comm").write_text("second\n")
    (d / "stat").write_text(stat_line(4242, "second", start))
    (d / "maps").write_text("00600000-00700000 rw-p 00000000 00:00 0\n")


def test_start_time_names_one_process(fake: Path) -> None:
    assert proc.start_time(4242, root=str(fake.parent)) == 100
    (fake / "4242" / "stat").write_text(stat_line(4242, "a) b (c", 123))  # a name that holds ") "
    assert proc.start_time(4242, root=str(fake.parent)) == 123
    (fake / "4242" / "stat").write_text("4242 (x) S 1\n")
    with pytest.raises(ProcError, match="/4242/stat: malformed$"):
        proc.start_time(4242, root=str(fake.parent))
    with pytest.raises(ProcError, match="^no process 999$"):
        proc.start_time(999, root=str(fake.parent))


@needs_linux
def test_start_time_of_real_processes(child) -> None:
    first = proc.start_time(child.pid)
    assert proc.start_time(child.pid) == first
    assert proc.start_time(os.getpid()) <= first
    child.kill()
    child.wait()
    with pytest.raises(ProcError, match=f"^no process {child.pid}$"):
        proc.start_time(child.pid)


def test_maps_of_a_reused_pid_are_refused(fake: Path) -> None:
    started = proc.start_time(4242, root=str(fake.parent))
    assert proc.read_maps(4242, root=str(fake.parent), started=started)[0].path == "/usr/bin/first"
    reuse(fake)
    with pytest.raises(ProcError) as exc:
        proc.read_maps(4242, root=str(fake.parent), started=started)
    assert str(exc.value) == "process 4242 has exited and its pid was given to another process (now 'second')"
    with pytest.raises(ProcError, match="given to another process"):
        proc.read_pagemap(4242, [0x400000], root=str(fake.parent), page_size=4096, started=started)
    assert proc.read_maps(4242, root=str(fake.parent))[0].start == 0x600000  # asked without a start time


def test_a_pid_reused_during_the_read_is_noticed(fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vaslayout.proc.process import _read_file as real

    def read_then_reuse(path: str) -> bytes:
        data = real(path)
        reuse(fake)  # the process exits and its pid is taken while we hold its maps
        return data

    monkeypatch.setattr("vaslayout.proc.process._read_file", read_then_reuse)
    with pytest.raises(ProcError, match="^process 4242 has exited and its pid was given to another process"):
        proc.read_maps(4242, root=str(fake.parent))


def test_a_pid_reused_during_the_pagemap_read_is_noticed(fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.pread

    def pread_then_reuse(fd, n, offset):
        data = real(fd, n, offset)
        reuse(fake)
        return data

    monkeypatch.setattr(os, "pread", pread_then_reuse)
    with pytest.raises(ProcError, match="given to another process"):
        proc.read_pagemap(4242, [0x400000], root=str(fake.parent), page_size=4096)


def test_fixture_trees_without_stat_still_read(fake: Path) -> None:
    (fake / "4242" / "stat").unlink()
    assert len(proc.read_maps(4242, root=str(fake.parent), started=100)) == 1


def live_app_with_reuse(pid: int, fake: Path) -> VasLayoutApp:
    """The map of a real process; on the next re-read its pid belongs to 'second' (in a fake /proc)."""
    d = fake / str(pid)
    d.mkdir(parents=True)
    (d / "comm").write_text("second\n")
    (d / "stat").write_text(stat_line(pid, "second", proc.start_time(pid) + 1000))
    (d / "maps").write_text("00600000-00700000 rw-p 00000000 00:00 0\n")
    source = LiveSource(pid)  # its start time read now, from the real /proc
    app = VasLayoutApp(Session(source))
    source.root = str(fake.parent)  # the next re-read finds the pid given to 'second'
    return app


@needs_linux
@needs_x86_64
async def test_a_reused_pid_is_not_shown_as_the_same_process(child, tmp_path) -> None:
    app = live_app_with_reuse(child.pid, tmp_path / "proc")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "given to another process" in app.session.live_status


@needs_linux
@needs_x86_64
async def test_the_proposed_fix_for_a_reused_pid(child, tmp_path) -> None:
    app = live_app_with_reuse(child.pid, tmp_path / "proc")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session.live_status == (f"process {child.pid} has exited and its pid was given to another process "
                                   "(now 'second')")
        assert app.layout.id == f"pid-{child.pid}"  # the last picture stays

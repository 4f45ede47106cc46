"""The /proc reading layer: maps, pagemap, iomem, comm lookup and running-kernel detection.

Fixture files are real captures where possible (tests/data/proc/README.md);
the tests copy them into a temporary tree laid out like /proc.
"""

from __future__ import annotations

import ctypes
import dataclasses
import errno
import gzip
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaslayout import proc
from vaslayout.proc import kernel
from vaslayout.proc.iomem import IomemEntry
from vaslayout.proc.maps import Mapping, MapsTable
from vaslayout.proc.pagemap import PageInfo
from vaslayout.proc.reader import ProcError

DATA = Path(__file__).resolve().parent / "data" / "proc"
ROOT_DIR = Path(__file__).resolve().parent.parent
IS_ROOT = os.geteuid() == 0
LINUX = Path("/proc/self/maps").exists()
needs_linux = pytest.mark.skipif(not LINUX, reason="needs a Linux /proc")


def fixture_text(name: str) -> str:
    return (DATA / name).read_text()


# --------------------------------------------------------------------------- fake trees


@dataclasses.dataclass
class Tree:
    root: Path  # the fake proc folder
    boot: Path

    @property
    def top(self) -> str:
        """The system root the readers take: the folder holding proc/ and boot/."""
        return str(self.root.parent)

    def pid(self, pid: int, *, comm: str | None = None, maps: str | None = None) -> Path:
        d = self.root / str(pid)
        d.mkdir(parents=True, exist_ok=True)
        if comm is not None:
            (d / "comm").write_text(comm + "\n")
        if maps is not None:
            (d / "maps").write_text(maps)
        return d

    def file(self, name: str, text: str | bytes) -> Path:
        p = self.root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text)
        return p


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """An empty fake /proc (and /boot) to fill per test."""
    root, boot = tmp_path / "proc", tmp_path / "boot"
    root.mkdir()
    boot.mkdir()
    return Tree(root, boot)


@pytest.fixture
def kernel_tree(tree: Tree) -> Callable[..., Tree]:
    """A fake /proc of a running kernel, built from the captured fixture files."""

    def make(*, cpuinfo: str = "cpuinfo-4level.txt", iomem: str | None = "iomem-root.txt",
             kallsyms: str | None = "kallsyms-root.txt", config_gz: str | None = None,
             boot_config: str | None = None, release: str = "6.18.44-test", cmdline: str = "quiet",
             kptr_restrict: str = "0") -> Tree:
        tree.file("version", f"Linux version {release} (builder) #1 SMP\n")
        tree.file("sys/kernel/osrelease", release + "\n")
        tree.file("sys/kernel/kptr_restrict", kptr_restrict + "\n")
        tree.file("cmdline", cmdline + "\n")
        tree.file("meminfo", fixture_text("meminfo.txt"))
        tree.file("cpuinfo", fixture_text(cpuinfo))
        if iomem:
            tree.file("iomem", fixture_text(iomem))
        if kallsyms:
            tree.file("kallsyms", fixture_text(kallsyms))
        if config_gz:
            tree.file("config.gz", gzip.compress(fixture_text(config_gz).encode()))
        if boot_config:
            (tree.boot / f"config-{release}").write_text(fixture_text(boot_config))
        return tree

    return make


def kernel_line(start: int, end: int, perms: str, offset: int = 0, dev: str = "00:00", inode: int = 0,
                path: str = "") -> str:
    """A maps line in the kernel's own format (path padded to column 74)."""
    head = f"{start:08x}-{end:08x} {perms} {offset:08x} {dev} {inode} "
    return head.ljust(73) + path if path else head


def generated_maps(n: int = 65_530) -> str:
    """n one-page anonymous mappings with alternating protections, as a big process shows them."""
    base = 0x7F00_0000_0000
    return "".join(kernel_line(base + i * 0x1000, base + (i + 1) * 0x1000, "rw-p" if i % 2 else "r--p") + "\n"
                   for i in range(n))


# --------------------------------------------------------------------------- parse_maps


def test_parse_real_cat_maps() -> None:
    maps = proc.parse_maps(fixture_text("maps-cat.txt"), "maps-cat.txt")
    assert len(maps) == 38
    assert maps[0] == Mapping(0x561490CFD000, 0x561490CFF000, "r--p", 0, "fe:00", 260131, "/usr/bin/cat")
    assert [m.kind for m in maps[:6]] == ["user-data", "user-text", "user-data", "user-data", "user-data", "heap"]
    assert maps[6].path == "" and maps[6].name == "anonymous" and maps[6].kind == "mmap"
    by_name = {m.name: m for m in maps}
    assert by_name["[vdso]"].kind == "mmap"
    assert by_name["[vvar]"].kind == "mmap"
    assert by_name["[stack]"] == Mapping(0x7FFE3679D000, 0x7FFE367BE000, "rw-p", 0, "00:00", 0, "[stack]")
    assert by_name["[stack]"].size == 0x21000
    assert maps[-1] == Mapping(0xFFFFFFFFFF600000, 0xFFFFFFFFFF601000, "--xp", 0, "00:00", 0, "[vsyscall]")
    assert maps[-1].kind == "vsyscall"
    libc_text = [m for m in maps if m.path.endswith("libc.so.6") and m.kind == "user-text"]
    assert [(m.start, m.offset) for m in libc_text] == [(0x7F8B240BA000, 0x26000)]


def test_parse_real_python_maps_with_spaces_and_deleted() -> None:
    maps = proc.parse_maps(fixture_text("maps-python.txt"), "maps-python.txt")
    assert len(maps) == 113
    deleted = [m for m in maps if m.deleted]
    assert [(m.path, m.perms, m.kind) for m in deleted] == [
        ("/dev/zero (deleted)", "rw-s", "user-data"),
        ("/tmp/vaslayout fixture.bin (deleted)", "rw-s", "user-data"),
    ]
    assert deleted[1].start == 0x7FEA7CF77000 and deleted[1].inode == 2146328
    assert sum(1 for m in maps if m.perms == "---p" and not m.path) == 4  # thread-stack guards, arena tails
    assert all(a.end <= b.start for a, b in pairwise(maps))


def test_parse_edge_cases() -> None:
    maps = proc.parse_maps(fixture_text("maps-edge.txt"), "maps-edge.txt")
    assert [(m.name, m.kind) for m in maps] == [
        ("/opt/my app/bin/tool", "user-text"),
        ("/opt/my app/bin/tool", "user-data"),
        ("[heap]", "heap"),
        ("/memfd:wayland-shm (deleted)", "user-data"),
        ("anonymous", "mmap"),
        ("[anon:glibc malloc arena]", "mmap"),
        ("anonymous", "mmap"),
        ("[stack:4321]", "stack"),
        ("[vvar]", "mmap"),
        ("[vdso]", "mmap"),
        ("/usr/lib/x86_64-linux-gnu/libc.so.6", "user-text"),
        ("[stack]", "stack"),
        ("[vsyscall]", "vsyscall"),
    ]
    assert maps[0].dev == "103:02" and maps[1].offset == 0x1000 and maps[10].offset == 0x2000
    assert maps[3].deleted and not maps[2].deleted


def test_parse_without_padding_or_trailing_newline() -> None:
    text = "1000-2000 r-xp 00000000 08:01 5 /bin/my prog  \n3000-4000 rw-p 00000000 00:00 0"
    assert proc.parse_maps(text, "x") == [
        Mapping(0x1000, 0x2000, "r-xp", 0, "08:01", 5, "/bin/my prog  "),
        Mapping(0x3000, 0x4000, "rw-p", 0, "00:00", 0, ""),
    ]
    assert proc.parse_maps("", "x") == []


def test_only_newline_ends_a_line() -> None:
    odd = "/tmp/a\rb\x0bc\x1cd\x85e\u2028f"  # line breaks for str.splitlines, legal in a file name
    text = kernel_line(0x1000, 0x2000, "rw-p", 0, "08:01", 9, odd) + "\n" + kernel_line(0x3000, 0x4000, "r--p")
    maps = proc.parse_maps(text, "x")
    assert [m.path for m in maps] == [odd, ""]


def test_malformed_line_deep_in_a_big_file() -> None:
    lines = generated_maps().split("\n")
    lines[59_999] = lines[59_999].replace("rw-p", "rw-z").replace("r--p", "r--z")
    with pytest.raises(ProcError) as exc:
        proc.parse_maps("\n".join(lines), "big")
    assert str(exc.value) == (
        "big:60000: malformed line: '7f000ea5f000-7f000ea60000 rw-z 00000000 00:00 0 ' (bad permissions 'rw-z')"
    )
    with pytest.raises(ProcError, match="^big:65531: malformed line: '' "):
        proc.parse_maps(generated_maps() + "\n", "big")


def test_parsed_mappings_are_ordinary_frozen_values() -> None:
    m = proc.parse_maps(fixture_text("maps-edge.txt"), "x")[0]
    again = Mapping(**dataclasses.asdict(m))
    assert m == again and hash(m) == hash(again) and repr(m) == repr(again)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.start = 0  # type: ignore[misc]
    assert dataclasses.replace(m, path="").kind == "mmap"


def test_malformed_file_names_origin_and_line() -> None:
    with pytest.raises(ProcError) as exc:
        proc.parse_maps(fixture_text("maps-malformed.txt"), "/proc/1234/maps")
    assert str(exc.value) == (
        "/proc/1234/maps:4: malformed line: '7f0000003000-7f0000004000 rw-p zzzz 00:00 0 ' (bad offset 'zzzz')"
    )


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("1000-2000 r-xp 00000000 08:01", "expected 'start-end perms offset dev inode [path]'"),
        ("", "expected 'start-end perms offset dev inode [path]'"),
        ("10002000 r-xp 00000000 08:01 5", "bad range '10002000'"),
        ("1000-2g00 r-xp 00000000 08:01 5", "bad range '1000-2g00'"),
        ("2000-1000 r-xp 00000000 08:01 5", "start 0x2000 is not below end 0x1000"),
        ("1000-1000 r-xp 00000000 08:01 5", "start 0x1000 is not below end 0x1000"),
        ("1000-2000 rwxq 00000000 08:01 5 /x", "bad permissions 'rwxq'"),
        ("1000-2000 rw 00000000 08:01 5 /x", "bad permissions 'rw'"),
        ("1000-2000 r-xp 00000000 0801 5 /x", "bad device '0801'"),
        ("1000-2000 r-xp 00000000 08:zz 5 /x", "bad device '08:zz'"),
        ("1000-2000 r-xp 00000000 08:01 x5 /x", "bad inode 'x5'"),
    ],
)
def test_malformed_lines(line: str, why: str) -> None:
    good = "0100-0200 r--p 00000000 00:00 0\n"
    with pytest.raises(ProcError) as exc:
        proc.parse_maps(good + line + "\n" + good, "m")
    assert str(exc.value) == f"m:2: malformed line: {line!r} ({why})"
    assert "\n" not in str(exc.value)
    with pytest.raises(ProcError) as by_column:
        proc.parse_maps_table(good + line + "\n" + good, "m")
    assert str(by_column.value) == str(exc.value)


def test_generated_65530_line_file(tree: Tree) -> None:
    tree.pid(777, maps=generated_maps())
    t0 = time.perf_counter()
    maps = proc.read_maps(777, root=tree.top)
    elapsed = time.perf_counter() - t0
    assert len(maps) == 65_530
    assert maps[0] == Mapping(0x7F00_0000_0000, 0x7F00_0000_1000, "r--p", 0, "00:00", 0, "")
    assert maps[-1] == Mapping(0x7F00_0FFF_9000, 0x7F00_0FFF_A000, "rw-p", 0, "00:00", 0, "")
    assert {m.kind for m in maps} == {"mmap"}
    assert elapsed < 2.0, f"65,530 lines took {elapsed:.2f} s"  # catches quadratic work, not a benchmark


# --------------------------------------------------------------------------- parse_maps_table


@pytest.mark.parametrize("fixture", ["maps-cat.txt", "maps-python.txt", "maps-edge.txt"])
def test_table_holds_what_parse_maps_does(fixture: str) -> None:
    table = proc.parse_maps_table(fixture_text(fixture), fixture)
    maps = proc.parse_maps(fixture_text(fixture), fixture)
    assert list(table) == maps
    assert (table.starts, table.ends) == ([m.start for m in maps], [m.end for m in maps])
    assert len({id(r) for r in table.rests}) == len({(m.perms, m.offset, m.dev, m.inode, m.path) for m in maps})


def test_table_shares_one_rest_among_lines_that_say_the_same() -> None:
    table = proc.parse_maps_table(generated_maps(), "big")
    assert len(table) == 65_530
    assert table[0] == Mapping(0x7F00_0000_0000, 0x7F00_0000_1000, "r--p", 0, "00:00", 0, "")
    assert table[-1] == Mapping(0x7F00_0FFF_9000, 0x7F00_0FFF_A000, "rw-p", 0, "00:00", 0, "")
    assert len({id(r) for r in table.rests}) == 2


def test_table_slices_and_bisects() -> None:
    table = proc.parse_maps_table(fixture_text("maps-cat.txt"), "maps-cat.txt")
    part = table[3:6]
    assert isinstance(part, MapsTable) and list(part) == list(table)[3:6]
    assert table.ending_above(1 << 47) == [table[-1]]  # [vsyscall]
    assert table.ending_above(table.ends[-2]) == [table[-1]]  # the last byte of a line is not above it
    assert table.ending_above(table.ends[-2] - 1) == list(table)[-2:]
    assert table.ending_above(0) == list(table)


@pytest.mark.parametrize(
    "text",
    [
        "1000-2000 r-xp 00000000 08:01 5 /bin/my prog  \n3000-4000 rw-p 00000000 00:00 0",  # no last newline
        "1000-2000 r--p 00000000 00:00 0\n3000-4000 rw-p 00000000 00:00 0\n",  # no padding
        "00001000-000020A0 r--p 0000000F 0A:0B 0\n",  # upper case: int() takes it, the kernel never writes it
        kernel_line(0x1000, 0x2000, "rw-p", 0, "08:01", 9, "/tmp/a\rb\x0bc\x1cd\x85e\u2028f") + "\n",
        "",
    ],
)
def test_table_takes_odd_lines_as_parse_maps_does(text: str) -> None:
    assert list(proc.parse_maps_table(text, "x")) == proc.parse_maps(text, "x")


def test_table_refuses_lines_out_of_order_naming_the_line() -> None:
    text = "1000-3000 r--p 00000000 00:00 0\n4000-5000 r--p 00000000 00:00 0\n4fff-6000 r--p 00000000 00:00 0\n"
    with pytest.raises(ProcError) as exc:
        proc.parse_maps_table(text, "m")
    assert str(exc.value) == "m:3: 4fff-6000 is out of order or overlaps the line before"
    assert len(proc.parse_maps(text, "m")) == 3


_FIELD = st.sampled_from(["", " ", "  ", "-", ":", "0", "00", "1", "a", "f", "A", "g", "x", "z", "0x1",
                          "r-xp", "rw-p", "rwxs", "rw-z", "00:00", "08:01", "103:02", "1:x", "[heap]", "/bin/a b",
                          "\t", "\r", "\x0b", "\u2028", "\u00e9", " (deleted)"])


@st.composite
def maps_lines(draw: st.DrawFn) -> str:
    """Mostly well-formed lines, some broken in any field: every path of both parsers."""
    if draw(st.integers(0, 4)) == 0:
        return "".join(draw(st.lists(_FIELD, max_size=8)))
    start = draw(st.integers(0, 1 << 20)) * 0x1000
    end = start + draw(st.integers(-1, 4)) * 0x1000
    perms = draw(st.sampled_from(["r--p", "rw-p", "r-xp", "---p", "rwxs", "rw-z"]))
    fields = [f"{start:x}-{end:x}", perms, f"{draw(st.integers(0, 1 << 33)):08x}",
              draw(st.sampled_from(["00:00", "fe:00", "103:02", "0:x"])), str(draw(st.integers(0, 1 << 40)))]
    for _ in range(draw(st.integers(0, 2))):
        fields[draw(st.integers(0, 4))] = draw(_FIELD)
    return " ".join(fields) + draw(st.sampled_from(["", " ", " " * 30 + "/lib/x.so", " [stack]", " a\rb"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(maps_lines(), max_size=12), st.booleans())
def test_table_agrees_with_parse_maps_on_any_text(lines: list[str], last_newline: bool) -> None:
    text = "\n".join(lines) + ("\n" if last_newline and lines else "")
    try:
        expected = proc.parse_maps(text, "h")
    except ProcError as exc:
        with pytest.raises(ProcError) as by_column:
            proc.parse_maps_table(text, "h")
        assert str(by_column.value) == str(exc)
        return
    if all(a.end <= b.start for a, b in pairwise(expected)):
        assert list(proc.parse_maps_table(text, "h")) == expected
    else:
        with pytest.raises(ProcError, match="out of order or overlaps"):
            proc.parse_maps_table(text, "h")


# --------------------------------------------------------------------------- read_maps


@needs_linux
def test_read_maps_of_this_process() -> None:
    buf = bytearray(3 * 4096)
    addr = ctypes.addressof((ctypes.c_char * len(buf)).from_buffer(buf))
    maps = proc.read_maps(os.getpid())
    assert all(a.end <= b.start for a, b in pairwise(maps))
    assert any(m.start <= addr < m.end and "rw" in m.perms for m in maps)
    assert "[stack]" in {m.name for m in maps}


READERS = pytest.mark.parametrize("read", [proc.read_maps, proc.read_maps_table], ids=["list", "table"])


@READERS
def test_read_maps_retries_a_torn_read(read: Callable[..., Sequence[Mapping]], tree: Tree,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    tree.pid(4242)
    torn = "1000-2000 r--p 00000000 00:00 0\n3000-4000 r--p 00000000 00:00 0\n1800-2800 r--p 00000000 00:00 0\n"
    overlapping = "1000-3000 r--p 00000000 00:00 0\n2000-4000 r--p 00000000 00:00 0\n"
    good = "1000-2000 r--p 00000000 00:00 0\n3000-4000 r--p 00000000 00:00 0\n"
    reads = iter([torn.encode(), overlapping.encode(), good.encode()])
    calls: list[str] = []

    def fake(path: str) -> bytes:
        calls.append(path)
        return next(reads)

    monkeypatch.setattr("vaslayout.proc.process._read_file", fake)
    maps = read(4242, root=tree.top)
    assert [(m.start, m.end) for m in maps] == [(0x1000, 0x2000), (0x3000, 0x4000)]
    assert calls == [str(tree.root / "4242" / "maps")] * 3


@READERS
def test_read_maps_gives_up_when_maps_keep_changing(read: Callable[..., Sequence[Mapping]], tree: Tree,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    tree.pid(4242)
    calls = []

    def fake(path: str) -> bytes:
        calls.append(path)
        return b"3000-4000 r--p 00000000 00:00 0\n1000-2000 r--p 00000000 00:00 0\n"

    monkeypatch.setattr("vaslayout.proc.process._read_file", fake)
    with pytest.raises(ProcError) as exc:
        read(4242, root=tree.top)
    assert str(exc.value) == "process 4242: its maps kept changing while being read (4 tries); try again"
    assert len(calls) == 4


def test_read_maps_table_takes_a_first_read_and_rereads_when_it_is_torn(
        tree: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    tree.pid(4242)
    torn = b"1000-2000 r--p 00000000 00:00 0\n1800-2800 r--p 00000000 00:00 0\n"
    good = b"1000-2000 r--p 00000000 00:00 0\n3000-4000 r--p 00000000 00:00 0\n"
    calls: list[str] = []

    def fake(path: str) -> bytes:
        calls.append(path)
        return good

    monkeypatch.setattr("vaslayout.proc.process._read_file", fake)
    assert list(proc.read_maps_table(4242, root=tree.top, first=good)) == proc.parse_maps(good.decode(), "")
    assert calls == []
    assert list(proc.read_maps_table(4242, root=tree.top, first=torn)) == proc.parse_maps(good.decode(), "")
    assert calls == [str(tree.root / "4242" / "maps")]


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@needs_linux
def test_child_read_copies_a_file_and_leaves_nothing_behind(tmp_path: Path) -> None:
    f = tmp_path / "big"
    f.write_bytes(bytes(range(256)) * 5000)
    fds = open_fds()
    with proc.ChildRead(str(f)) as early:
        assert early.data is None  # set on leaving the block
    assert early.data == f.read_bytes()
    assert open_fds() == fds
    with pytest.raises(ChildProcessError):
        os.waitpid(early._child, os.WNOHANG)  # the child was collected
    proc.ChildRead(str(f))  # made but never entered: nothing started
    assert open_fds() == fds


@needs_linux
def test_child_read_of_what_cannot_be_read_leaves_the_read_to_the_caller(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    fds = open_fds()
    with proc.ChildRead(str(tmp_path / "missing")) as early:
        pass
    assert early.data is None and open_fds() == fds
    (tmp_path / "empty").write_bytes(b"")
    with proc.ChildRead(str(tmp_path / "empty")) as early:
        pass
    assert early.data is None  # read again by the caller: /proc files say they are empty
    monkeypatch.setattr("vaslayout.proc.reader._CATS", (str(tmp_path / "no-cat"),))
    with proc.ChildRead(__file__) as early:
        pass
    assert early.data is None and open_fds() == fds


@needs_linux
def test_child_read_of_this_process_maps_is_what_read_maps_sees() -> None:
    with proc.ChildRead(f"/proc/{os.getpid()}/maps") as early:
        pass
    assert early.data is not None
    table = proc.read_maps_table(os.getpid(), first=early.data)
    assert list(table) == proc.parse_maps(early.data.decode("utf-8", "backslashreplace"), "self")
    assert "[stack]" in {m.name for m in table}


@READERS
def test_read_maps_reports_the_file_and_line(read: Callable[..., Sequence[Mapping]], tree: Tree) -> None:
    tree.pid(55, maps=fixture_text("maps-malformed.txt"))
    with pytest.raises(ProcError, match=r"^.*/55/maps:4: malformed line: "):
        read(55, root=tree.top)


def pid_beyond_max() -> int:
    try:
        return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1
    except OSError:
        return 4_194_305


@needs_linux
def test_no_such_process() -> None:
    pid = pid_beyond_max()
    with pytest.raises(ProcError) as exc:
        proc.read_maps(pid)
    assert str(exc.value) == f"no process {pid}"
    with pytest.raises(ProcError, match=f"^no process {pid}$"):
        proc.read_pagemap(pid, [0x1000])
    with pytest.raises(ProcError, match=f"^no process {pid}$"):
        proc.resolve_pid(str(pid))
    with pytest.raises(ProcError, match="^no process 0$"):
        proc.read_maps(0)


@needs_linux
def test_process_that_has_exited() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with pytest.raises(ProcError, match=f"^no process {child.pid}$"):
        proc.read_maps(child.pid)


@pytest.mark.parametrize(
    "error",
    [ProcessLookupError(errno.ESRCH, "No such process"), OSError(errno.ESRCH, "No such process"),
     FileNotFoundError(errno.ENOENT, "No such file or directory")],
    ids=["ProcessLookupError", "ESRCH", "FileNotFoundError"],
)
def test_process_exits_while_maps_are_read(tree: Tree, monkeypatch: pytest.MonkeyPatch, error: OSError) -> None:
    tree.pid(4242)

    def fake(path: str) -> bytes:
        raise error

    monkeypatch.setattr("vaslayout.proc.process._read_file", fake)
    with pytest.raises(ProcError) as exc:
        proc.read_maps(4242, root=tree.top)
    assert str(exc.value) == "process 4242 exited while its maps were read"


def test_maps_vanish_with_the_process(tree: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    piddir = tree.pid(4242, maps="1000-2000 r--p 00000000 00:00 0\n")
    assert len(proc.read_maps(4242, root=tree.top)) == 1
    (piddir / "maps").unlink()
    with pytest.raises(ProcError, match="^process 4242 exited while its maps were read$"):
        proc.read_maps(4242, root=tree.top)
    shutil.rmtree(piddir)
    with pytest.raises(ProcError, match="^no process 4242$"):
        proc.read_maps(4242, root=tree.top)

    def empty_then_gone(path: str) -> bytes:
        return b""  # an exited task's maps read empty; its directory is gone

    monkeypatch.setattr("vaslayout.proc.process._read_file", empty_then_gone)
    with pytest.raises(ProcError, match="^process 4242 exited while its maps were read$"):
        proc.read_maps(4242, root=tree.top)


def test_empty_maps_of_a_live_task(tree: Tree) -> None:
    tree.pid(2, maps="")  # a kernel thread has no user mappings
    assert proc.read_maps(2, root=tree.top) == []


def test_permission_denied(tree: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    tree.pid(1)

    def fake(path: str) -> bytes:
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr("vaslayout.proc.process._read_file", fake)
    with pytest.raises(ProcError) as exc:
        proc.read_maps(1, root=tree.top)
    assert str(exc.value) == f"permission denied reading {tree.root / '1' / 'maps'}"


def test_other_read_errors_name_the_file(tree: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    tree.pid(9)

    def fake(path: str) -> bytes:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("vaslayout.proc.process._read_file", fake)
    with pytest.raises(ProcError) as exc:
        proc.read_maps(9, root=tree.top)
    assert str(exc.value) == f"cannot read {tree.root / '9' / 'maps'}: Input/output error"


def as_nobody(fn: Callable[[], object]) -> str:
    """Run fn in a forked child that dropped root; return repr(result) or 'ProcError: message'."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            libc = ctypes.CDLL(None)
            libc.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: keep /proc/self owned by us after setuid
            try:
                out = repr(fn())
            except ProcError as exc:
                out = f"ProcError: {exc}"
            os.write(w, out.encode())
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    while chunk := os.read(r, 65536):
        chunks.append(chunk)
    os.close(r)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode()


@needs_linux
def test_real_permission_denied_on_init() -> None:
    if IS_ROOT:
        got = as_nobody(lambda: proc.read_maps(1))
    else:
        try:
            proc.read_maps(1)
            pytest.skip("this user may read init's maps")
        except ProcError as exc:
            got = f"ProcError: {exc}"
    assert got == "ProcError: permission denied reading /proc/1/maps"


# --------------------------------------------------------------------------- processes


def test_resolve_pid(tree: Tree) -> None:
    tree.pid(101, comm="bash")
    tree.pid(202, comm="bash")
    tree.pid(303, comm="bash")
    tree.pid(404, comm="sshd")
    tree.pid(505, comm="gnome-shell-cal")  # the kernel truncates comm to 15 characters
    tree.pid(606)  # exited between listdir and open: no comm file
    (tree.root / "self").mkdir()
    tree.file("sys/kernel/pid_max", "4194304\n")
    root = tree.top
    assert proc.resolve_pid("self", root) == os.getpid()
    assert proc.resolve_pid("404", root) == 404
    assert proc.resolve_pid(" 404 ", root) == 404
    assert proc.resolve_pid("sshd", root) == 404
    assert proc.resolve_pid("gnome-shell-calendar-server", root) == 505
    assert proc.resolve_pid("gnome-shell-cal", root) == 505
    with pytest.raises(ProcError) as exc:
        proc.resolve_pid("bash", root)
    assert str(exc.value) == "3 processes named 'bash': 101, 202, 303"
    with pytest.raises(ProcError, match="^no process named 'nginx'$"):
        proc.resolve_pid("nginx", root)
    with pytest.raises(ProcError, match="^no process 999$"):
        proc.resolve_pid("999", root)
    with pytest.raises(ProcError, match="^no process 0$"):
        proc.resolve_pid("0", root)
    with pytest.raises(ProcError, match="^empty process"):
        proc.resolve_pid("  ", root)
    assert proc.comm(505, root) == "gnome-shell-cal"
    with pytest.raises(ProcError, match="^no process 999$"):
        proc.comm(999, root)


def test_many_candidates_stay_on_one_line(tree: Tree) -> None:
    for pid in range(1000, 1025):
        tree.pid(pid, comm="worker")
    with pytest.raises(ProcError) as exc:
        proc.resolve_pid("worker", tree.top)
    msg = str(exc.value)
    assert msg.startswith("25 processes named 'worker': 1000, 1001, ")
    assert msg.endswith("1019, ... (5 more)")


@needs_linux
def test_resolve_live_names() -> None:
    child = subprocess.Popen(["sleep", "30"])
    try:
        deadline = time.monotonic() + 5
        while (name := proc.comm(child.pid)) != "sleep" and time.monotonic() < deadline:
            time.sleep(0.01)  # the exec may still be renaming the task after Popen returned
        assert name == "sleep"
        pids = [p for p in os.listdir("/proc") if p.isdigit() and Path(f"/proc/{p}/comm").exists()]
        try:
            sleeps = [int(p) for p in pids if Path(f"/proc/{p}/comm").read_text().strip() == "sleep"]
        except OSError:
            sleeps = [child.pid, -1]
        if sleeps == [child.pid]:
            assert proc.resolve_pid("sleep") == child.pid
        assert proc.comm(os.getpid()) == Path("/proc/self/comm").read_text().rstrip("\n")
    finally:
        child.kill()
        child.wait()


# --------------------------------------------------------------------------- pagemap


def test_pagemap_fixture(tree: Tree) -> None:
    present = 1 << 63
    entries = {
        0x0040_0123: present | 1 << 56 | 1 << 55 | 0x12345,  # exclusive, soft-dirty anon page
        0x1000_1000: 1 << 62 | 0x77 << 5 | 3,  # swapped: type 3, offset 0x77
        0x1000_2ABC: present | 1 << 61,  # file page, PFN hidden
        0x1000_3000: 0,  # not mapped
    }
    size = max(v >> 12 for v in entries) * 8 + 8
    data = bytearray(size)
    for v, raw in entries.items():
        data[(v >> 12) * 8:(v >> 12) * 8 + 8] = raw.to_bytes(8, sys.byteorder)
    tree.pid(42)
    tree.file("42/pagemap", bytes(data))
    got = proc.read_pagemap(42, [*entries, 0x7FFF_FFFF_E000], root=tree.top, page_size=4096)
    assert got[0] == PageInfo(vaddr=0x400123, present=True, swapped=False, file_or_shared=False, exclusive=True,
                              soft_dirty=True, pfn=0x12345, pfn_hidden=False, phys=0x12345123,
                              raw=entries[0x400123])
    assert got[1] == PageInfo(vaddr=0x10001000, present=False, swapped=True, file_or_shared=False,
                              exclusive=False, soft_dirty=False, pfn=None, pfn_hidden=False, phys=None,
                              raw=entries[0x10001000])
    assert (got[1].swap_type, got[1].swap_offset) == (3, 0x77)
    assert (got[0].swap_type, got[0].swap_offset) == (None, None)
    assert got[2] == PageInfo(vaddr=0x10002ABC, present=True, swapped=False, file_or_shared=True,
                              exclusive=False, soft_dirty=False, pfn=None, pfn_hidden=True, phys=None,
                              raw=present | 1 << 61)
    assert got[3] == proc.page_info(0x10003000, 0) and not got[3].present and got[3].pfn is None
    assert got[4].raw == 0 and not got[4].present  # beyond the file: the kernel has no entry either
    with pytest.raises(ProcError, match="^0x10000000000000000 is not a 64-bit address$"):
        proc.read_pagemap(42, [1 << 64], root=tree.top)


def test_pagemap_permission_denied(tree: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    tree.pid(42)
    tree.file("42/pagemap", b"")

    def denied(path: str, flags: int) -> int:
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(ProcError) as exc:
        proc.read_pagemap(42, [0x1000], root=tree.top)
    assert str(exc.value) == f"permission denied reading {tree.root / '42' / 'pagemap'}"


def test_pagemap_process_exits_mid_read(tree: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    tree.pid(42)
    tree.file("42/pagemap", bytes(16))

    def gone(fd: int, n: int, offset: int) -> bytes:
        raise ProcessLookupError(errno.ESRCH, "No such process")

    monkeypatch.setattr(os, "pread", gone)
    with pytest.raises(ProcError, match="^process 42 exited while its pagemap was read$"):
        proc.read_pagemap(42, [0x1000], root=tree.top)


def touched_buffer() -> tuple[bytearray, int]:
    buf = bytearray(b"\x5a" * 8192)
    addr = ctypes.addressof((ctypes.c_char * len(buf)).from_buffer(buf))
    return buf, addr + 0x123


@needs_linux
def test_pagemap_of_this_process() -> None:
    buf, addr = touched_buffer()
    (page,) = proc.read_pagemap(os.getpid(), [addr])
    assert page.vaddr == addr
    assert page.present and not page.swapped and not page.file_or_shared
    if page.pfn_hidden:
        assert page.pfn is None and page.phys is None
    else:
        assert isinstance(page.pfn, int) and page.pfn > 0
        assert page.phys == page.pfn * os.sysconf("SC_PAGE_SIZE") + addr % os.sysconf("SC_PAGE_SIZE")
    assert buf[0] == 0x5A


@needs_linux
@pytest.mark.skipif(not IS_ROOT, reason="needs root to drop privileges")
def test_pagemap_hides_pfns_without_cap_sys_admin() -> None:
    def own_page() -> tuple[bool, bool, object]:
        buf, addr = touched_buffer()
        (page,) = proc.read_pagemap(os.getpid(), [addr])
        return page.present, page.pfn_hidden, page.pfn

    assert as_nobody(own_page) == "(True, True, None)"
    buf, addr = touched_buffer()
    (page,) = proc.read_pagemap(os.getpid(), [addr])
    assert page.pfn is not None and not page.pfn_hidden  # root sees the PFN


# --------------------------------------------------------------------------- iomem


def test_iomem_tree() -> None:
    entries = proc.parse_iomem(fixture_text("iomem-root.txt"), "iomem")
    assert [e.name for e in entries] == [
        "Reserved", "System RAM", "Reserved", "System RAM", "PCI Bus 0000:00", "Reserved", "IOAPIC 0",
        "System RAM", "PCI Bus 0000:00",
    ]
    assert sum(1 for _ in proc.walk_iomem(entries)) == 27
    ram = entries[3]
    assert (ram.start, ram.end, ram.depth, ram.size) == (0x100000, 0xC0000000, 0, 0xBFF00000)
    assert [(c.name, c.start, c.end, c.depth) for c in ram.children] == [
        ("Kernel code", 0x1000000, 0x22090C8, 1),
        ("Kernel rodata", 0x2400000, 0x2E09000, 1),
        ("Kernel data", 0x3000000, 0x327C040, 1),
        ("Kernel bss", 0x3B34000, 0x3C58000, 1),
    ]
    ecam = entries[5].children[0]
    assert ecam.children == (IomemEntry(0xEEC00000, 0xEED00000, "PCI Bus 0000:00", 2),)
    assert not proc.iomem_hidden(entries)
    assert proc.system_ram(entries) == [(0x1000, 0x9FC00), (0x100000, 0xC0000000), (0x100000000, 0x640000000)]
    assert proc.kernel_image(entries) == {
        "Kernel code": (0x1000000, 0x22090C8),
        "Kernel rodata": (0x2400000, 0x2E09000),
        "Kernel data": (0x3000000, 0x327C040),
        "Kernel bss": (0x3B34000, 0x3C58000),
    }


def test_iomem_hidden_for_non_root() -> None:
    entries = proc.parse_iomem(fixture_text("iomem-user.txt"), "iomem")
    assert sum(1 for _ in proc.walk_iomem(entries)) == 27
    assert proc.iomem_hidden(entries)
    assert entries[1] == IomemEntry(0, 1, "System RAM", 0)
    assert proc.system_ram(entries) == []
    assert proc.kernel_image(entries) == {}
    assert not proc.iomem_hidden([])


def test_read_iomem_from_tree(tree: Tree) -> None:
    tree.file("iomem", fixture_text("iomem-kaslr.txt"))
    entries = proc.read_iomem(tree.top)
    assert proc.system_ram(entries) == [(0x1000, 0x9F000), (0x100000, 0x40000000), (0x100000000, 0x280000000)]
    with pytest.raises(ProcError, match=r"^cannot read .*/nowhere/proc/iomem: No such file or directory$"):
        proc.read_iomem(str(tree.root / "nowhere"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("00000000-00000fff : Reserved\n0000zz00-0009fbff : System RAM\n",
         "iomem:2: malformed line: '0000zz00-0009fbff : System RAM'"),
        ("00000000-00000fff Reserved\n", "iomem:1: malformed line: '00000000-00000fff Reserved'"),
        ("00000000-00000fff : Reserved\n   00000000-000000ff : odd\n",
         "iomem:2: malformed line: '   00000000-000000ff : odd'"),
        ("00000000-00000fff : Reserved\n    00000000-000000ff : deep\n",
         "iomem:2: indented 1 levels too deep: '    00000000-000000ff : deep'"),
    ],
)
def test_iomem_malformed(text: str, message: str) -> None:
    with pytest.raises(ProcError) as exc:
        proc.parse_iomem(text, "iomem")
    assert str(exc.value) == message


@needs_linux
def test_live_iomem_and_hidden_flag() -> None:
    entries = proc.read_iomem()
    if IS_ROOT:
        assert not proc.iomem_hidden(entries)
        assert proc.system_ram(entries)
        assert as_nobody(lambda: proc.iomem_hidden(proc.read_iomem())) == "True"


# --------------------------------------------------------------------------- detect


def test_detect_4level_captured(kernel_tree: Callable[..., Tree]) -> None:
    t = kernel_tree(config_gz="config-6.18.txt")
    info = proc.detect(t.top, machine="x86_64")
    assert info.linux and info.release == "6.18.44-test" and info.arch == "x86_64"
    assert not info.la57_cpu and not info.five_level and info.paging == "x86-64-4level"
    assert info.config_source == str(t.root / "config.gz")
    assert info.config == {
        "CONFIG_X86_64": "y", "CONFIG_PGTABLE_LEVELS": "5", "CONFIG_PHYSICAL_START": "0x1000000",
        "CONFIG_RANDOMIZE_BASE": "y", "CONFIG_PHYSICAL_ALIGN": "0x1000000", "CONFIG_RANDOMIZE_MEMORY": "y",
        "CONFIG_KASAN": "n", "CONFIG_RANDOMIZE_MEMORY_PHYSICAL_PADDING": "0xa",
    }
    assert info.ram_ranges == ((0x1000, 0x9FC00), (0x100000, 0xC0000000), (0x100000000, 0x640000000))
    assert info.total_ram == 0x9EC00 + 0xBFF00000 + 0x540000000
    assert info.text == 0xFFFFFFFF81000000 and info.kaslr_offset == 0 and info.phys_base == 0
    assert info.kernel_image["Kernel code"] == (0x1000000, 0x22090C8)
    assert not info.iomem_hidden and not info.text_hidden
    assert info.defaults == ("page_offset_base", "vmalloc_base", "vmemmap_base")
    assert "la57 not in the CPU flags of " + str(t.root / "cpuinfo") in info.notes
    assert "4-level paging: the CPU has no la57" in info.notes


def test_config_keeps_only_the_layout_lines_as_written() -> None:
    text = ("  CONFIG_HIGHMEM4G=y  \n# CONFIG_X86_5LEVEL is not set\r\nCONFIG_PAGE_OFFSET=\"0xC0000000\"\n"
            "CONFIG_X86_64_SMP=y\n# CONFIG_X86_64=y\n#CONFIG_KASAN is not set\nCONFIG_VMSPLIT_3G=y\n"
            "CONFIG_PGTABLE_LEVELS=4\nCONFIG_PGTABLE_LEVELS=5\nCONFIG_X86_PAE\n")
    assert kernel._parse_config(text) == {
        "CONFIG_HIGHMEM4G": "y", "CONFIG_X86_5LEVEL": "n", "CONFIG_PAGE_OFFSET": "0xC0000000",
        "CONFIG_VMSPLIT_3G": "y", "CONFIG_PGTABLE_LEVELS": "5",  # the last word wins, as in Kconfig
    }


def test_detect_5level_from_boot_config(kernel_tree: Callable[..., Tree]) -> None:
    t = kernel_tree(cpuinfo="cpuinfo-la57.txt", boot_config="config-5level.txt", release="5.15.0-91-generic")
    info = proc.detect(t.top, machine="x86_64")
    assert info.la57_cpu and info.five_level and info.paging == "x86-64-5level"
    assert info.release == "5.15.0-91-generic"
    assert info.config_source == str(t.boot / "config-5.15.0-91-generic")
    assert info.config["CONFIG_X86_5LEVEL"] == "y"
    assert info.config["CONFIG_DYNAMIC_MEMORY_LAYOUT"] == "y"
    assert "CONFIG_HZ" not in info.config
    assert "5-level paging: la57 CPU and a kernel built for it" in info.notes
    assert "five_level" not in info.defaults and "config" not in info.defaults


@pytest.mark.parametrize(
    ("config_edit", "cmdline", "five", "assumed"),
    [
        (lambda s: s, "quiet", True, False),
        (lambda s: s.replace("CONFIG_X86_5LEVEL=y", "# CONFIG_X86_5LEVEL is not set")
         .replace("CONFIG_PGTABLE_LEVELS=5", "CONFIG_PGTABLE_LEVELS=4"), "quiet", False, False),
        (lambda s: s.replace("CONFIG_X86_5LEVEL=y\n", ""), "quiet", True, False),  # 6.16+: PGTABLE_LEVELS=5
        (lambda s: s, "quiet no5lvl", False, False),
        (None, "quiet", True, True),  # la57 CPU, config unknown: the Kconfig default (y) is assumed
    ],
    ids=["X86_5LEVEL=y", "not-set", "levels-only", "no5lvl", "no-config"],
)
def test_detect_5level_decision(tree: Tree, kernel_tree: Callable[..., Tree], config_edit: Callable[[str], str] | None,
                                cmdline: str, five: bool, assumed: bool) -> None:
    t = kernel_tree(cpuinfo="cpuinfo-la57.txt", cmdline=cmdline)
    if config_edit is not None:
        (t.boot / "config-6.18.44-test").write_text(config_edit(fixture_text("config-5level.txt")))
    info = proc.detect(t.top, machine="x86_64")
    assert info.five_level is five
    assert info.paging == ("x86-64-5level" if five else "x86-64-4level")
    assert ("five_level" in info.defaults) is assumed
    assert ("config" in info.defaults) is (config_edit is None)


def test_detect_restricted(kernel_tree: Callable[..., Tree]) -> None:
    t = kernel_tree(iomem="iomem-user.txt", kallsyms="kallsyms-restricted.txt", kptr_restrict="1")
    info = proc.detect(t.top, machine="x86_64")
    assert info.iomem_hidden and info.text_hidden
    assert info.ram_ranges == () and info.kernel_image == {}
    assert info.total_ram == 24684096 * 1024  # MemTotal
    assert info.text is None and info.kaslr_offset is None and info.phys_base is None
    assert info.config_source is None and info.config == {}
    assert info.defaults == ("config", "ram_ranges", "text", "kaslr_offset", "phys_base",
                             "page_offset_base", "vmalloc_base", "vmemmap_base")
    notes = "\n".join(info.notes)
    assert f"{t.root}/iomem shows zero addresses (needs root)" in notes
    assert f"{t.root / 'kallsyms'} shows zero addresses (kptr_restrict=1)" in notes
    assert f"no kernel config: neither {t.root / 'config.gz'} nor {t.boot / 'config-6.18.44-test'}" in notes
    assert "from " + str(t.root) + "/meminfo MemTotal" in notes


def test_detect_kaslr(kernel_tree: Callable[..., Tree]) -> None:
    t = kernel_tree(iomem="iomem-kaslr.txt", kallsyms="kallsyms-kaslr.txt", config_gz="config-5level.txt")
    info = proc.detect(t.top, machine="x86_64")
    assert info.text == 0xFFFFFFFF9A200000
    assert info.kaslr_offset == 0x19200000
    assert info.phys_base == 0x2C600000 - 0x1A200000 == 0x12400000
    assert info.ram_ranges == ((0x1000, 0x9F000), (0x100000, 0x40000000), (0x100000000, 0x280000000))
    assert "text" not in info.defaults and "phys_base" not in info.defaults


def test_detect_high_user_mapping_means_5level(kernel_tree: Callable[..., Tree]) -> None:
    t = kernel_tree(config_gz="config-6.18.txt")
    high = Mapping(1 << 48, (1 << 48) + 0x1000, "rw-p", 0, "00:00", 0, "")
    vsyscall = Mapping(0xFFFFFFFFFF600000, 0xFFFFFFFFFF601000, "--xp", 0, "00:00", 0, "[vsyscall]")
    assert not proc.detect(t.top, machine="x86_64", mappings=[vsyscall]).five_level
    info = proc.detect(t.top, machine="x86_64", mappings=[high, vsyscall])
    assert info.five_level and info.paging == "x86-64-5level"
    assert "5-level paging: a user mapping reaches 0x1000000001000, above 47 bits" in info.notes


def test_detect_other_arch(kernel_tree: Callable[..., Tree]) -> None:
    t = kernel_tree()
    info = proc.detect(t.top, "6.1.0-arm64", machine="aarch64")
    assert info.paging is None and not info.five_level and info.text == 0xFFFFFFFF81000000
    assert info.release == "6.1.0-arm64" and "release 6.1.0-arm64 as given" in info.notes
    assert "architecture aarch64: paging mode unknown" in info.notes


def test_detect_not_linux(tmp_path: Path) -> None:
    with pytest.raises(ProcError) as exc:
        proc.detect(str(tmp_path))
    assert str(exc.value) == f"not a Linux system: {tmp_path / 'proc'} is missing"


def test_detect_reads_kallsyms_only_up_to_text(kernel_tree: Callable[..., Tree]) -> None:
    t = kernel_tree()
    body = fixture_text("kallsyms-root.txt") + "this line is not a symbol and must never be read\n"
    (t.root / "kallsyms").write_text(body)
    assert proc.detect(t.top, machine="x86_64").text == 0xFFFFFFFF81000000


@needs_linux
def test_detect_live() -> None:
    info = proc.detect()
    assert info.linux
    assert info.arch == os.uname().machine
    assert info.release == os.uname().release
    if info.arch == "x86_64":
        assert info.paging in ("x86-64-4level", "x86-64-5level")
    if IS_ROOT and info.arch == "x86_64":
        assert info.ram_ranges and info.total_ram == sum(e - s for s, e in info.ram_ranges)
    assert len(info.notes) >= 3 and all("\n" not in n for n in info.notes)


def test_procfs_imports_no_ui() -> None:
    code = ("import sys, vaslayout.proc\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))")
    env = dict(os.environ, PYTHONPATH=str(ROOT_DIR))
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT_DIR, env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"

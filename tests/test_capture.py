"""Captures: kcore headers, vmallocinfo, writing and opening a capture, and --capture through the real CLI."""

from __future__ import annotations

import json
import os
import struct
import tarfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_cli import run, user_error

from vaslayout.proc import capture, kcore
from vaslayout.proc.captured import CaptureSource, with_vmalloc_areas
from vaslayout.proc.real import dmesg_zones, zoneinfo_zones
from vaslayout.proc.vmallocinfo import VmallocinfoError, grouped_runs, parse_vmallocinfo

CAPTURES = Path(__file__).parent / "data" / "captures"
NOKASLR = CAPTURES / "x86_64-6.1-4level-nokaslr"
KASLR_5LEVEL = CAPTURES / "x86_64-6.12-5level-kaslr"


# --------------------------------------------------------------------------- kcore


def test_kcore_segments_of_a_real_kernel_get_their_kinds() -> None:
    data = (NOKASLR / "proc" / "kcore").read_bytes()
    headers = kcore.parse_headers(data, "kcore", text=0xFFFFFFFF81000000)
    assert headers.word_bytes == 8 and headers.machine == "x86_64" and headers.length == len(data)
    kinds = [s.kind for s in headers.segments]
    assert kinds == ["text", "vmalloc", "modules", "ram", "vmemmap", "ram", "vmemmap", "ram", "vmemmap"]
    text, vmalloc, modules = headers.segments[:3]
    assert (text.vaddr, text.paddr) == (0xFFFFFFFF81000000, 0x1000000)
    assert (vmalloc.vaddr, vmalloc.size, vmalloc.paddr) == (0xFFFFC90000000000, (32 << 40) - 1, None)
    assert (modules.vaddr, modules.end) == (0xFFFFFFFFC0000000, 0xFFFFFFFFFF000000)
    assert headers.vmcoreinfo["NUMBER(KERNEL_IMAGE_SIZE)"] == str(1 << 30)
    assert headers.segment_at(0xFFFF888000100000 + 5).kind == "ram"


def test_kcore_cut_short_is_one_clear_error() -> None:
    data = (NOKASLR / "proc" / "kcore").read_bytes()
    with pytest.raises(kcore.KcoreError, match=r"^kcore: cut short inside its program headers"):
        kcore.parse_headers(data[:0x100], "kcore")
    with pytest.raises(kcore.KcoreError, match=r"^x: not a little-endian ELF core file$"):
        kcore.parse_headers(b"MZ" + bytes(100), "x")


@given(st.binary(max_size=400))
def test_kcore_parser_refuses_garbage_with_its_own_error(blob: bytes) -> None:
    try:
        kcore.parse_headers(b"\x7fELF" + blob, "fuzz")
    except kcore.KcoreError as exc:
        assert str(exc).startswith("fuzz: ")


def test_words_are_read_through_kcore_at_each_symbols_offset(tmp_path: Path) -> None:
    """A tiny ELF core whose one PT_LOAD maps 0x1000 bytes at 0xffff000000000000 from file offset 0x100."""
    phdr = struct.pack("<IIQQQQQQ", 1, 7, 0x100, 0xFFFF000000000000, 0x2000, 0x1000, 0x1000, 0x1000)
    header = b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56, 1,
                                                                    0, 0, 0)
    body = bytearray(0x1100)
    body[:64], body[64:120] = header, phdr
    body[0x100 + 0x10:0x100 + 0x18] = (0xFFFF888000000000).to_bytes(8, "little")
    (tmp_path / "kcore").write_bytes(bytes(body))
    headers = kcore.parse_headers(bytes(body[:120]), "kcore")
    got = kcore.read_words(str(tmp_path / "kcore"), headers, {"page_offset_base": 0xFFFF000000000010,
                                                              "elsewhere": 0x1234})
    assert got == {"page_offset_base": (0xFFFF888000000000).to_bytes(8, "little")}
    assert headers.segments[0].paddr == 0x2000 and headers.segments[0].kind == "text"


# --------------------------------------------------------------------------- vmallocinfo

LINES = """\
0xffffc90000000000-0xffffc90000005000   20480 irq_init_percpu_irqstack+0xf0/0x120 vmap
0xffffc90000005000-0xffffc90000007000    8192 acpi_os_map_iomem+0x1b6/0x1d0 phys=0x00000000bffe1000 ioremap
0xffffc90000010000-0xffffc90000015000   20480 kernel_clone+0xbf/0x430 pages=4 vmalloc N0=4
0xffffc90000015000-0xffffc9000001a000   20480 kernel_clone+0xbf/0x430 pages=4 vmalloc N0=4
0xffffc9000001a000-0xffffc9000001c000    8192 bpf_prog_alloc_no_stats+0x31/0x1f0 pages=1 vmalloc N0=1
0xffffffffc0000000-0xffffffffc0002000    8192 module_alloc+0x2f/0x40 pages=1 vmalloc N0=1
0x0000000000000000-0x0000000000000000    4096 unpurged vm_area
"""


def test_vmallocinfo_areas_and_their_groups() -> None:
    areas = parse_vmallocinfo(LINES, "vmallocinfo")
    assert len(areas) == 6  # the hashed (zero) line says nothing
    assert [a.group for a in areas] == ["thread stacks", "ioremap", "thread stacks", "thread stacks", "bpf",
                                        "module text"]
    assert areas[1].phys == 0xBFFE1000 and areas[2].pages == 4 and areas[2].function == "kernel_clone"
    runs = [(group, len(run)) for group, run in grouped_runs(areas)]
    assert runs == [("thread stacks", 1), ("ioremap", 1), ("thread stacks", 2), ("bpf", 1), ("module text", 1)]


def test_vmallocinfo_bad_line_names_the_line() -> None:
    with pytest.raises(VmallocinfoError, match=r"^v:2: not a vmallocinfo line"):
        parse_vmallocinfo(LINES.splitlines()[0] + "\nnonsense\n", "v")


@given(st.text(max_size=200))
def test_vmallocinfo_parser_only_raises_its_own_error(text: str) -> None:
    try:
        parse_vmallocinfo(text, "fuzz")
    except VmallocinfoError as exc:
        assert str(exc).startswith("fuzz:")


def test_vmalloc_areas_become_children_of_the_region_that_holds_them() -> None:
    source = CaptureSource(str(NOKASLR))
    layout = source.layout()
    vmalloc = next(r for r in layout.leaves if r.source == "/proc/vmallocinfo")
    parent = next(r for r in layout.path_at(vmalloc.start) if r.children and vmalloc in r.children)
    assert parent.kind == "vmalloc" and source.outside == []
    names = {r.name.split(" (")[0] for r in layout.leaves if r.source == "/proc/vmallocinfo"}
    assert {"thread stacks", "ioremap", "bpf", "per-cpu"} <= names
    again, outside = with_vmalloc_areas(source.kernel_layout(), [])
    assert outside == [] and again.root == source.kernel_layout().root


# --------------------------------------------------------------------------- zones, dmesg

def test_zones_from_dmesg_and_zoneinfo_agree_on_a_real_kernel() -> None:
    dmesg = (NOKASLR / "dmesg").read_text()
    assert dmesg_zones(dmesg) == (("DMA", 0x1000, 0x1000000), ("DMA32", 0x1000000, 1 << 32),
                                  ("Normal", 1 << 32, 0x140000000))
    assert zoneinfo_zones(str(NOKASLR)) == dmesg_zones(dmesg)


def test_memory_lines_keep_the_zone_block() -> None:
    log = ("[    0.000000] Zone ranges:\n[    0.000000]   DMA      [mem 0x1000-0xffffff]\n"
           "[    0.100000] random driver noise\n[    0.2] Memory: 3155532K/4193784K available\n")
    assert capture.memory_lines(log).splitlines() == [log.splitlines()[0], log.splitlines()[1],
                                                       log.splitlines()[3]]


# --------------------------------------------------------------------------- writing and opening


def fake_system(tmp_path: Path) -> Path:
    """A root whose proc has a few files and no kcore (as in a container)."""
    root = tmp_path / "sys"
    for rel, text in {"proc/iomem": (NOKASLR / "proc/iomem").read_text(), "proc/cpuinfo": "processor: 0\nflags: fpu\n"
                      "\nprocessor: 1\nflags: fpu\n", "proc/kallsyms": "ffffffff81000000 T _text\n"
                      "ffffffffc0001000 t mod_fn\t[mod]\n", "proc/sys/kernel/osrelease": "6.1.0-test\n",
                      "proc/7/maps": "00400000-00401000 r-xp 00000000 00:00 0\n", "proc/cmdline": "quiet\n"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_a_capture_lists_what_it_could_not_read(tmp_path: Path) -> None:
    report = capture.collect(str(fake_system(tmp_path)), pid=7)
    assert report.files["proc/kallsyms"] == b"ffffffff81000000 T _text\n"  # kernel symbols only
    assert report.files["proc/cpuinfo"] == b"processor: 0\nflags: fpu\n"  # one CPU's flags
    assert report.files["proc/7/maps"].startswith(b"00400000")
    assert {"proc/kcore", "proc/vmallocinfo", "proc/meminfo", "dmesg", "boot/config-6.1.0-test"} <= set(
        report.unreadable)
    assert report.unreadable["proc/kcore"] == "No such file or directory"
    manifest = json.loads(report.files["capture.json"])
    assert manifest["pid"] == 7 and manifest["release"] == "6.1.0-test" and "proc/kcore" in manifest["unreadable"]


def test_a_written_capture_opens_as_the_same_tree(tmp_path: Path) -> None:
    report = capture.collect(str(fake_system(tmp_path)), pid=7)
    capture.write_tar(report, str(tmp_path / "c.tar.gz"))
    with tarfile.open(tmp_path / "c.tar.gz") as tar:
        assert "proc/iomem" in tar.getnames() and "capture.json" in tar.getnames()
    root = capture.open_capture(str(tmp_path / "c.tar.gz"))
    assert (Path(root) / "proc" / "iomem").read_text() == (NOKASLR / "proc/iomem").read_text()
    capture.write_dir(report, str(tmp_path / "unpacked"))
    assert capture.open_capture(str(tmp_path / "unpacked")) == str(tmp_path / "unpacked")
    assert capture.manifest(str(tmp_path / "unpacked"))["pid"] == 7


def test_a_tar_with_paths_outside_is_read_without_them(tmp_path: Path) -> None:
    import io

    with tarfile.open(tmp_path / "evil.tar.gz", "w:gz") as tar:
        for name in ("../outside", "/abs", "proc/iomem"):
            info = tarfile.TarInfo(name)
            info.size = 3
            tar.addfile(info, io.BytesIO(b"abc"))
    root = Path(capture.open_capture(str(tmp_path / "evil.tar.gz")))
    assert (root / "proc" / "iomem").read_bytes() == b"abc"
    assert not (root.parent / "outside").exists()


# --------------------------------------------------------------------------- through the CLI


def test_capture_command_succeeds_without_kcore_and_says_what_is_missing(tmp_path: Path) -> None:
    out = tmp_path / "me.tar.gz"
    p = run("capture", "-o", str(out), "--pid", "self")
    assert p.returncode == 0, p.stderr
    assert p.stderr.startswith(f"wrote {out}: ")
    if not os.access("/proc/kcore", os.R_OK):
        assert "not captured: proc/kcore" in p.stderr
    detect = run("detect", "--capture", str(out), "--json")
    assert detect.returncode == 0, detect.stderr
    data = json.loads(detect.stdout)
    assert data["root"] != "/" and data["release"] == os.uname().release


def test_detect_of_a_kaslr_capture_reads_the_real_bases() -> None:
    p = run("detect", "--capture", str(KASLR_5LEVEL), "--json")
    data = json.loads(p.stdout)
    variables = data["variables"]
    assert data["paging"] == "x86-64-5level" and data["kaslr_offset"] != 0
    assert data["layout"]["id"] == "x86_64-5level"
    assert data["layout"]["overrides"]["page_offset_base"] == hex(variables["page_offset_base"])
    assert {"page_offset_base", "vmalloc_base", "vmemmap_base"}.isdisjoint(data["defaults"])
    text = run("detect", "--capture", str(KASLR_5LEVEL)).stdout
    assert "(read through kcore)" in text


def test_show_and_lookup_of_a_kaslr_capture_use_its_bases() -> None:
    data = json.loads(run("detect", "--capture", str(KASLR_5LEVEL), "--json").stdout)
    base = data["variables"]["page_offset_base"]
    shown = json.loads(run("show", "--capture", str(KASLR_5LEVEL), "--json").stdout)
    assert shown["id"] == f"capture-{KASLR_5LEVEL.name}"
    ram = next(s for s in data["kcore_segments"] if s["kind"] == "ram")
    found = json.loads(run("lookup", "--capture", str(KASLR_5LEVEL), hex(ram["start"]), "--json").stdout)[0]
    assert found["region"]["kind"] == "direct-map" and found["phys"] == ram["phys"]
    assert ram["start"] - ram["phys"] == base


def test_a_capture_that_is_not_one_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "junk.tar.gz").write_bytes(b"not a tar")
    assert user_error(run("show", "--capture", str(tmp_path / "junk.tar.gz"))).startswith(
        f"vaslayout: {tmp_path / 'junk.tar.gz'}: not a capture")
    assert user_error(run("detect", "--capture", str(tmp_path / "nowhere"))) == (
        f"vaslayout: {tmp_path / 'nowhere'}: no such capture")
    assert "not two of them" in user_error(run("show", "x86_64-4level", "--capture", str(NOKASLR)))


def test_detect_without_kcore_says_what_it_assumes(tmp_path: Path) -> None:
    from vaslayout.proc import detect

    info = detect(str(fake_system(tmp_path)), machine="x86_64")
    assert info.real.segments == () and info.real.variables is None
    assert any(n.startswith("no ") and "proc/kcore" in n and "randomized bases" in n for n in info.notes)
    assert {"page_offset_base", "vmalloc_base", "vmemmap_base"} <= set(info.defaults)
    assert any("documented defaults assumed" in n for n in info.notes)


def test_detect_of_a_capture_takes_the_kernels_own_values() -> None:
    from vaslayout.proc import detect

    info = detect(str(KASLR_5LEVEL))
    assert info.arch == "x86_64" and info.five_level and info.text == info.symbols["_text"]
    assert info.kaslr_offset == info.text - 0xFFFFFFFF81000000
    assert info.variable("page_offset_base") != 0xFF11000000000000  # randomized
    assert not {"page_offset_base", "vmalloc_base", "vmemmap_base", "phys_base"} & set(info.defaults)


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.isdir("/proc/self"), reason="needs root to drop it")
def test_an_unprivileged_capture_and_detect_succeed_and_say_what_is_missing() -> None:
    from test_procfs import as_nobody

    from vaslayout.proc import detect

    def unprivileged() -> tuple[list[str], list[str]]:
        report = capture.collect("/")
        info = detect("/")
        return sorted(report.unreadable), [n for n in info.notes if "kcore" in n]

    import ast

    missing, notes = ast.literal_eval(as_nobody(unprivileged))  # the child's repr of two lists of strings
    assert "proc/kcore" in missing and "kcore-vars.json" not in missing
    assert any("randomized bases" in n for n in notes) and any("documented defaults assumed" in n for n in notes)


@given(st.text(max_size=300))
def test_zone_and_memory_line_readers_take_any_log(text: str) -> None:
    zones = dmesg_zones("Zone ranges:\n" + text) + dmesg_zones("Zone ranges:\n  DMA [mem 0x5-0x1]\n")
    assert all(start < end for _, start, end in zones)
    assert capture.memory_lines(text).count("\n") <= text.count("\n") + 1

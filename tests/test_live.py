"""A live process as a layout: every maps line a leaf, in the right half, through the real CLI too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vaslayout import jsonout, proc
from vaslayout.catalog import load
from vaslayout.core.translate import layout_names, translate
from vaslayout.proc import live
from vaslayout.proc.live_json import process_json
from vaslayout.teach.export import layout_json

DATA = Path(__file__).parent / "data" / "proc"
ROOT = Path(__file__).resolve().parent.parent


def base():
    return load("x86_64-4level")


def leaves_with_mappings(layout):
    return [r for r in layout.leaves if r.mapping is not None]


def test_every_maps_line_becomes_one_leaf_in_order() -> None:
    maps = proc.parse_maps((DATA / "maps-python.txt").read_text(), "maps-python.txt")
    layout = live.with_mappings(base(), maps, 4242, "python (pid 4242)")
    mapped = leaves_with_mappings(layout)
    assert [(r.start, r.end) for r in mapped] == [(m.start, m.end) for m in maps]
    assert [r.name for r in mapped] == [m.name for m in maps]
    assert all(r.mapping is m for r, m in zip(mapped, maps, strict=True))


def test_a_mappings_region_is_the_one_its_dataclass_makes_every_field_set() -> None:
    """mapping_region fills the slots one by one: each field, a new one included, as Region(...) has it."""
    import dataclasses

    from vaslayout.core.model import Region

    m = proc.parse_maps((DATA / "maps-python.txt").read_text(), "maps-python.txt")[0]
    made = live.mapping_region(m, "/proc/4242/maps")
    assert made == Region(m.name, m.kind, m.start, m.end, source="/proc/4242/maps", mapping=m)
    assert {f.name: getattr(made, f.name) for f in dataclasses.fields(Region)}  # no slot left unset


def test_a_maps_table_gives_the_same_layout_without_a_mapping_per_line() -> None:
    """LiveSource's way (a MapsTable): the same leaves as from the lines, each region's mapping a shared rest."""
    text = (DATA / "maps-python.txt").read_text()
    maps = proc.parse_maps(text, "maps-python.txt")
    table = proc.parse_maps_table(text, "maps-python.txt")
    by_lines = live.with_mappings(base(), maps, 4242, "python (pid 4242)")
    by_columns = live.with_mappings(base(), table, 4242, "python (pid 4242)")

    def seen(r):
        m = r.mapping
        return (r.name, r.kind, r.start, r.end, r.source, None if m is None else (m.perms, m.offset, m.dev, m.inode,
                                                                              m.path))

    assert [seen(r) for r in by_columns.leaves] == [seen(r) for r in by_lines.leaves]
    assert [[r.name for r in p] for p in by_columns.paths] == [[r.name for r in p] for p in by_lines.paths]
    shared = {id(r.mapping) for r in leaves_with_mappings(by_columns) if r.kind != "vsyscall"}
    assert len(shared) == len({(m.perms, m.offset, m.dev, m.inode, m.path) for m in maps if m.path != "[vsyscall]"})


def test_vsyscall_lands_in_the_kernel_half_under_its_maps_name() -> None:
    maps = proc.parse_maps((DATA / "maps-cat.txt").read_text(), "maps-cat.txt")
    vsyscall = [m for m in maps if m.name == "[vsyscall]"]
    assert vsyscall, "the fixture has a [vsyscall] line"
    layout = live.with_mappings(base(), maps, 1, "cat")
    t = translate(layout, 0xFFFFFFFFFF600000)
    assert [r.name for r in t.path] == ["kernel space", "[vsyscall]"]
    assert t.region is not None and t.region.kind == "vsyscall" and t.region.mapping is vsyscall[0]


def test_user_mappings_replace_the_illustrative_process_and_gaps_are_holes() -> None:
    maps = proc.parse_maps((DATA / "maps-cat.txt").read_text(), "maps-cat.txt")
    layout = live.with_mappings(base(), maps, 1, "cat")
    user_vm = layout.find("user_vm")
    assert user_vm is not None
    names = {c.name for c in user_vm.children}
    assert "program text and read-only data" not in names  # the illustrative one is gone
    assert {c.kind for c in user_vm.children if c.mapping is None} == {"hole"}
    # the leaves still tile the whole space
    assert layout.leaves[0].start == 0 and layout.leaves[-1].end == 1 << 64
    assert all(a.end == b.start for a, b in zip(layout.leaves, layout.leaves[1:], strict=False))


def test_a_generated_65530_line_maps_keeps_every_mapping() -> None:
    lines = []
    page = 0x1000
    base_addr = 0x7F00_0000_0000
    for i in range(65_530):
        start = base_addr + 2 * i * page
        lines.append(f"{start:x}-{start + page:x} {'r--p' if i % 2 else 'rw-p'} 00000000 00:00 0")
    maps = proc.parse_maps("\n".join(lines) + "\n", "generated")
    layout = live.with_mappings(base(), maps, 7, "big")
    assert len(leaves_with_mappings(layout)) == 65_530
    t = translate(layout, base_addr + 2 * 40_000 * page + 5)
    assert t.region is not None and t.region.mapping is maps[40_000] and t.offset == 5


def test_the_test_process_itself() -> None:
    pid = os.getpid()
    maps = proc.read_maps(pid)
    info = proc.detect(mappings=maps)
    if info.paging not in live.LAYOUT_FOR_PAGING:
        pytest.skip(f"no built-in layout for {info.arch}")
    layout = live.process_layout(pid, info, maps, proc.comm(pid))
    assert len(leaves_with_mappings(layout)) == len(maps)
    assert layout.id == f"pid-{pid}"


def layouts_json_text(maps, pid: int = 4242) -> str:
    return jsonout.encode(jsonout.with_hex(layout_json(live.with_mappings(base(), maps, pid, "t"))))


@pytest.mark.parametrize("fixture", ["maps-python.txt", "maps-cat.txt", "maps-edge.txt"])
def test_streamed_json_is_the_layouts_json(fixture: str) -> None:
    maps = proc.parse_maps_table((DATA / fixture).read_text(), fixture)
    assert "".join(process_json(base(), maps, 4242, "t")) == layouts_json_text(maps)


def test_streamed_json_escapes_names_as_json_does_and_fills_every_gap() -> None:
    names = ['/tmp/a "quoted" name', "/tmp/back\\slash", "/tmp/caf\u00e9 \u6587\u4ef6", "/tmp/tab\there (deleted)",
             "", "[heap]", "[stack]"]
    lines = [f"{0x1000 * (3 * i + 1):x}-{0x1000 * (3 * i + 2):x} r-xp 00000000 08:01 {i} {n}"
             for i, n in enumerate(names)]
    maps = proc.parse_maps_table("\n".join(lines) + "\n", "names")
    text = "".join(process_json(base(), maps, 7, "t"))
    assert text == layouts_json_text(maps, 7)
    user_vm = next(r for r in json.loads(text)["regions"][0]["children"] if r["id"] == "user_vm")
    assert [c["name"] for c in user_vm["children"] if "mapping" in c] == [n or "anonymous" for n in names]
    assert user_vm["children"][0] == {"name": "unused", "id": None, "kind": "hole", "start": 0, "start_hex": "0x0",
                                      "end": 0x1000, "end_hex": "0x1000", "size": 0x1000, "size_hex": "0x1000",
                                      "description": "No region of the layout covers this range."}


@pytest.mark.parametrize("count", [0, 1, 4095, 4096, 4097, 65_530])
def test_streamed_json_at_chunk_edges_and_at_the_kernels_limit(count: int) -> None:
    page = 0x1000
    lines = [f"{0x7F00_0000_0000 + (2 - i % 2 + 2 * i) * page:x}-{0x7F00_0000_0000 + (3 + 2 * i) * page:x} "
             f"rw-p 00000000 00:00 0" for i in range(count)]
    maps = proc.parse_maps_table("".join(line + "\n" for line in lines), "generated")
    assert "".join(process_json(base(), maps, 9, "t")) == layouts_json_text(maps, 9)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vaslayout", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)


def test_cli_lookup_pid_self_adds_mapping_and_page() -> None:
    # the heap of the child python process is a mapping it certainly has
    probe = run("show", "--pid", "self", "--json")
    assert probe.returncode == 0, probe.stderr
    shown = json.loads(probe.stdout)
    assert shown["id"].startswith("pid-") and '"mapping":{"name":' in probe.stdout
    p = run("lookup", "--pid", "self", "0x0", "--json")
    assert p.returncode == 0, p.stderr
    (answer,) = json.loads(p.stdout)
    assert set(answer) == {"address", "address_hex", "canonical", "half", "region", "path", "offset", "offset_hex",
                           "indices", "phys", "phys_hex", "phys_source", "ram_covered", "assumption", "kasan", "tag",
                           "explanation", "mapping", "page"}
    assert answer["mapping"] is None and answer["page"] is None  # nothing is mapped at 0


def test_cli_show_pid_json_is_the_process_layouts_json() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; print(flush=True); sys.stdin.read()"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        child.stdout.readline()  # type: ignore[union-attr]  # started: its maps stay as they are now
        p = run("show", "--pid", str(child.pid), "--json")
        assert p.returncode == 0, p.stderr
        maps = proc.read_maps(child.pid)
        layout = live.process_layout(child.pid, proc.detect(mappings=maps), maps, proc.comm(child.pid))
        assert p.stdout == jsonout.encode(jsonout.with_hex(layout_json(layout))) + "\n"
    finally:
        child.stdin.close()  # type: ignore[union-attr]
        child.wait()


def test_cli_lookup_in_a_mapping_reports_the_page() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        maps = proc.read_maps(child.pid)
        heapish = next(m for m in maps if m.path and "r" in m.perms)
        p = run("lookup", "--pid", str(child.pid), hex(heapish.start), "--json")
        assert p.returncode == 0, p.stderr
        (answer,) = json.loads(p.stdout)
        assert answer["mapping"] == {"name": heapish.name, "perms": heapish.perms, "offset": heapish.offset,
                                     "offset_hex": hex(heapish.offset), "dev": heapish.dev, "inode": heapish.inode}
        assert set(answer["page"]) >= {"present", "swapped", "pfn", "pfn_hidden", "phys"}
        # the pagemap's page is the answer where the kernel gives it (to root), and says where it came from
        assert answer["phys"] == answer["page"]["phys"]
        assert answer["phys_source"] == "pagemap"
    finally:
        child.stdin.close()  # type: ignore[union-attr]
        child.wait()


def test_cli_no_such_process_is_one_line_and_exit_2() -> None:
    p = run("show", "--pid", "999999999")
    assert p.returncode == 2
    assert p.stderr.strip() == "vaslayout: no process 999999999"


def test_cli_layout_and_pid_together_is_refused() -> None:
    p = run("show", "x86_64-4level", "--pid", "self")
    assert p.returncode == 2 and "not both" in p.stderr and "Traceback" not in p.stderr


def test_cli_detect_json() -> None:
    p = run("detect", "--json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["arch"] == os.uname().machine
    assert set(data) >= {"paging", "ram_ranges", "phys_base", "kaslr_offset", "defaults", "notes"}


def test_cli_show_physical_lists_ram_with_direct_map_aliases() -> None:
    if proc.iomem_hidden(proc.read_iomem()):
        pytest.skip("/proc/iomem hides addresses from this user")
    p = run("show", "--physical", "--json")
    assert p.returncode == 0, p.stderr
    ram = [e for e in json.loads(p.stdout) if e["name"] == "System RAM"]
    assert ram and all(e["aliases"] for e in ram)
    first = ram[0]
    assert first["aliases"][0]["address"] == 0xFFFF_8880_0000_0000 + first["start"]


def _answer(layout, addr: int) -> tuple[object, ...]:
    from vaslayout.plain import row_lines
    from vaslayout.rows import live_rows, translation_rows
    from vaslayout.teach.export import mapping_json

    t = translate(layout, addr)
    return (t.to_json(), mapping_json(t.region), row_lines(translation_rows(layout, t)),
            row_lines(live_rows(t.region, None)))


@pytest.mark.parametrize("fixture", ["maps-cat.txt", "maps-python.txt"])
def test_around_answers_as_the_whole_process_layout(fixture: str) -> None:
    text = (DATA / fixture).read_text()
    maps = proc.parse_maps(text, fixture)
    whole = live.with_mappings(base(), maps, 42, "t (pid 42)")
    probes = {0, 1 << 47, (1 << 64) - 1, 0x8000_0000_0000_0000, 0xFFFF_8880_0000_0000, 0xFFFF_FFFF_FF60_0000}
    for m in maps:
        probes |= {m.start, m.end - 1, m.end, max(m.start - 1, 0), (m.start + m.end) // 2}
    probes = sorted(a for a in probes if a < 1 << 64)
    one_by_one = live.Around(base(), proc.parse_maps_table(text, fixture), 42, "t (pid 42)")
    for addr in probes:  # each address asked alone, then after all the others: the same answer
        alone = live.Around(base(), proc.parse_maps_table(text, fixture), 42, "t (pid 42)").at([addr])
        assert _answer(alone, addr) == _answer(whole, addr), hex(addr)
        assert _answer(one_by_one.at([addr]), addr) == _answer(whole, addr), hex(addr)
    assert (one_by_one.layout.id, one_by_one.layout.title) == (whole.id, whole.title)
    assert layout_names(one_by_one.layout) == layout_names(whole)  # what an address expression may name


def test_around_tiles_only_the_mappings_an_address_needs() -> None:
    lines = [f"{0x7F00_0000_0000 + 2 * i * 4096:x}-{0x7F00_0000_0000 + (2 * i + 1) * 4096:x} r--p 00000000 00:00 0"
             for i in range(5_000)]
    table = proc.parse_maps_table("\n".join(lines) + "\n", "generated")
    around = live.Around(base(), table, 7, "big")
    inside, between = 0x7F00_0000_0000 + 2 * 1_000 * 4096 + 5, 0x7F00_0000_0000 + (2 * 3_000 + 1) * 4096 + 5
    layout = around.at([inside, between])
    assert len(leaves_with_mappings(layout)) == 4  # the one holding `inside` and its successor; the gap's two
    t = translate(layout, inside)
    assert t.region is not None and t.region.mapping == table[1_000] and t.offset == 5
    gap = translate(layout, between).region
    assert gap is not None and (gap.kind, gap.start, gap.end) == ("hole", table[3_000].end, table[3_001].start)


def test_overlapping_mappings_are_one_proc_error() -> None:
    from vaslayout.proc.maps import Mapping

    ms = [Mapping(0x1000, 0x3000, "rw-p", 0, "00:00", 0, ""), Mapping(0x2000, 0x4000, "rw-p", 0, "00:00", 0, "")]
    with pytest.raises(proc.ProcError, match=r"^/proc/1/maps: .* overlaps "):
        live.with_mappings(base(), ms, 1, "t")

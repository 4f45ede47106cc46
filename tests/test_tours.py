"""Tours: the built-in ones load and resolve; a broken tour names file:line:column."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vaslayout.core.loader import LayoutError, Pos
from vaslayout.core.model import Layout, Region
from vaslayout.teach import tours

ROOT = Path(__file__).resolve().parent.parent

STEP_COUNTS = {
    "canonical-gp": 8,
    "kasan-report": 8,
    "process-anatomy": 8,
    "real-crash": 5,
    "real-kasan-report": 7,
    "real-kaslr": 6,
    "vmsplit-lowmem": 8,
    "where-memory-comes-from": 8,
}


# -- the built-in tours -----------------------------------------------------------


def test_builtin_ids() -> None:
    assert tours.builtin_tours() == sorted(STEP_COUNTS)
    assert tours.builtin_dir() == ROOT / "tours"


@pytest.mark.parametrize("tour_id", sorted(STEP_COUNTS))
def test_builtin_tour_loads_and_validates(tour_id: str) -> None:
    tour = tours.load_tour(tour_id)
    tours.validate_tour(tour)
    assert tour.id == tour_id
    assert len(tour.steps) == STEP_COUNTS[tour_id]
    assert 5 <= len(tour.steps) <= 10
    assert tour.title and tour.summary
    assert tour.origin == str(ROOT / "tours" / f"{tour_id}.yaml")
    for step in tour.steps:
        assert step.title and step.caption
        if tour_id not in ("real-crash", "real-kasan-report"):  # report: steps add the explanation
            assert len(step.caption) <= 200, (step.title, len(step.caption))  # read in ten seconds
        assert step.zoom is not None or step.address is not None or step is tour.steps[0]


def test_builtin_tour_by_path_equals_by_id() -> None:
    by_path = tours.load_tour(str(ROOT / "tours" / "kasan-report.yaml"))
    assert by_path.steps == tours.load_tour("kasan-report").steps


def test_vmsplit_lowmem_steps() -> None:
    tour = tours.load_tour("vmsplit-lowmem")
    assert [(s.layout, s.params) for s in tour.steps] == [
        ("x86_32-vmsplit-3g", {"ram": "512M", "maxmem_model": "0"}),
        ("x86_32-vmsplit-3g", {"ram": "512M", "maxmem_model": "0"}),
        ("x86_32-vmsplit-3g", {"ram": "2G", "maxmem_model": "0"}),
        ("x86_32-vmsplit-3g", {"ram": "2G", "maxmem_model": "0"}),
        ("x86_32-vmsplit-3g", {"ram": "8G", "maxmem_model": "0"}),
        ("x86_32-vmsplit-3g", {"ram": "8G", "pae": "1", "maxmem_model": "0"}),
        ("x86_32-vmsplit-1g", {"ram": "2G"}),
        ("x86_32-vmsplit-1g", {"ram": "2G"}),
    ]
    views = [tours.step_view(s) for s in tour.steps]
    assert views[0].cursor == 0xC000_0000 and views[0].focus is views[0].layout.root
    assert views[1].address == 0xC000_0000 and views[1].physical
    assert views[1].layout.find("lowmem").end == 0xE000_0000  # 512 MiB all fits
    assert views[2].address == 0xF7FF_FFFF  # lowmem ends at 896 MiB
    assert [(p.name, p.start, p.end) for p in views[2].layout.physical] == [
        ("lowmem", 0, 896 << 20), ("highmem", 896 << 20, 2 << 30)]
    assert views[3].zoom[-1].id == "pkmap" and views[3].focus.id == "kernel"
    assert views[4].layout.physical[-1].end == 4 << 30  # no PAE: 4 GiB of the 8 used
    assert views[5].layout.physical[-1].end == 8 << 30 and views[5].layout.paging.name == "x86-32-pae"
    assert [(p.name, p.end) for p in views[6].layout.physical] == [("lowmem", 2 << 30)]  # all fits
    assert views[6].address == 0xBFFF_FFFF
    assert all(v.physical for v in views[1:7]) and not views[0].physical and not views[7].physical


def test_canonical_gp_steps() -> None:
    tour = tours.load_tour("canonical-gp")
    views = [tours.step_view(s) for s in tour.steps]
    assert [v.address for v in views] == [
        None, 0x0000_7FFF_FFFF_FFFF, 0xFFFF_8000_0000_0000, 0x0000_8000_0000_0000,
        0xFFFF_7FFF_FFFF_FFFF, 0xFFFF_8880_0000_1000, 0x0000_8000_0000_0000, 0x0100_0000_0000_0000]
    assert [v.layout.id for v in views] == ["x86_64-4level"] * 6 + ["x86_64-5level"] * 2
    assert [v.zoom[-1].id if v.zoom else None for v in views] == [
        None, "user", "kernel", None, None, "direct_map", None, None]
    assert views[0].cursor is None


def test_process_anatomy_steps() -> None:
    tour = tours.load_tour("process-anatomy")
    assert [s.zoom for s in tour.steps] == [
        "user_vm", "program_text", "program_data", "heap", "mmap_area", "vdso", "stack", "kernel"]
    assert [s.pid for s in tour.steps] == [True] * 7 + [False]
    views = [tours.step_view(s) for s in tour.steps]
    assert views[1].cursor == 0x5555_5555_4000
    assert views[3].cursor == 0x5555_5555_A000 and views[3].focus.id == "user_vm"
    assert views[4].focus.id == "mmap_area" and views[4].cursor == 0x7FFF_F7D8_D000


def test_kasan_report_steps() -> None:
    tour = tours.load_tour("kasan-report")
    views = [tours.step_view(s) for s in tour.steps]
    assert [v.address for v in views] == [
        0xDFFF_FC00_0000_0014, 0xDFFF_FC00_0000_0014, 0xDFFF_FC00_0000_0000, 0xDFFF_FC00_0000_0014,
        0xA0, 0xFFFF_EC00_0000_0000, 0xFFFF_ED10_0000_0000, 0xDFFF_FC00_0000_0014]
    assert views[5].zoom[-1].id == "kasan_shadow" and views[6].zoom[-1].id == "kasan_shadow"
    assert views[7].layout.id == "x86_64-5level"


# -- finding regions -------------------------------------------------------------


@pytest.fixture(scope="module")
def x86_64() -> Layout:
    return tours.step_layout(tours.Step("s", "x86_64-4level"))


@pytest.mark.parametrize(("target", "names"), [
    ("direct_map", ["kernel space", "direct mapping of all physical memory"]),
    ("kernel space > direct mapping of all physical memory", ["kernel space", "direct mapping of all physical memory"]),
    ("Kernel Space  >  direct map", ["kernel space", "direct mapping of all physical memory"]),
    ("user space > user-space virtual memory > heap", ["user space", "user-space virtual memory", "heap"]),
    ("libc", ["user space", "user-space virtual memory", "mmap area", "libc.so.6"]),
    ("kernel space", ["kernel space"]),
])
def test_find_region(x86_64: Layout, target: str, names: list[str]) -> None:
    assert [r.name for r in tours.find_region(x86_64, target)] == names


@pytest.mark.parametrize(("target", "message"), [
    ("kernel space > direct mop",
     "no region 'direct mop' in 'kernel space' (did you mean 'direct mapping of all physical memory'?)"),
    ("kernl", "no region with the id or name 'kernl' in x86_64-4level (did you mean 'kernel'?)"),
    ("kernel space > unused", "'unused' names 2 regions in 'kernel space'; use a region id or a longer name"),
    ("kernel space >", "empty name in the region path 'kernel space >'"),
])
def test_find_region_errors(x86_64: Layout, target: str, message: str) -> None:
    with pytest.raises(LookupError) as info:
        tours.find_region(x86_64, target)
    assert str(info.value) == message


def test_leaf_zoom_shows_its_parent() -> None:
    view = tours.step_view(tours.Step("s", "x86_64-4level", zoom="vsyscall"))
    assert view.focus.id == "kernel" and view.zoom[-1].id == "vsyscall"
    assert view.cursor == 0xFFFF_FFFF_FF60_0000 and view.address is None


# -- a broken tour names file:line:column -----------------------------------------

HEAD = "id: broken\ntitle: A broken tour\nsteps:\n"


def step(*lines: str) -> str:
    return HEAD + "  - title: one\n" + "".join(f"    {line}\n" for line in lines)


BROKEN = {
    "unknown-key": (step("layout: x86_64-4level", "zom: kernel", "caption: c"),
                    "6:5: unknown key 'zom' in step 1 (did you mean 'zoom'?)"),
    "bad-layout-id": (step("layout: x86_64-4levl", "caption: c"),
                      "5:13: unknown layout 'x86_64-4levl' (did you mean 'x86_64-4level'?)"),
    "missing-layout-file": (step("layout: nothere.yaml", "caption: c"),
                            "5:13: cannot read the layout: No such file or directory"),
    "unknown-zoom": (step("layout: x86_64-4level", "zoom: kernel space > direct mop", "caption: c"),
                     "6:11: no region 'direct mop' in 'kernel space' "
                     "(did you mean 'direct mapping of all physical memory'?)"),
    "unknown-zoom-id": (step("layout: x86_64-4level", "zoom: kernl", "caption: c"),
                        "6:11: no region with the id or name 'kernl' in x86_64-4level (did you mean 'kernel'?)"),
    "bad-address": (step("layout: x86_64-4level", "address: 0xzz", "caption: c"),
                    "6:14: address '0xzz': not a number: '0xzz'"),
    "unknown-name-in-address": (step("layout: x86_64-4level", "address: lowmem.end", "caption: c"),
                                "6:14: address 'lowmem.end': unknown name 'lowmem.end'"),
    "address-too-wide": (step("layout: x86_32-vmsplit-3g", "address: 0x1_0000_0000", "caption: c"),
                         "6:14: address '0x1_0000_0000' is wider than 32 bits (largest: 0xffffffff)"),
    "address-outside-zoom": (step("layout: x86_64-4level", "zoom: user", "address: 0xffff888000000000",
                                  "caption: c"),
                             "7:14: address 0xffff888000000000 is outside the zoom target 'user space' "
                             "[0x0000000000000000-0x00007fffffffffff]"),
    "unknown-param": (step("layout: x86_32-vmsplit-3g", "params: {rom: 2G}", "caption: c"),
                      "6:14: x86_32-vmsplit-3g has no param 'rom' (did you mean 'ram'?)"),
    "param-out-of-choices": (step("layout: x86_32-vmsplit-3g", "params:", "  ram: 2G", "  pae: 7", "caption: c"),
                             "8:12: param 'pae' is 7; it must be one of 0 (off), 1 (on)"),
    "param-not-a-number": (step("layout: x86_32-vmsplit-3g", "params: {ram: [2G]}", "caption: c"),
                           "6:19: step 1 param 'ram' must be a number or an expression"),
    "physical-not-bool": (step("layout: x86_64-4level", "physical: 'yes'", "caption: c"),
                          "6:15: step 1 physical must be true or false"),
    "pid-not-bool": (step("layout: x86_64-4level", "pid: 1", "caption: c"),
                     "6:10: step 1 pid must be true or false"),
    "params-not-mapping": (step("layout: x86_64-4level", "params: [ram]", "caption: c"),
                           "6:13: step 1 params must be a mapping"),
    "title-not-text": ("id: broken\ntitle: [a, b]\nsteps: []\n", "2:8: title must be text"),
    "steps-not-list": ("id: broken\ntitle: T\nsteps: {a: 1}\n", "3:8: steps must be a list"),
    "steps-empty": ("id: broken\ntitle: T\nsteps: []\n", "3:8: steps is empty; a tour needs at least one step"),
    "step-not-mapping": (HEAD + "  - just words\n", "4:5: step 1 must be a mapping"),
    "missing-caption": (step("layout: x86_64-4level"), "4:5: step 1 is missing 'caption'"),
    "empty-caption": (step("layout: x86_64-4level", "caption: ''"), "6:14: step 1 caption is empty"),
    "duplicate-key": (step("title: two", "layout: x86_64-4level", "caption: c"),
                      "5:5: duplicate key 'title' in step 1"),
    "unknown-top-key": ("id: broken\ntitel: T\nsteps: []\n",
                        "2:1: unknown key 'titel' in the tour (did you mean 'title'?)"),
    "missing-top-key": ("id: broken\nsteps: []\n", "1:1: the tour is missing 'title'"),
    "alias": ("id: broken\ntitle: &t T\nsummary: *t\nsteps: []\n",
              "2:8: anchors and aliases are not allowed in tour files"),
    "python-tag": ("id: broken\ntitle: !!python/object/apply:os.system ['true']\nsteps: []\n",
                   "2:8: tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed in tour files"),
    "empty-file": ("", "1:1: empty tour file"),
    "only-a-comment": ("# nothing here\n", "1:1: empty tour file"),
    "not-a-mapping": ("- a\n", "1:1: the tour must be a mapping"),
    "unclosed-quote": ("id: broken\ntitle: 'T\n", "3:1: YAML: found unexpected end of stream"
                       " (while scanning a quoted scalar that starts at line 2, column 8)"),
    "tab": ("id: broken\n\ttitle: T\n",
            "2:1: YAML: found a tab character that violates indentation (a tab: YAML indents with spaces only)"
            " (while scanning a plain scalar that starts at line 1, column 5)"),
    "second-step-bad": (step("layout: x86_64-4level", "caption: c") + "  - title: two\n    layout: x86_64-4level\n"
                        "    zoom: kernal\n    caption: c\n",
                        "9:11: no region with the id or name 'kernal' in x86_64-4level (did you mean 'kernel'?)"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_tour(tmp_path: Path, case: str) -> None:
    text, where = BROKEN[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LayoutError) as info:
        tours.validate_tour(tours.load_tour(str(path)))
    assert str(info.value) == f"{path}:{where}"
    assert isinstance(info.value.pos, Pos)


def test_reading_does_not_resolve(tmp_path: Path) -> None:
    text, _ = BROKEN["second-step-bad"]
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    tour = tours.load_tour(path)  # a PathLike works too
    assert len(tour.steps) == 2  # reading succeeds: only resolving finds the bad zoom
    tours.step_view(tour.steps[0])
    with pytest.raises(LayoutError):
        tours.step_view(tour.steps[1])


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_bytes(b"id: t\ntitle: \xff\n")
    with pytest.raises(LayoutError) as info:
        tours.load_tour(str(path))
    assert str(info.value) == f"{path}:2:8: not UTF-8 (byte 0xff)"


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * (1 << 20) + "\n", encoding="utf-8")
    with pytest.raises(LayoutError) as info:
        tours.load_tour(str(path))
    assert str(info.value) == f"{path}: larger than 1 MiB, the most a tour file may be"
    with pytest.raises(LayoutError) as info:
        tours.load_tour_text("x" * ((1 << 20) + 1), "t.yaml")
    assert str(info.value) == "t.yaml: 1048577 characters: larger than 1 MiB, the most a tour file may be"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "none.yaml"
    with pytest.raises(LayoutError) as info:
        tours.load_tour(str(path))
    assert str(info.value) == f"{path}: cannot read: No such file or directory"


def test_unknown_builtin_id() -> None:
    with pytest.raises(LayoutError) as info:
        tours.load_tour("kasan-reprot")
    assert str(info.value) == "unknown tour 'kasan-reprot' (did you mean 'kasan-report'?)"
    with pytest.raises(LayoutError) as info:
        tours.load_tour("zzz")
    assert str(info.value) == f"unknown tour 'zzz' (known: {', '.join(sorted(STEP_COUNTS))})"


def test_layout_error_inside_the_layout_file(tmp_path: Path) -> None:
    (tmp_path / "bad-layout.yaml").write_text("id: x\ntitle: [\n", encoding="utf-8")
    path = tmp_path / "t.yaml"
    path.write_text(step("layout: bad-layout.yaml", "caption: c"), encoding="utf-8")
    with pytest.raises(LayoutError) as info:
        tours.validate_tour(tours.load_tour(str(path)))
    message = str(info.value)
    assert message.startswith(f"{path}:5:13: layout '{tmp_path / 'bad-layout.yaml'}' does not load: "
                              f"{tmp_path / 'bad-layout.yaml'}:3:1: YAML: ")


# -- a tour's own layout, beside it ------------------------------------------------

TINY = ROOT / "tests" / "data" / "tiny.yaml"


def test_relative_layout_path_is_beside_the_tour(tmp_path: Path) -> None:
    (tmp_path / "layouts").mkdir()
    (tmp_path / "layouts" / "mine.yaml").write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "t.yaml"
    path.write_text(step("layout: layouts/mine.yaml", "address: 0xc0001000", "caption: c"), encoding="utf-8")
    tour = tours.load_tour(str(path))
    assert tour.steps[0].layout == str(tmp_path / "layouts" / "mine.yaml")
    tours.validate_tour(tour)
    assert tours.step_view(tour.steps[0]).address == 0xC000_1000


def test_text_without_base_keeps_the_path() -> None:
    tour = tours.load_tour_text(step("layout: tests/data/tiny.yaml", "caption: c"), "t.yaml")
    assert tour.steps[0].layout == "tests/data/tiny.yaml"
    assert tour.origin == "t.yaml"


def test_step_values(tmp_path: Path) -> None:
    tour = tours.load_tour_text(
        "id: t\ntitle: T\nsummary: S\nsteps:\n"
        "  - title: one\n    layout: x86_32-vmsplit-3g\n    params: {ram: 0x8000_0000, pae: 1}\n"
        "    zoom: kernel space > lowmem\n    address: lowmem.end - 1\n    physical: true\n"
        "    caption: '**lowmem**'\n    pid: false\n", "t.yaml")
    assert tour == tours.Tour("t", "T", "S", (tours.Step(
        title="one", layout="x86_32-vmsplit-3g", params={"ram": "0x8000_0000", "pae": "1"},
        zoom="kernel space > lowmem", address="lowmem.end - 1", physical=True, caption="**lowmem**",
        pid=False),), "t.yaml")
    assert tour.steps[0].pos("address") == Pos("t.yaml", 9, 14)
    assert tour.steps[0].pos("zoom") == Pos("t.yaml", 8, 11)
    view = tours.step_view(tour.steps[0])
    # today's kernels (maxmem_model=1, the default): high_memory 0xf6ffe000 with PAE, as Debian's 686-pae reports
    # lowmem holds the kernel image, so its children fill the map
    assert view.address == 0xF6FF_DFFF and view.zoom[-1].id == "lowmem" and view.focus.id == "lowmem"


# -- a live process ----------------------------------------------------------------


def _leaf(name: str, kind: str, start: int, end: int, perms: str = "r--p") -> Region:
    from vaslayout.proc.maps import Mapping

    return Region(name, kind, start, end, mapping=Mapping(start, end, perms, 0, "00:00", 0, name))


@pytest.fixture(scope="module")
def live() -> Layout:
    from vaslayout.proc.live import with_mappings
    from vaslayout.proc.maps import Mapping

    base = tours.step_layout(tours.Step("s", "x86_64-4level"))
    maps = [
        Mapping(0x5600_0000_0000, 0x5600_0000_1000, "r--p", 0, "08:01", 7, "/usr/bin/cat"),
        Mapping(0x5600_0000_1000, 0x5600_0000_5000, "r-xp", 0x1000, "08:01", 7, "/usr/bin/cat"),
        Mapping(0x5600_0000_8000, 0x5600_0000_9000, "rw-p", 0x8000, "08:01", 7, "/usr/bin/cat"),
        Mapping(0x5600_0100_0000, 0x5600_0102_1000, "rw-p", 0, "00:00", 0, "[heap]"),
        Mapping(0x7F00_0000_0000, 0x7F00_0002_0000, "rw-p", 0, "00:00", 0, ""),
        Mapping(0x7F00_0010_0000, 0x7F00_0012_8000, "r--p", 0, "08:01", 9, "/usr/lib/x86_64-linux-gnu/libc.so.6"),
        Mapping(0x7F00_0020_0000, 0x7F00_0020_2000, "r-xp", 0, "00:00", 0, "[vdso]"),
        Mapping(0x7FFC_0000_0000, 0x7FFC_0002_1000, "rw-p", 0, "00:00", 0, "[stack]"),
    ]
    return with_mappings(base, maps, 42, "cat (pid 42)")


def test_pid_steps_play_on_the_live_process(live: Layout) -> None:
    tour = tours.load_tour("process-anatomy")
    views = [tours.step_view(s, live) for s in tour.steps]
    assert all(v.layout is live for v in views[:7])
    assert views[7].layout.id == "x86_64-4level"  # not a pid step: the kernel half of the model
    assert [v.zoom[-1].name for v in views] == [
        "user-space virtual memory", "/usr/bin/cat", "/usr/bin/cat", "[heap]",
        "/usr/lib/x86_64-linux-gnu/libc.so.6", "[vdso]", "[stack]", "kernel space"]
    assert [v.cursor for v in views] == [
        0, 0x5600_0000_1000, 0x5600_0000_8000, 0x5600_0100_0000, 0x7F00_0010_0000, 0x7F00_0020_0000,
        0x7FFC_0000_0000, 0xFFFF_8880_0000_0000]
    assert all(v.note == "" for v in views)
    assert views[3].focus.id == "user_vm"


def test_step_without_pid_ignores_the_live_process(live: Layout) -> None:
    tour = tours.load_tour("canonical-gp")
    view = tours.step_view(tour.steps[1], live)
    assert view.layout is not live and view.layout.id == "x86_64-4level"


def test_live_process_without_a_heap(live: Layout) -> None:
    import dataclasses

    user_vm = live.find("user_vm")
    kids = tuple(c for c in user_vm.children if c.name != "[heap]")
    from vaslayout.core.engine import tile

    bare = dataclasses.replace(live, root=_swap(live.root, user_vm, dataclasses.replace(
        user_vm, children=tile([c for c in kids if not c.synthetic], user_vm.start, user_vm.end, 64))))
    heap_step = tours.load_tour("process-anatomy").steps[3]
    view = tours.step_view(heap_step, bare)
    assert view.zoom == () and view.cursor is None and view.focus is bare.root
    assert view.note == "this process has no heap; heap.start does not apply to this process"


def _swap(region: Region, old: Region, new: Region) -> Region:
    import dataclasses

    if region is old:
        return new
    if not region.children:
        return region
    return dataclasses.replace(region, children=tuple(_swap(c, old, new) for c in region.children))


# -- purity --------------------------------------------------------------------


def test_tours_imports_no_ui() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    code = ("import sys\nfrom vaslayout.teach import tours\ntours.validate_tour(tours.load_tour('kasan-report'))\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"


def test_the_documented_example_validates(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "tour-format.md").read_text(encoding="utf-8")
    example = doc.split("## A complete example\n\n```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "lowmem-in-brief.yaml"
    path.write_text(example, encoding="utf-8")
    tour = tours.load_tour(str(path))
    tours.validate_tour(tour)
    assert tour.id == "lowmem-in-brief" and len(tour.steps) == 3
    assert [s.pid for s in tour.steps] == [False, False, True]
    view = tours.step_view(tour.steps[1])
    assert view.zoom[-1].id == "lowmem" and view.address == 0xF7FF_FFFF and view.physical


def test_documented_python_example() -> None:
    view = tours.step_view(tours.load_tour("kasan-report").steps[4])
    assert (view.focus.name, hex(view.cursor)) == ("user-space virtual memory", "0xa0")

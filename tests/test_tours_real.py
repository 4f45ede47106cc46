"""Tours on real machines: `capture:` and `report:` steps, and the two built-in tours made of real data.

Every number a caption of the real-kaslr and real-kasan-report tours writes
in hex must be found in the data the step shows (the capture's own
variables, /proc/iomem and region bounds; the report's text and what
`explain` says of it), or be the difference of two such numbers.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pytest

from vaslayout.core.loader import LayoutError
from vaslayout.core.model import Layout
from vaslayout.teach import tours

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = ROOT / "tests" / "data" / "captures"
KASLR = "x86_64-6.12-4level-kaslr"
REPORT = ROOT / "tours" / "reports" / "syzkaller-512-gpf.txt"
HEX = re.compile(r"0x[0-9a-fA-F]+")


def numbers(text: str) -> set[int]:
    """Every hex number in text, with or without 0x (register dumps print them bare)."""
    found = {int(h, 16) for h in HEX.findall(text)}
    return found | {int(h, 16) for h in re.findall(r"\b[0-9a-f]{8,16}\b", text)}


def bounds(layout: Layout) -> set[int]:
    out: set[int] = set()
    stack = [layout.root]
    while stack:
        r = stack.pop()
        out |= {r.start, r.end}
        stack.extend(r.children)
    return out


def accounted(claimed: set[int], known: set[int]) -> set[int]:
    """The claimed numbers neither known nor the difference of two known ones."""
    diffs = {abs(a - b) for a, b in combinations(known, 2)}
    return {n for n in claimed if n not in known and n not in diffs}


def tour_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "t.yaml"
    body = "".join(f"    {ln}\n" for ln in lines)
    path.write_text(f"id: t\ntitle: T\nsteps:\n  - title: one\n{body}", encoding="utf-8")
    return path


# -- capture: -----------------------------------------------------------------


def test_capture_step_shows_the_kernel_it_captured(tmp_path: Path) -> None:
    shutil.copytree(CAPTURES / KASLR, tmp_path / "cap")
    path = tour_file(tmp_path, "capture: cap", "zoom: direct_map", "caption: c")
    tour = tours.load_tour(str(path))
    step = tour.steps[0]
    assert step.capture == str(tmp_path / "cap") and step.layout == "x86_64-4level"
    tours.validate_tour(tour)
    view = tours.step_view(step)
    assert view.layout.id == "capture-cap"
    assert view.zoom[-1].start == view.cursor == 0xFFFF89E000000000  # page_offset_base of that boot
    assert view.layout.find("vmalloc").children  # its /proc/vmallocinfo drawn in


def test_capture_step_as_a_tar_gz(tmp_path: Path) -> None:
    archive = shutil.make_archive(str(tmp_path / "cap"), "gztar", CAPTURES / KASLR)
    path = tour_file(tmp_path, f"capture: {Path(archive).name}", "caption: c")
    tours.validate_tour(tours.load_tour(str(path)))


@pytest.mark.parametrize("value, message", [
    ("nowhere.tar.gz", "no such capture"),
    ("notes.txt", "not a capture (neither a tar.gz nor a directory)"),
    ("emptydir", "not a capture (no proc/ and no capture.json)"),
    ("''", "step 1 capture is empty"),
])
def test_bad_capture_names_the_tour_file_line_and_column(tmp_path: Path, value: str, message: str) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "emptydir").mkdir()
    path = tour_file(tmp_path, f"capture: {value}", "caption: c")
    with pytest.raises(LayoutError) as info:
        tours.load_tour(str(path))
    assert str(info.value).startswith(f"{path}:5:14: ") and message in str(info.value)


def test_capture_and_report_together_are_refused(tmp_path: Path) -> None:
    path = tour_file(tmp_path, f"capture: {CAPTURES / KASLR}", f"report: {REPORT}", "caption: c")
    with pytest.raises(LayoutError, match=r":5:14: step 1 has both a capture and a report"):
        tours.load_tour(str(path))


@pytest.mark.parametrize("params, at, message", [
    ("{ram: lots}", "6:19", "param 'ram': unknown name 'lots'"),  # the value, as on a step of a layout
    ("{rams: 4G}", "6:14", "x86_64-4level has no param 'rams'"),  # the name
])
def test_bad_param_on_a_capture_points_where_it_is_written(tmp_path: Path, params: str, at: str,
                                                           message: str) -> None:
    path = tour_file(tmp_path, f"capture: {CAPTURES / KASLR}", f"params: {params}", "caption: c")
    with pytest.raises(LayoutError) as info:
        tours.validate_tour(tours.load_tour(str(path)))
    assert str(info.value).startswith(f"{path}:{at}: {message}")


def test_params_on_a_capture_step_apply_on_top_of_the_captured_kernel(tmp_path: Path) -> None:
    from vaslayout.session import Session

    path = tour_file(tmp_path, f"capture: {CAPTURES / KASLR}", "params: {ram: 2G}", "caption: c")
    session = Session.for_tour(tours.load_tour(str(path)))
    assert session.layout.id == f"capture-{KASLR}" and session.layout.params["ram"].value == 2 << 30
    assert session.overrides_now() == {"ram": "2G"}
    tried = session.try_params({"ram": "8G"})  # the param editor: the capture stays, its KASLR bases too
    assert tried.id == f"capture-{KASLR}" and tried.params["ram"].value == 8 << 30
    assert tried.params["page_offset_base"].value == 0xFFFF89E000000000
    with pytest.raises(LayoutError, match="unknown name 'lots'"):
        session.try_params({"ram": "lots"})


def test_report_step_relative_to_the_tour_file(tmp_path: Path) -> None:
    shutil.copy(REPORT, tmp_path / "crash.txt")
    tour = tours.load_tour(str(tour_file(tmp_path, "report: crash.txt", "caption: c")))
    tours.validate_tour(tour)
    assert tour.steps[0].address == "0xdffffc0002c3fefa" and tour.steps[0].layout == "x86_64-4level"


def test_bad_report_names_the_tour_file_line_and_column(tmp_path: Path) -> None:
    path = tour_file(tmp_path, "report: missing.txt", "caption: c")
    with pytest.raises(LayoutError) as info:
        tours.load_tour(str(path))
    assert str(info.value).startswith(f"{path}:5:13: cannot read the report ")


def test_cli_bad_capture_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tour_file(tmp_path, "capture: nowhere.tar.gz", "caption: c")
    run = subprocess.run([sys.executable, "-m", "vaslayout", "tour", str(path)], capture_output=True, text=True,
                         cwd=ROOT, check=False)
    assert run.returncode == 2 and run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1 and f"{path}:5:14:" in run.stderr


# -- the real-kaslr tour: its captions against the captures -------------------------


def capture_numbers(name: str, layout: Layout) -> set[int]:
    folder = ROOT / "tours" / "captures" / name
    variables = json.loads((folder / "kcore-vars.json").read_text())["variables"]
    known = {int(v["value"], 16) for v in variables.values()} | {int(v["address"], 16) for v in variables.values()}
    iomem = (folder / "proc" / "iomem").read_text()
    known |= {int(h, 16) for h in re.findall(r"^\s*([0-9a-f]+)-", iomem, re.M)}
    return known | bounds(layout)


def test_real_kaslr_captions_are_true_to_the_captures() -> None:
    tour = tours.load_tour("real-kaslr")
    views = [tours.step_view(s) for s in tour.steps]
    known: set[int] = set()
    for step, view in zip(tour.steps, views, strict=True):
        known |= capture_numbers(Path(step.capture or "").name, view.layout)
    for step in tour.steps:
        assert not accounted(numbers(step.caption), known), step.title
    no, yes = views[0].layout, views[1].layout
    assert [no.find(r).start for r in ("direct_map", "vmalloc", "vmemmap")] == [
        0xFFFF888000000000, 0xFFFFC90000000000, 0xFFFFEA0000000000]  # the mm.rst defaults
    assert no.find("direct_map").size == 64 << 40 and yes.find("direct_map").size == 11 << 40
    assert yes.find("direct_map").start - 0xFFFF888000000000 == int(1.375 * (1 << 40))
    assert yes.find("vmalloc").size == 32 << 40 and yes.find("vmemmap").size == 1 << 40
    assert all(yes.find(r).start % (1 << 30) == 0 for r in ("direct_map", "vmalloc", "vmemmap"))
    assert views[4].address == 0xFFFFFFFFB7E00000 == 0xFFFFFFFF81000000 + 0x36E00000
    for rid in ("kernel_text", "modules"):
        assert no.find(rid).start == yes.find(rid).start


# -- the real-kasan-report tour: its captions against the report and its explanation --------


def test_real_kasan_report_captions_are_true_to_the_report() -> None:
    from vaslayout.report import explain_text, layout_loader
    from vaslayout.report.text import render

    path = ROOT / "tours" / "reports" / "syzkaller-738-gpf.txt"
    text = path.read_text()
    explanation = explain_text(text, layout_loader(), name=str(path))
    rep = explanation.reports[0]
    said = "\n".join(render(explanation))
    tour = tours.load_tour("real-kasan-report")
    tours.validate_tour(tour)
    roles = {e.address: e for e in rep.addresses}
    known = numbers(text) | numbers(said) | bounds(tours.step_view(tour.steps[0]).layout)
    for step in tour.steps:
        assert int(step.address or "", 16) in roles, step.title  # each stop is an address of the report
        teacher = step.caption.split("\n\n`")[0]
        assert not accounted(numbers(teacher) - {0x20, 0x27, 0x4}, known), step.title
    assert (0xDFFFFC0000000004 - 0xDFFFFC0000000000) << 3 == 0x20
    assert "null-ptr-deref in range [0x0000000000000020-0x0000000000000027]" in text
    assert "<80> 78 04 00" in text and "RAX: dffffc0000000000" in text
    assert roles[0xFFFFC9000414FB40].role == "rsp" and roles[0xFFFF8881250CF000].role == "reg GS"
    assert roles[0x00002000000000C0].role == "cr2" and "CPU: 1 " in text

"""The session without a screen: a fake source, params, the view kept across re-reads, a tour."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fake_sources import FakeProcess
from vaslayout import catalog
from vaslayout.core.loader import LayoutError
from vaslayout.proc import ProcError
from vaslayout.session import Session, ViewState, default_cursor
from vaslayout.sources import BuiltinSource, FileSource, LayoutSource, LiveSource, TourStepSource, source_for


def test_every_source_meets_the_protocol() -> None:
    assert isinstance(FakeProcess(catalog.load("x86_64-4level")), LayoutSource)
    assert isinstance(BuiltinSource("x86_64-4level"), LayoutSource)
    assert isinstance(LiveSource(1), LayoutSource)
    assert isinstance(source_for("layouts/x86_64-4level.yaml"), FileSource)
    assert isinstance(source_for("x86_64-4level"), BuiltinSource)


def test_a_session_starts_on_the_direct_map() -> None:
    s = Session.for_layout("x86_64-4level")
    assert s.view.cursor == 0xFFFF888000000000 == default_cursor(s.layout)
    assert s.view.focus is s.layout.root and s.name == "x86_64-4level" and s.pid is None and not s.live


def test_a_bad_name_fails_before_anything_is_shown() -> None:
    with pytest.raises(LayoutError, match="unknown layout"):
        Session.for_layout("x86_64-4levle")


def test_a_reread_keeps_cursor_and_zoom() -> None:
    first = catalog.load("x86_32-vmsplit-3g")
    second = catalog.load("x86_32-vmsplit-3g", {"ram": "512M"})
    s = Session(FakeProcess(first, second))
    lowmem = next(r for r in first.leaves if r.kind == "direct-map")
    s.view = ViewState(first, first.path_at(lowmem.start)[-2], lowmem.start + 0x1000, "equal")
    view = s.apply(s.reread())
    assert view.layout is second and s.layout is second
    assert view.cursor == lowmem.start + 0x1000 and view.scale == "equal"
    assert view.focus.name == s.view.focus.name and view.focus is not first.root
    assert s.live and s.pid == 4242


def test_a_failed_reread_changes_nothing() -> None:
    first = catalog.load("x86_64-4level")
    s = Session(FakeProcess(first, ProcError("/proc/4242/maps: no process 4242 (it exited)")))
    with pytest.raises(ProcError, match="exited"):
        s.reread()
    assert s.layout is first


def test_params_are_tried_then_kept_per_source() -> None:
    s = Session.for_layout("x86_32-vmsplit-3g")
    with pytest.raises(LayoutError):
        s.try_params({"ram": "lots"})
    layout = s.try_params({"ram": "512M", "phys_base": " "})
    s.apply(layout, {"ram": "512M", "phys_base": " "})
    assert s.overrides_now() == {"ram": "512M"}  # blank fields follow the default again
    s.open("x86_64-4level")
    assert s.overrides_now() == {}
    s.open("x86_32-vmsplit-3g")
    assert s.layout.params["ram"].value == 512 << 20


def test_a_live_process_has_no_spec_to_edit() -> None:
    s = Session(FakeProcess(catalog.load("x86_64-4level")))
    with pytest.raises(LayoutError, match="running kernel"):
        s.try_params({"ram": "4G"})


def test_a_file_is_offered_again_after_it_was_opened(tmp_path) -> None:
    path = tmp_path / "mine.yaml"
    builtin = Path(catalog.builtin_dir()) / "x86_64-4level.yaml"
    path.write_text(builtin.read_text(encoding="utf-8"), encoding="utf-8")
    s = Session.for_layout("x86_64-5level")
    s.open(str(path))
    assert str(path) in [name for name, _ in s.layout_choices()]


def test_jump_zooms_to_the_innermost_region() -> None:
    s = Session.for_layout("x86_64-4level")
    view = s.jump(0xFFFF888000001000)
    assert view.cursor == 0xFFFF888000001000 and view.focus.name == "kernel space"


def test_a_tour_steps_inside_its_bounds() -> None:
    from vaslayout.teach.tours import builtin_tours, load_tour

    tour = load_tour(builtin_tours()[0])
    s = Session.for_tour(tour)
    assert isinstance(s.source, TourStepSource) and s.step_index(-1) == 0
    last = s.step_index(len(tour.steps) + 5)
    assert last == len(tour.steps) - 1
    view = s.play(last)
    assert s.tour is not None and s.tour.index == last and s.layout is view.layout
    assert s.name == tour.steps[last].layout


def test_session_and_sources_import_no_ui() -> None:
    import subprocess
    import sys

    code = ("import sys, vaslayout.session, vaslayout.sources\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

"""Tours and crash reports: a step's `report:`, and a report as a tour."""

from __future__ import annotations

from pathlib import Path

import pytest

from vaslayout.core.loader import LayoutError
from vaslayout.report import explain_text, layout_loader
from vaslayout.report.tour import report_tour
from vaslayout.teach.tours import load_tour, load_tour_text, step_view, validate_tour

ROOT = Path(__file__).resolve().parent.parent


def test_the_built_in_real_crash_tour_resolves_with_the_reports_layout():
    tour = load_tour("real-crash")
    validate_tour(tour)
    first = tour.steps[0]
    assert first.layout == "x86_64-4level" and first.address == "0xdffffc0002c3fefa"
    assert "probably user-memory-access" in first.caption  # the explanation under the teacher's caption
    assert "The kernel could not load" in first.caption
    assert step_view(tour.steps[3]).layout.path_at(0xffffc900197c7990)[-1].kind == "vmalloc"


def test_a_report_step_without_address_stops_at_the_fault_and_the_steps_layout_wins(tmp_path):
    (tmp_path / "oops.txt").write_text((ROOT / "tours" / "reports" / "syzkaller-512-gpf.txt").read_text())
    tour = load_tour_text("id: t\ntitle: T\nsteps:\n  - title: a\n    report: oops.txt\n    layout: x86_64-5level\n"
                          "    caption: c\n", "t.yaml", base=tmp_path)
    assert tour.steps[0].layout == "x86_64-5level" and tour.steps[0].address == "0xdffffc0002c3fefa"


def test_a_report_step_that_cannot_be_read_points_at_the_file():
    with pytest.raises(LayoutError) as err:
        load_tour_text("id: t\ntitle: T\nsteps:\n  - title: a\n    report: /nonexistent/oops.txt\n"
                       "    caption: c\n", "t.yaml")
    assert str(err.value).startswith("t.yaml:5:13: cannot read the report")


def test_a_step_without_layout_or_report_is_still_refused():
    with pytest.raises(LayoutError, match="layout"):
        load_tour_text("id: t\ntitle: T\nsteps:\n  - title: a\n    caption: c\n", "t.yaml")


def test_a_report_as_a_tour_has_one_stop_per_address_worth_showing():
    text = (ROOT / "tours" / "reports" / "syzkaller-512-gpf.txt").read_text()
    tour = report_tour(explain_text(text, layout_loader()), "512")
    validate_tour(tour)
    assert [s.address for s in tour.steps][:2] == ["0xdffffc0002c3fefa", "0xffffc900197c7990"]
    assert all(s.layout == "x86_64-4level" for s in tour.steps)

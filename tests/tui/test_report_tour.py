"""`open --report`: the map steps through a crash report's addresses with n / p, each captioned."""

from __future__ import annotations

from pathlib import Path

import yaml

from vaslayout.report import explain_text, layout_loader
from vaslayout.report.tour import report_tour
from vaslayout.session import Session
from vaslayout.tui.app import VasLayoutApp

SIZE = (120, 40)
DATA = Path(__file__).resolve().parent.parent / "data" / "reports" / "syzkaller-reports.yaml"
REPORT = next(r for r in yaml.safe_load(DATA.read_text())["reports"] if r["id"] == "syz-512-gpf-user")["report"]


def report_app() -> VasLayoutApp:
    tour = report_tour(explain_text(REPORT, layout_loader()), "512")
    return VasLayoutApp(Session.for_tour(tour, 0))  # as `open --report` builds it


async def test_n_and_p_put_the_cursor_on_each_address_in_turn() -> None:
    app = report_app()
    steps = app.session.tour.tour.steps
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.map.state.cursor == 0xdffffc0002c3fefa  # the fault first
        await pilot.press("n")
        await pilot.pause()
        assert app.map.state.cursor == int(steps[1].address, 16)
        await pilot.press("p")
        await pilot.pause()
        assert app.map.state.cursor == 0xdffffc0002c3fefa


async def test_fast_keys_end_on_the_right_address() -> None:
    app = report_app()
    steps = app.session.tour.tour.steps
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*["n"] * (len(steps) + 5))  # unpaced, past the end
        await pilot.pause()
        assert app.session.tour.index == len(steps) - 1
        assert app.map.state.cursor == int(steps[-1].address, 16)
        await pilot.press("p", "p")
        await pilot.pause()
        assert app.map.state.cursor == int(steps[-3].address, 16)


async def test_every_address_of_the_report_is_marked_and_the_step_is_highlighted() -> None:
    app = report_app()
    tour = app.session.tour.tour
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        marks = app.session.source.overlays()
        assert [m.address for m in marks] == [int(s.address, 16) for s in tour.steps]
        assert marks[0].role == "fault" and app.map.has_markers
        await pilot.press("n")
        await pilot.pause()
        assert app.map.state.cursor == marks[1].address

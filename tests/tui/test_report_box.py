"""The paste box (`o`): a pasted report plays like `open --report`, every address marked on the map."""

from __future__ import annotations

from pathlib import Path

import yaml
from textual import events

from vaslayout.report import parse
from vaslayout.tui import report_box
from vaslayout.tui.app import VasLayoutApp
from vaslayout.tui.report_box import MAX_PASTE, ReportBox, bound_paste

SIZE = (120, 40)
DATA = Path(__file__).resolve().parent.parent / "data" / "reports" / "syzkaller-reports.yaml"
REPORT = next(r for r in yaml.safe_load(DATA.read_text())["reports"] if r["id"] == "syz-512-gpf-user")["report"]
FAULT = 0xdffffc0002c3fefa


async def paste(app: VasLayoutApp, pilot, text: str) -> None:
    app.post_message(events.Paste(text))  # as the terminal sends it: to the focused text area
    await pilot.pause()


async def open_and_submit(app: VasLayoutApp, pilot, text: str) -> ReportBox:
    """`o`, paste, Ctrl+Enter, and the explanation done: the box (closed or not)."""
    await pilot.press("o")
    await pilot.pause()
    box = app.screen
    assert isinstance(box, ReportBox)
    await paste(app, pilot, text)
    await pilot.press("ctrl+enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    return box


async def test_o_paste_submit_then_n_n_p_and_escape() -> None:
    app = VasLayoutApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, ReportBox)
        await paste(app, pilot, REPORT)
        await pilot.press("ctrl+enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, ReportBox)
        steps = app.session.tour.tour.steps
        assert app.map.state.cursor == FAULT and app.map.has_markers
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        assert app.session.tour.index == 1 and app.map.state.cursor == int(steps[1].address, 16)
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and app.map.has_markers


async def test_unpaced_a_double_submit_explains_once(monkeypatch) -> None:
    calls: list[int] = []
    real = report_box.explain_pasted

    def counted(text: str):
        calls.append(1)
        return real(text)

    monkeypatch.setattr(report_box, "explain_pasted", counted)
    app = VasLayoutApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        app.post_message(events.Paste(REPORT))
        await pilot.press("ctrl+enter", "ctrl+enter", "ctrl+enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("n", "n", "p")  # unpaced
        await pilot.pause()
        assert calls == [1]
        assert app.session.tour.index == 1
        assert app.map.state.cursor == int(app.session.tour.tour.steps[1].address, 16)


async def test_escape_closes_the_box_and_nothing_changes() -> None:
    app = VasLayoutApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        await paste(app, pilot, REPORT)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ReportBox) and app.session.tour is None and not app.map.has_markers


async def test_a_paste_without_addresses_says_so_in_place_and_keeps_the_text() -> None:
    app = VasLayoutApp()
    async with app.run_test(size=SIZE) as pilot:
        box = await open_and_submit(app, pilot, "hello, no oops in here\n")
        assert app.screen is box and app.is_running
        assert "no crash report found" in str(box.message.render())
        assert box.area.text == "hello, no oops in here\n" and not box.area.read_only


def test_a_huge_paste_is_bounded_like_the_reader() -> None:
    text, note = bound_paste("x" * 10**6 + "\n" + REPORT, MAX_PASTE)
    assert len(text.split("\n")[0]) == parse.MAX_LINE and REPORT in text and "1 line(s) cut" in note
    text, note = bound_paste("y\n" * MAX_PASTE, MAX_PASTE)
    assert len(text) == MAX_PASTE and "cut at 1 Mi" in note


async def test_a_megabyte_paste_with_a_long_line_still_explains() -> None:
    app = VasLayoutApp()
    async with app.run_test(size=SIZE) as pilot:
        box = await open_and_submit(app, pilot, "x" * 10**6 + "\n" + REPORT)
        assert max(len(line) for line in box.area.text.split("\n")) <= parse.MAX_LINE
        assert app.map.state.cursor == FAULT


class TestSnapshot:
    def test_markers_of_a_syzkaller_report(self, snap_compare):
        async def run_before(pilot) -> None:
            await pilot.press("o")
            await paste(pilot.app, pilot, REPORT)
            await pilot.press("ctrl+enter")
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

        assert snap_compare(VasLayoutApp(), run_before=run_before, terminal_size=SIZE)

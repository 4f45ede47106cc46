"""The tours on real data, played in the app: each step shows its capture or report, its cursor and caption."""

from __future__ import annotations

import pytest

from vaslayout.teach.tours import step_view
from vaslayout.tui.app import VasLayoutApp

from .test_tour import SIZE, caption, tour_app


def shown(app: VasLayoutApp) -> tuple[str, int, str]:
    s = app.map.state
    return s.layout.id, s.cursor, s.focus.name


@pytest.mark.parametrize("name", ["real-kaslr", "real-kasan-report"])
async def test_the_real_tours_play_step_by_step(name: str) -> None:
    app = tour_app(name)
    tour = app.session.tour.tour
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for index, step in enumerate(tour.steps):
            view = step_view(step)
            assert app.session.tour.index == index
            assert shown(app) == (view.layout.id, view.cursor, view.focus.name), step.title
            text = " ".join(caption(app).split())
            assert step.title in text and f"{index + 1}/{len(tour.steps)}" in text
            first = step.caption.split("**")[0].split("`")[0].strip()
            assert " ".join(first.split()) in text, step.title
            await pilot.press("n")
            await pilot.pause()
        assert app.session.tour.index == len(tour.steps) - 1  # n on the last step stays there
    if name == "real-kaslr":
        assert step_view(tour.steps[1]).layout.id == "capture-x86_64-6.12-4level-kaslr"


async def test_params_edited_on_a_capture_step_keep_the_captured_kernel() -> None:
    from textual.widgets import Input

    from vaslayout.tui.screens import ParamEditor

    app = tour_app("real-kaslr", 1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        captured = app.layout.id
        assert captured == "capture-x86_64-6.12-4level-kaslr"
        base = app.layout.params["page_offset_base"].value
        app.action_edit_params()  # p steps back in a tour: the editor is the palette's
        await pilot.pause()
        assert isinstance(app.screen, ParamEditor)
        app.screen.query_one("#param-ram", Input).value = "16G"
        await pilot.pause()
        # the capture stays (its KASLR bases, its vmalloc areas), with the new RAM size on top
        assert app.layout.id == captured and app.layout.params["ram"].value == 16 << 30
        assert app.layout.params["page_offset_base"].value == base and app.layout.find("vmalloc").children
        assert app.map.state.layout is app.layout

"""Playing a tour: steps, n / p, the caption and counter, the physical side, other keys still working."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import Static

from vaslayout.session import Session
from vaslayout.teach.tours import load_tour, step_view
from vaslayout.tui.app import VasLayoutApp
from vaslayout.tui.split import SplitScreen

SIZE = (120, 40)


def tour_app(name: str, step: int = 0) -> VasLayoutApp:
    tour = load_tour(name)
    return VasLayoutApp(Session.for_tour(tour, step))


def caption(app: VasLayoutApp) -> str:
    """The caption as plain text, wherever it is shown."""
    widget = (app.screen.query_one("#split-info", Static) if isinstance(app.screen, SplitScreen)
              else app.query_one("#caption", Static))
    console = Console(width=200, file=io.StringIO(), color_system=None)
    console.print(widget.content)
    return console.file.getvalue()


async def test_n_and_p_walk_the_steps_with_a_counter() -> None:
    app = tour_app("vmsplit-lowmem")
    tour = app.session.tour.tour
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.session.tour.index == 0 and f"1/{len(tour.steps)}" in caption(app)
        await pilot.press("n")
        await pilot.pause()
        assert app.session.tour.index == 1 and f"2/{len(tour.steps)}" in caption(app)
        await pilot.press("p")
        await pilot.pause()
        assert app.session.tour.index == 0
        await pilot.press("p")  # stays on the first step
        await pilot.pause()
        assert app.session.tour.index == 0


async def test_each_step_shows_its_layout_params_and_address() -> None:
    app = tour_app("vmsplit-lowmem")
    tour = app.session.tour.tour
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for i, step in enumerate(tour.steps):
            if i:
                await pilot.press("n")
                await pilot.pause()
            view = step_view(step)
            assert app.layout.id == view.layout.id
            assert app.layout.params["ram"].value == view.layout.params["ram"].value
            if view.cursor is not None:
                assert app.map.state.cursor == view.cursor
            assert isinstance(app.screen, SplitScreen) == view.physical


async def test_other_keys_work_inside_a_step() -> None:
    app = tour_app("canonical-gp")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = app.map.state.cursor
        await pilot.press("down")
        await pilot.pause()
        assert app.map.state.cursor != before
        await pilot.press("n")
        await pilot.pause()
        assert app.session.tour.index == 1


async def test_without_a_tour_n_and_p_do_their_usual_work() -> None:
    app = VasLayoutApp("x86_64-4level")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await pilot.pause()
        assert type(app.screen).__name__ == "ParamEditor"


async def test_steps_asked_for_while_a_split_view_mounts_are_all_taken() -> None:
    app = tour_app("vmsplit-lowmem")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _ in range(3):  # in one go: step 2 opens the split view, 3 and 4 wait until it is up
            app.action_tour_step(1)
        for _ in range(20):
            await pilot.pause()
        assert app.session.tour.index == 3 and f"4/{len(app.session.tour.tour.steps)}" in caption(app)

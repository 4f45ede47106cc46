"""Quiz, diff and presenter mode in the map."""

from __future__ import annotations

from textual.widgets import DataTable, OptionList, Static

from vaslayout.catalog import load
from vaslayout.session import Opening, Session
from vaslayout.teach.quiz import make_quiz
from vaslayout.tui.app import PRESENT_THEME, VasLayoutApp
from vaslayout.tui.diff_view import DiffScreen
from vaslayout.tui.quiz import QuizScreen

SIZE = (120, 40)


async def test_quiz_scores_and_moves_the_map_to_the_answer() -> None:
    layout = load("x86_32-vmsplit-3g")
    questions = make_quiz(layout, 5, 3)
    app = VasLayoutApp(Session.for_layout("x86_32-vmsplit-3g", opening=Opening(quiz=(questions, "test quiz"))))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen)
        for q in questions:
            options = app.screen.query_one(OptionList)
            options.highlighted = q.answer
            await pilot.press("enter")
            await pilot.pause()
            assert app.map.state.cursor == q.address
            assert "Right!" in str(app.screen.query_one("#quiz-feedback", Static).render())
            await pilot.press("n")
            await pilot.pause()
        assert "Score: 3 of 3" in str(app.screen.query_one("#quiz-question", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, QuizScreen)


async def test_a_wrong_answer_shows_the_right_one() -> None:
    layout = load("x86_64-4level")
    q = make_quiz(layout, 9, 1)[0]
    app = VasLayoutApp(Session.for_layout("x86_64-4level", opening=Opening(quiz=([q], "one"))))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.query_one(OptionList).highlighted = (q.answer + 1) % len(q.options)
        await pilot.press("enter")
        await pilot.pause()
        text = str(app.screen.query_one("#quiz-feedback", Static).render())
        assert "Not quite" in text and q.answer_text in text


async def test_d_in_compare_lists_the_differences() -> None:
    app = VasLayoutApp("x86_64-4level")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c", "d")
        await pilot.pause()
        assert isinstance(app.screen, DiffScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 38


async def test_presenter_mode_toggles_theme_footer_and_caption() -> None:
    app = VasLayoutApp("x86_32-vmsplit-3g")
    async with app.run_test(size=(100, 30)) as pilot:
        before = app.theme
        await pilot.press("f5")
        await pilot.pause()
        assert app.has_class("-present") and app.theme == PRESENT_THEME.name and app.map.state.scale == "equal"
        assert "lowmem (direct mapping of RAM)" in str(app.query_one("#caption", Static).render())  # the outline's row
        await pilot.press("f5")
        await pilot.pause()
        assert not app.has_class("-present") and app.theme == before

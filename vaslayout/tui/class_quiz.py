"""The class quiz on a follower: the teacher's question, the student's answer sent back, the reveal.

The question comes in the followed view (tui/follow.py) without its answer;
Enter sends the chosen option to this follower's slot (teach/answers.py),
as often as the student changes their mind, until the teacher reveals the
answer, which then shows here and on the followed map.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import OptionList

from vaslayout.teach.quiz import letter
from vaslayout.tui.quiz import QuestionPanel, QuizScreen
from vaslayout.tui.widgets import SafeScreen


class StudentQuizScreen(QuestionPanel, SafeScreen, ModalScreen[None]):
    """The teacher's question, answered here; the answer arrives when the teacher reveals it."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Hide the question")]
    DEFAULT_CSS = QuizScreen.DEFAULT_CSS.replace("QuizScreen", "StudentQuizScreen")

    def __init__(self, question: dict[str, Any], send: Callable[[str, int], None]) -> None:
        super().__init__()
        self.send = send
        self.current: dict[str, Any] = {}
        self.chosen: int | None = None
        self.build_panel()
        self.pending = question
        self.ready = False  # set in on_mount: a view arriving before it waits in `pending`

    def on_mount(self) -> None:
        self.ready = True
        self.show(self.pending)

    def show(self, question: dict[str, Any]) -> None:
        """A new question (options reset), or the same one revealed (the verdict shown)."""
        if not self.ready:
            self.pending = question
            return
        if question.get("id") != self.current.get("id"):
            self.chosen = None
            self.head.update(Text(question["head"], style="bold"))
            self.question.update(question["text"])
            self.show_options(question["options"])
        self.current = question
        self._feedback()

    def _feedback(self) -> None:
        q, answer = self.current, self.current.get("answer")
        if answer is None:
            text = Text("↑↓ and Enter to answer; the teacher sees how many chose each answer, not who",
                        style="dim") if self.chosen is None else \
                Text(f"You answered {letter(self.chosen)}: waiting for the teacher", style="bold")
        else:
            right = letter(answer) + ", " + q["options"][answer]
            if self.chosen is None:
                text = Text(f"The answer is {right}.", style="bold")
            elif self.chosen == answer:
                text = Text(f"Right! The answer is {right}.", style="bold green")
            else:
                text = Text(f"Not quite: the answer is {right}.", style="bold red")
        self.feedback.update(text)

    @on(OptionList.OptionSelected)
    def _answer(self, event: OptionList.OptionSelected) -> None:
        if self.dismissed or self.current.get("answer") is not None or not self.current:
            return
        self.chosen = int(event.option.id or 0)
        self.send(self.current["id"], self.chosen)
        self._feedback()

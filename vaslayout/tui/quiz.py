"""The quiz: a question under the map; the answer moves the map to the address."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from vaslayout.teach.quiz import Question, letter
from vaslayout.tui.messages import ShowAddress
from vaslayout.tui.widgets import DismissOnce, SafeOptionList


class QuizScreen(DismissOnce, ModalScreen[None]):
    """One question at a time; Enter answers, n goes on, the score at the end."""

    BINDINGS = [
        Binding("n", "next", "Next question"),
        Binding("escape,q", "dismiss(None)", "End quiz"),
    ]
    DEFAULT_CSS = """
    QuizScreen { align: center bottom; background: $background 0%; }
    QuizScreen > Vertical {
        width: 100%; height: auto; max-height: 60%;
        border-top: thick $accent; background: $panel; padding: 0 2;
    }
    QuizScreen #quiz-question { text-style: bold; padding: 1 0 0 0; }
    QuizScreen OptionList { height: auto; max-height: 8; }
    QuizScreen #quiz-feedback { height: auto; padding: 0 0 1 0; }
    """

    def __init__(self, questions: list[Question], title: str) -> None:
        super().__init__()
        self.questions = questions
        self.title_text = title
        self.index = 0
        self.right = 0
        self.answered = False
        # held, not queried: a key may arrive while the screen is being torn down
        self.head = Static(id="quiz-head")
        self.question = Static(id="quiz-question")
        self.options = SafeOptionList(id="quiz-options")
        self.feedback = Static(id="quiz-feedback")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield self.head
            yield self.question
            yield self.options
            yield self.feedback

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        q = self.questions[self.index]
        self.answered = False
        self.head.update(
            Text.assemble((f"{self.title_text}  ", "bold"), f"question {self.index + 1}/{len(self.questions)}",
                          (f"   score {self.right}/{self.index}", "dim")))
        self.question.update(q.text)
        options = self.options
        options.clear_options()
        options.add_options([Option(f"{letter(i)}  {o}", id=str(i)) for i, o in enumerate(q.options)])
        options.highlighted = 0
        options.focus()
        self.feedback.update(Text("↑↓ and Enter to answer", style="dim"))

    @on(OptionList.OptionSelected)
    def _answer(self, event: OptionList.OptionSelected) -> None:
        if self.answered or self.dismissed:
            return
        q = self.questions[self.index]
        chosen = int(event.option.id or 0)
        self.answered = True
        good = chosen == q.answer
        self.right += good
        verdict = Text("Right! " if good else f"Not quite: the answer is {letter(q.answer)}, {q.answer_text}. ",
                       style="bold green" if good else "bold red")
        verdict.append(q.explanation)
        more = "n: next question" if self.index + 1 < len(self.questions) else "n: see the score"
        verdict.append(f"\n{more}, Esc: end", style="dim")
        self.feedback.update(verdict)
        self.post_message(ShowAddress(q.address))  # the map shows where the answer lives

    def action_next(self) -> None:
        if not self.answered:
            return
        if self.index + 1 < len(self.questions):
            self.index += 1
            self._show()
            return
        total = len(self.questions)
        self.head.update(Text(f"{self.title_text}: done", style="bold"))
        self.question.update(Text(f"Score: {self.right} of {total}", style="bold"))
        self.options.clear_options()
        self.feedback.update(Text("Esc ends the quiz", style="dim"))

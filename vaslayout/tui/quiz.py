"""The quiz: a question under the map; the answer moves the map to the address."""

from __future__ import annotations

import secrets
from typing import Any

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
from vaslayout.tui.widgets import SafeOptionList, SafeScreen


class QuestionPanel:
    """The question's widgets (head, question, options, feedback), held, not queried: a key may
    arrive while the screen is being torn down. Shared by the quiz and a follower's class quiz."""

    # a mixin, not a Screen subclass: Textual's CSS and screen machinery see the screen's own bases only

    def build_panel(self, *extra: Static) -> None:
        self.head = Static(id="quiz-head")
        self.question = Static(id="quiz-question")
        self.options = SafeOptionList(id="quiz-options")
        self.feedback = Static(id="quiz-feedback")
        self.panel_extra = extra

    def compose(self) -> ComposeResult:
        with Vertical():
            yield self.head
            yield self.question
            yield self.options
            yield self.feedback
            yield from self.panel_extra

    def show_options(self, options: list[str]) -> None:
        """A new question's options, the first highlighted, the list focused now.

        Widget.focus() lands a message later; a key the student pressed as the
        question showed would go nowhere, and their Enter pick the first option.
        """
        self.options.clear_options()
        self.options.add_options([Option(f"{letter(i)}  {o}", id=str(i)) for i, o in enumerate(options)])
        self.options.highlighted = 0
        self.set_focus(self.options)  # type: ignore[attr-defined]  # the Screen this panel is mixed into


class QuizScreen(QuestionPanel, SafeScreen, ModalScreen[None]):
    """One question at a time; Enter answers, n goes on, the score at the end."""

    BINDINGS = [
        Binding("n", "next", "Next question"),
        Binding("r", "reveal", "Reveal the answer"),
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
        self.qid = ""  # a new one per question shown: a class's answers to an older one do not count
        self.revealed: int | None = None  # the answer, once shown
        self.answers = None  # with a class following: the folder of its answers (teach/answers.py)
        self.tally_line = Static(id="quiz-tally")
        self.build_panel(self.tally_line)

    def on_mount(self) -> None:
        self._show()
        publisher = getattr(self.app, "publisher", None)
        if publisher is not None:  # a class follows: count its answers
            from vaslayout.teach.answers import clear
            from vaslayout.tui.follow import POLL_SECONDS

            self.answers = publisher.answers
            clear(self.answers)
            self.set_interval(POLL_SECONDS, self._tally)

    def shared(self) -> dict[str, Any]:
        """The question as the class sees it: the answer and its address only once revealed."""
        q = self.questions[self.index]
        head = f"{self.title_text}  question {self.index + 1}/{len(self.questions)}"
        out: dict[str, Any] = {"id": self.qid, "head": head, "text": q.text, "options": list(q.options),
                               "answer": None, "address": None}
        if self.revealed is not None:
            out.update(answer=q.answer, address=q.address)
        return out

    def counts(self) -> list[int]:
        """How many of the class chose each option of the question on screen."""
        from vaslayout.teach.answers import tally

        if self.answers is None:
            return []
        return tally(self.answers, self.qid, len(self.questions[self.index].options))

    def _tally(self) -> None:
        if self.dismissed:
            return
        counts = self.counts()
        line = Text("class: ", style="bold")
        line.append("   ".join(f"{letter(i)} {n}" for i, n in enumerate(counts)))
        line.append(f"   ({sum(counts)} answered)", style="dim")
        self.tally_line.update(line)

    def _show(self) -> None:
        q = self.questions[self.index]
        self.answered = False
        self.revealed = None
        self.qid = secrets.token_hex(4)
        self.head.update(
            Text.assemble((f"{self.title_text}  ", "bold"), f"question {self.index + 1}/{len(self.questions)}",
                          (f"   score {self.right}/{self.index}", "dim")))
        self.question.update(q.text)
        self.show_options(list(q.options))
        self.feedback.update(Text("↑↓ and Enter to answer", style="dim"))

    @on(OptionList.OptionSelected)
    def _answer(self, event: OptionList.OptionSelected) -> None:
        if self.answered or self.dismissed:
            return
        q = self.questions[self.index]
        chosen = int(event.option.id or 0)
        self.answered = True
        self.revealed = q.answer
        good = chosen == q.answer
        self.right += good
        verdict = Text("Right! " if good else f"Not quite: the answer is {letter(q.answer)}, {q.answer_text}. ",
                       style="bold green" if good else "bold red")
        verdict.append(q.explanation)
        more = "n: next question" if self.index + 1 < len(self.questions) else "n: see the score"
        verdict.append(f"\n{more}, Esc: end", style="dim")
        self.feedback.update(verdict)
        self.post_message(ShowAddress(q.address))  # the map shows where the answer lives

    def action_reveal(self) -> None:
        """Show the answer without answering (the teacher of a class): on the map and on every follower."""
        if self.answered or self.dismissed:
            return
        q = self.questions[self.index]
        self.answered = True
        self.revealed = q.answer
        verdict = Text(f"The answer is {letter(q.answer)}, {q.answer_text}. ", style="bold")
        verdict.append(q.explanation)
        verdict.append("\nn: next, Esc: end", style="dim")
        self.feedback.update(verdict)
        self.post_message(ShowAddress(q.address))

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

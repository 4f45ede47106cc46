"""serve --follow's channel: a teacher's app publishes its view, two followers show it; students explore alone.

Three apps in one event loop, driven with Pilot: the teacher zooms, looks
up and switches layout; both followers must show the same view (layout,
zoom path, cursor, scale); a follower that explores on its own (F) does not
move the teacher, and F again snaps it back.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from vaslayout import catalog
from vaslayout.tui import follow
from vaslayout.tui.app import VasLayoutApp, focus_path
from vaslayout.tui.lookup_bar import LookupBar


def seen(app: VasLayoutApp) -> tuple:
    s = app.map.state
    return app.layout.id, focus_path(s)[0] if s.focus is not s.layout.root else [], s.cursor, s.scale


async def settle(teacher, followers, pilots, rounds: int = 100) -> None:
    """Let the followers poll until they show the teacher's view (or give up after `rounds`)."""
    for _ in range(rounds):
        if all(seen(f) == seen(teacher) for f in followers):
            return
        for pilot in pilots:
            await pilot.pause(follow.POLL_SECONDS / 2)


async def test_two_followers_follow_the_teacher_and_a_student_can_explore(tmp_path: Path) -> None:
    channel = tmp_path / "view.json"
    teacher = VasLayoutApp(channel=("share", channel))
    a, b = VasLayoutApp(channel=("follow", channel)), VasLayoutApp(channel=("follow", channel))
    async with teacher.run_test(size=(120, 40)) as t, a.run_test(size=(100, 30)) as pa, \
            b.run_test(size=(80, 24)) as pb:
        pilots = [t, pa, pb]
        await t.pause()
        await t.press("enter")  # zoom into the region under the cursor
        await t.press("s")  # another scale
        await settle(teacher, [a, b], pilots)
        assert seen(a) == seen(b) == seen(teacher)
        assert seen(teacher)[1] and seen(teacher)[3] != "log"

        await t.press("slash")
        teacher.query_one(LookupBar).query_one("Input").value = "0xffffc90000001000"
        await t.press("enter")
        await settle(teacher, [a, b], pilots)
        assert teacher.map.state.cursor == 0xFFFFC90000001000
        assert seen(a) == seen(b) == seen(teacher)

        teacher.open_layout("x86_64-5level")
        await settle(teacher, [a, b], pilots)
        assert a.layout.id == b.layout.id == "x86_64-5level" and seen(a) == seen(teacher)

        # a student explores: F, then keys of their own; the teacher does not move, nor does b
        before = seen(teacher)
        await pa.press("F", "down", "down", "backspace")
        await pa.pause()
        assert seen(a) != before and seen(teacher) == before and seen(b) == before
        await t.press("up")
        await settle(teacher, [b], pilots)
        assert seen(b) == seen(teacher) != seen(a)  # a stays where the student went
        await pa.press("F")  # snap back
        await settle(teacher, [a], pilots)
        assert seen(a) == seen(teacher)


def test_a_view_never_makes_a_follower_open_a_file(tmp_path: Path) -> None:
    good = {"layout": "x86_64-4level", "overrides": {}, "focus": [], "cursor": 0, "scale": "log", "window": None,
            "screen": "map"}
    channel = tmp_path / "view.json"
    follow.write_view(channel, good)
    assert follow.read_view(channel) == good
    for bad in ({"layout": "/etc/passwd"}, {"layout": "layouts/x.yaml"}, {"cursor": -1}, {"cursor": True},
                {"scale": "huge"}, {"overrides": {"ram": 4}}, {"window": [1]}, {"focus": "kernel"},
                {"screen": "shell"}, {"screen": "compare", "compare": ["x86_64-4level", "/etc/passwd"]},
                {"screen": "compare", "compare": []}, {"tour": "../../etc/passwd", "step": 0},
                {"tour": "kasan-report", "step": -1}, {"tour": "kasan-report"},
                {"screen": "quiz", "quiz": {"id": "1", "head": "h", "text": "t", "options": ["a"] * 9}},
                {"screen": "quiz", "quiz": {"id": "1", "head": "h", "text": "t", "options": ["a"], "answer": 3,
                                            "address": 0}}):
        follow.write_view(channel, {**good, **bad})
        assert follow.read_view(channel) is None, bad
    channel.write_text("[" * 100_000)
    assert follow.read_view(channel) is None
    channel.write_text(json.dumps(good) + " " * follow.MAX_VIEW_BYTES)
    assert follow.read_view(channel) is None
    assert [p.name for p in tmp_path.iterdir()] == ["view.json"]  # no temporary files left
    shared = {**good, "screen": "compare", "compare": ["x86_64-4level", "x86_64-5level"], "tour": "kasan-report",
              "step": 2}
    follow.write_view(channel, shared)
    assert follow.read_view(channel) == shared


def screen_kind(app: VasLayoutApp) -> str:
    from vaslayout.tui.class_quiz import StudentQuizScreen
    from vaslayout.tui.compare import CompareScreen
    from vaslayout.tui.split import SplitScreen

    top = app.screen
    return ("split" if isinstance(top, SplitScreen) else "compare" if isinstance(top, CompareScreen)
            else "quiz" if isinstance(top, StudentQuizScreen) else "map" if top is app.screen_stack[0] else "other")


async def wait_for(check, pilots, rounds: int = 100) -> None:
    for _ in range(rounds):
        if check():
            return
        for pilot in pilots:
            await pilot.pause(follow.POLL_SECONDS / 2)


async def test_followers_follow_the_split_view_compare_and_the_tour_step(tmp_path: Path) -> None:
    from vaslayout.session import Session
    from vaslayout.teach.tours import load_tour

    channel = tmp_path / "view.json"
    teacher = VasLayoutApp(Session.for_tour(load_tour("vmsplit-lowmem")), channel=("share", channel))
    a, b = VasLayoutApp(channel=("follow", channel)), VasLayoutApp(channel=("follow", channel))
    async with teacher.run_test(size=(120, 40)) as t, a.run_test(size=(100, 30)) as pa, \
            b.run_test(size=(80, 24)) as pb:
        pilots = [t, pa, pb]
        await t.pause()

        def same_step() -> bool:
            return all(f.session.tour is not None and f.session.tour.index == teacher.session.tour.index
                       and screen_kind(f) == screen_kind(teacher) and seen(f) == seen(teacher) for f in (a, b))

        await t.press("n")  # step 2 shows the physical side: the split view
        await wait_for(same_step, pilots)
        assert teacher.session.tour.index == 1 and screen_kind(teacher) == "split" and same_step()
        assert a.session.tour.tour.id == "vmsplit-lowmem" and a.session.layout.find("lowmem").end == 0xE000_0000

        await t.press("n", "n")  # step 4: pkmap, on the split view again
        await wait_for(same_step, pilots)
        assert teacher.session.tour.index == 3 and screen_kind(a) == "split" and same_step()
        await t.press("n", "n", "n", "n")  # the last step: the map alone
        await wait_for(same_step, pilots)
        assert teacher.session.tour.index == 7 and screen_kind(a) == screen_kind(b) == "map" and same_step()

        teacher.action_split()
        await wait_for(lambda: screen_kind(a) == screen_kind(b) == "split", pilots)
        assert screen_kind(a) == screen_kind(b) == "split"
        await t.press("escape")
        await wait_for(lambda: screen_kind(a) == screen_kind(b) == "map", pilots)
        assert screen_kind(a) == screen_kind(b) == "map"

        teacher.action_compare()
        await wait_for(lambda: screen_kind(a) == screen_kind(b) == "compare", pilots)
        names = teacher.screen.names
        assert a.screen.names == b.screen.names == names and len(names) >= 2


async def test_the_quiz_tallies_two_followers_and_reveals_the_answer(tmp_path: Path) -> None:
    from vaslayout.teach import answers
    from vaslayout.teach.quiz import make_quiz
    from vaslayout.tui.quiz import QuizScreen

    channel = tmp_path / "view.json"
    teacher = VasLayoutApp(channel=("share", channel))
    a, b = VasLayoutApp(channel=("follow", channel)), VasLayoutApp(channel=("follow", channel))
    async with teacher.run_test(size=(120, 40)) as t, a.run_test(size=(100, 30)) as pa, \
            b.run_test(size=(100, 30)) as pb:
        pilots = [t, pa, pb]
        await t.pause()
        questions = make_quiz(teacher.layout, seed=7, count=2)
        quiz = QuizScreen(questions, "class quiz")
        teacher.call_later(teacher.push_screen, quiz)  # in the teacher's own loop: its screens see their app
        await wait_for(lambda: screen_kind(a) == screen_kind(b) == "quiz" and a.screen.current and b.screen.current,
                       pilots)
        sa, sb = a.screen, b.screen
        q = questions[0]
        assert sa.current["text"] == sb.current["text"] == q.text
        assert sa.current["answer"] is None and "answer" not in str(sa.current.get("options"))  # not told yet
        wrong = (q.answer + 1) % len(q.options)
        await pa.press(*(["down"] * q.answer), "enter")  # a: the right answer
        await pb.press(*(["down"] * wrong), "enter")  # b: a wrong one, then changes its mind to the same wrong
        await pb.press("enter")
        expected = [0] * len(q.options)
        expected[q.answer] += 1
        expected[wrong] += 1
        await wait_for(lambda: quiz.counts() == expected, pilots)
        assert quiz.counts() == expected
        await wait_for(lambda: "2 answered" in str(quiz.tally_line.content), pilots)
        assert "2 answered" in str(quiz.tally_line.content)

        await t.press("r")  # the teacher reveals: the map goes to the answer's address, the class is told
        await wait_for(lambda: sa.current.get("answer") == sb.current.get("answer") == q.answer
                       and seen(a) == seen(teacher), pilots)
        assert teacher.map.state.cursor == q.address == a.map.state.cursor == b.map.state.cursor
        assert "Right!" in str(sa.feedback.content) and "Not quite" in str(sb.feedback.content)

        await t.press("n")  # the next question: a new id, no answers yet
        await wait_for(lambda: sa.current.get("text") == questions[1].text, pilots)
        assert quiz.counts() == [0] * len(questions[1].options)
        assert sa.current["answer"] is None and sa.chosen is None
    # only the two slots were written, each a small file, nothing outside the answers folder
    slots = sorted(p.name for p in answers.answers_dir(channel).iterdir())
    assert len(slots) == 2 and all(len(s) == len("0123456789abcdef.json") for s in slots)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers", "view.json"]


def split_of(app: VasLayoutApp):
    from vaslayout.tui.split import SplitScreen

    return app.screen.view.s.shared() if isinstance(app.screen, SplitScreen) else None


async def test_cursor_moves_inside_the_split_and_compare_views_are_followed(tmp_path: Path) -> None:
    channel = tmp_path / "view.json"
    teacher = VasLayoutApp("x86_32-vmsplit-3g", channel=("share", channel))
    a = VasLayoutApp(channel=("follow", channel))
    b = VasLayoutApp(channel=("follow", channel))
    async with teacher.run_test(size=(120, 40)) as t, a.run_test(size=(100, 30)) as pa, \
            b.run_test(size=(80, 24)) as pb:
        pilots = [t, pa, pb]
        await t.pause()
        await t.press("v")
        await wait_for(lambda: split_of(a) is not None and split_of(b) is not None, pilots)
        start = split_of(teacher)

        def same() -> bool:
            return split_of(a) == split_of(b) == split_of(teacher)

        await t.press("up", "up")  # the virtual cursor
        await wait_for(same, pilots)
        assert split_of(teacher)["vcursor"] != start["vcursor"] and same()
        await t.press("tab", "up", "up", "k")  # the physical side: a highmem page, kmap()ed
        await wait_for(same, pilots)
        shared = split_of(teacher)
        assert shared["side"] == "phys" and shared["temp"] is not None and same()
        assert a.screen.view.s.temp.virt == teacher.screen.view.s.temp.virt  # the same pkmap slot lent
        await t.press("enter")  # zoom into the page's range on the physical side
        await wait_for(same, pilots)
        assert split_of(teacher)["pzoom"] and same()

        before = split_of(teacher)
        await pa.press("F", "tab", "down")  # a student explores the split alone: the teacher does not move
        await pa.pause()
        assert split_of(a) != before and split_of(teacher) == split_of(b) == before
        await pa.press("F")
        await wait_for(same, pilots)
        assert same()

        await t.press("escape", "c")  # compare, then its cursor
        await wait_for(lambda: all(f.screen.__class__.__name__ == "CompareScreen" for f in (a, b)), pilots)
        await t.press("down", "down", "down")
        cursor = teacher.screen.view.cursor
        await wait_for(lambda: a.screen.view.cursor == b.screen.view.cursor == cursor, pilots)
        assert a.screen.view.cursor == b.screen.view.cursor == cursor != teacher.map.state.cursor


FILE_TOUR = """id: mine
title: My class
steps:
  - title: The split
    layout: x86_32-vmsplit-3g
    params: {{ram: 2G}}
    zoom: lowmem
    caption: "lowmem is **directly** mapped, see [the docs](https://docs.kernel.org/)"
  - title: Physical side
    layout: x86_32-vmsplit-3g
    physical: true
    caption: the physical side
  - title: A real machine
    capture: {capture}
    zoom: direct_map
    caption: where KASLR put the direct map
  - title: My own layout
    layout: mine-layout.yaml
    caption: a layout file of the teacher's
"""


async def test_a_tour_from_a_file_is_followed_step_by_step_with_its_caption(tmp_path: Path) -> None:
    from vaslayout.session import Session
    from vaslayout.teach.tours import load_tour
    from vaslayout.tui.split import SplitScreen

    from .test_tour import caption

    capture = Path(__file__).resolve().parent.parent / "data" / "captures" / "x86_64-6.12-4level-kaslr"
    tour_path = tmp_path / "mine.yaml"
    tour_path.write_text(FILE_TOUR.format(capture=capture), encoding="utf-8")
    shutil.copy(Path(catalog.builtin_dir()) / "x86_64-5level.yaml", tmp_path / "mine-layout.yaml")
    channel = tmp_path / "share" / "view.json"
    teacher = VasLayoutApp(Session.for_tour(load_tour(str(tour_path))), channel=("share", channel))
    a, b = VasLayoutApp(channel=("follow", channel)), VasLayoutApp(channel=("follow", channel))
    async with teacher.run_test(size=(120, 40)) as t, a.run_test(size=(100, 30)) as pa, \
            b.run_test(size=(100, 30)) as pb:
        pilots = [t, pa, pb]
        await t.pause()

        def on_step(n: int, title: str) -> bool:  # a captured kernel is followed as its built-in layout
            return all(f"{n}/4" in caption(f) and title in caption(f) and seen(f)[1:] == seen(teacher)[1:]
                       and teacher.layout.id.endswith(("kaslr", f.layout.id)) for f in (a, b))

        await wait_for(lambda: on_step(1, "The split"), pilots)
        assert on_step(1, "The split") and "directly mapped" in " ".join(caption(a).split())
        assert a.layout.params["ram"].value == 2 << 30
        assert a.session.tour is None and "mine" not in str(a.session.opened)  # the file was never opened
        assert "https://docs.kernel.org/" in caption(a)  # a link the student reads, not one the app opens

        await t.press("n")  # the physical side: the split view, with the step's caption in it
        await wait_for(lambda: on_step(2, "Physical side") and split_of(a) == split_of(teacher), pilots)
        assert isinstance(a.screen, SplitScreen) and on_step(2, "Physical side")

        await t.press("n")  # a capture: the followers show its kernel's real bases
        await wait_for(lambda: on_step(3, "A real machine"), pilots)
        assert teacher.layout.id == "capture-x86_64-6.12-4level-kaslr" and on_step(3, "A real machine")
        assert a.layout.id == b.layout.id == "x86_64-4level"
        assert a.layout.params["page_offset_base"].value == teacher.layout.params["page_offset_base"].value \
            == 0xFFFF89E000000000
        assert a.map.state.cursor == teacher.map.state.cursor == 0xFFFF89E000000000

        before = seen(a)
        await t.press("n")  # a layout file: the caption comes, the followers' maps stay (they cannot open it)
        await wait_for(lambda: all("4/4" in caption(f) and "My own layout" in caption(f) for f in (a, b)), pilots)
        assert all("4/4" in caption(f) for f in (a, b)) and seen(a) == seen(b) == before
        assert teacher.layout.origin.endswith("mine-layout.yaml") and "mine-layout" not in str(a.session.opened)
    assert sorted(p.name for p in channel.parent.iterdir()) == ["view.json"]


def test_a_split_or_a_caption_in_the_view_is_checked(tmp_path: Path) -> None:
    good = {"layout": "x86_32-vmsplit-3g", "overrides": {}, "focus": [], "cursor": 0, "scale": "log",
            "window": None}
    split = {"vfocus": ["kernel space"], "vfocus_at": 0xC0000000, "vcursor": 0xC0000000, "pcursor": 0,
             "pzoom": [[0, 4096]], "side": "virt", "temp": {"how": "kmap", "phys": 0x40000000}}
    caption = {"tour": "T", "index": 1, "steps": 2, "title": "t", "text": "c"}
    channel = tmp_path / "view.json"
    for ok in ({"screen": "split", "split": split}, {"screen": "compare", "compare": ["x86_32-vmsplit-3g"],
                                                      "compare_cursor": 5}, {"screen": "map", "caption": caption}):
        follow.write_view(channel, {**good, **ok})
        assert follow.read_view(channel) == {**good, **ok}, ok
    for ok in ({"layout": None}, {"layout": None, "caption": caption}):  # the teacher shows a layout file
        follow.write_view(channel, ok)
        assert follow.read_view(channel) == ok, ok
    for bad in ({"layout": None, "caption": {**caption, "steps": 0}}, {"layout": None, "cursor": 0}):
        follow.write_view(channel, bad)
        assert follow.read_view(channel) is None, bad
    for bad in ({"screen": "split", "split": {**split, "side": "both"}},
                {"screen": "split", "split": {**split, "vcursor": -1}},
                {"screen": "split", "split": {**split, "vfocus": "kernel space"}},
                {"screen": "split", "split": {**split, "pzoom": [[0, 1, 2]]}},
                {"screen": "split", "split": {**split, "temp": {"how": "system", "phys": 0}}},
                {"screen": "compare", "compare": ["x86_32-vmsplit-3g"], "compare_cursor": 1 << 64},
                {"screen": "map", "caption": {**caption, "index": 2}},
                {"screen": "map", "caption": {**caption, "text": 3}},
                {"screen": "map", "caption": caption, "tour": "kasan-report", "step": 0}):
        follow.write_view(channel, {**good, **bad})
        assert follow.read_view(channel) is None, bad


async def test_a_students_question_takes_the_keys_as_soon_as_it_shows() -> None:
    """A key pressed the moment a question shows moves its choice: the options have focus at once, not a frame later."""
    from vaslayout.tui.class_quiz import StudentQuizScreen

    question = {"id": "q1", "head": "Question 1 of 2", "text": "Which region?", "options": ["a", "b", "c"],
                "answer": None}
    sent: list[tuple[str, int]] = []
    app = VasLayoutApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = StudentQuizScreen(question, lambda qid, choice: sent.append((qid, choice)))
        await app.push_screen(screen)
        screen.set_focus(None)
        screen.show(dict(question, id="q2", head="Question 2 of 2"))  # the next question, as a poll brings it
        assert app.focused is screen.options  # now: a key already queued goes to the options
        await pilot.press("down", "enter")
        assert sent == [("q2", 1)]

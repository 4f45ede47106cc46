"""serve --follow's channel: a teacher's app publishes its view, two followers show it; students explore alone.

Three apps in one event loop, driven with Pilot: the teacher zooms, looks
up and switches layout; both followers must show the same view (layout,
zoom path, cursor, scale); a follower that explores on its own (F) does not
move the teacher, and F again snaps it back.
"""

from __future__ import annotations

import json
from pathlib import Path

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
    good = {"layout": "x86_64-4level", "overrides": {}, "focus": [], "cursor": 0, "scale": "log", "window": None}
    channel = tmp_path / "view.json"
    follow.write_view(channel, good)
    assert follow.read_view(channel) == good
    for bad in ({"layout": "/etc/passwd"}, {"layout": "layouts/x.yaml"}, {"cursor": -1}, {"cursor": True},
                {"scale": "huge"}, {"overrides": {"ram": 4}}, {"window": [1]}, {"focus": "kernel"}):
        follow.write_view(channel, {**good, **bad})
        assert follow.read_view(channel) is None, bad
    channel.write_text("[" * 100_000)
    assert follow.read_view(channel) is None
    channel.write_text(json.dumps(good) + " " * follow.MAX_VIEW_BYTES)
    assert follow.read_view(channel) is None
    assert [p.name for p in tmp_path.iterdir()] == ["view.json"]  # no temporary files left

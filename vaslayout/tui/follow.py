"""Follow the teacher: one app publishes its view, the apps served to a class follow it.

The channel is one small JSON file (under the teacher's state directory by
default), written atomically (a temporary file renamed over the old one),
so a follower never reads half a view. Nothing but the view crosses it:
the layout id, its param overrides, the zoom path (region names), the
cursor, the scale and the linear-zoom window; the screen on top (the map,
the split view with its zooms, cursors and kmap, a comparison of built-in
layouts with its cursor, a quiz question); the built-in tour and step being
played, or for a tour from a file the step's caption as text (a follower
cannot open the file: the teacher sends what the step says instead). A
captured kernel is sent as its built-in layout and the params it really had.
A follower applies only built-in layout and tour ids, so a view can never
make it open a file, and shows a sent caption without clickable links. The
one thing that travels back is a quiz answer, into the follower's own slot
(teach/answers.py): nothing else a student does reaches the teacher.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vaslayout import catalog
from vaslayout.core.scale import SCALES

MAX_VIEW_BYTES = 64 * 1024  # a view is a few hundred bytes
POLL_SECONDS = 0.2
SCREENS = ("map", "split", "compare", "quiz")
MAX_OPTIONS = 8
MAX_DEPTH = 32  # region names on a zoom path, physical zooms in the split view
ADDRESSES = 1 << 64


def default_channel() -> Path:
    from vaslayout.state import state_dir

    return state_dir() / "follow" / "view.json"


def map_state(app: Any) -> Any:
    """The map's ViewState; None before it has one or while the app is closing (its map already gone)."""
    from textual.css.query import NoMatches

    try:
        return app.map.state
    except NoMatches:
        return None


def view_of(app: Any) -> dict[str, Any] | None:
    """The teacher's view as plain data, or None before the map has one."""
    from vaslayout.session import focus_path

    s = map_state(app)
    if s is None:
        return None
    if app.session.name not in catalog.builtin_ids():  # a layout file: followers cannot open it
        return {"layout": None, **{k: v for k, v in tour_of(app).items() if k == "caption"}}
    names, found = focus_path(s)
    view = {"layout": app.session.name, "overrides": shared_params(app.session),
            "focus": names if found and s.focus is not s.layout.root else [],
            "cursor": s.cursor, "scale": s.scale, "window": list(s.window) if s.window else None}
    return {**view, **screen_of(app), **tour_of(app)}


def shared_params(session: Any) -> dict[str, str]:
    """The params a follower resolves the built-in layout with: the session's overrides, over, for a
    captured kernel (open --capture, a tour's capture: step), the bases and RAM it really had."""
    from vaslayout.errors import UserError
    from vaslayout.sources import CaptureLayoutSource, TourStepSource
    from vaslayout.teach import tours

    source, capture = session.source, None
    if isinstance(source, CaptureLayoutSource):
        capture = source.capture
    elif isinstance(source, TourStepSource) and not source.on_live and source.step.capture is not None:
        try:
            capture = tours.open_capture(source.step.capture)
        except UserError:
            capture = None
    try:
        real = dict(capture.choice.overrides) if capture is not None else {}
    except UserError:
        real = {}
    return {**real, **session.overrides_now()}


def screen_of(app: Any) -> dict[str, Any]:
    """The screen on top: its kind, the compared built-in layouts, the quiz question as shown."""
    from vaslayout.tui.compare import CompareScreen
    from vaslayout.tui.quiz import QuizScreen
    from vaslayout.tui.split import SplitScreen

    top = app.screen
    if isinstance(top, SplitScreen):
        return {"screen": "split", "split": top.view.s.shared()}
    if isinstance(top, CompareScreen):
        builtin = set(catalog.builtin_ids())
        return {"screen": "compare", "compare": [n for n in top.names if n in builtin],
                "compare_cursor": top.view.cursor}
    if isinstance(top, QuizScreen):
        return {"screen": "quiz", "quiz": top.shared()}
    return {"screen": "map"}


def tour_of(app: Any) -> dict[str, Any]:
    """The built-in tour played and its step; a tour from a file as its step's caption (followers cannot open it)."""
    from vaslayout.teach import tours

    playing = app.session.tour
    if playing is None:
        return {}
    tour = playing.tour
    try:
        builtin = tour.id in tours.builtin_tours() and tour.origin == str(tours.builtin_dir() / f"{tour.id}.yaml")
    except tours.LayoutError:
        builtin = False
    if builtin:
        return {"tour": tour.id, "step": playing.index}
    step = tour.steps[playing.index]
    return {"caption": {"tour": tour.title, "index": playing.index, "steps": len(tour.steps), "title": step.title,
                        "text": step.caption}}


def write_view(path: Path, view: dict[str, Any]) -> None:
    """All or nothing: a temporary file beside the channel, renamed over it."""
    from vaslayout.state import write_json

    write_json(path, view)


def read_view(path: Path) -> dict[str, Any] | None:
    """The view in the channel, checked field by field; None when there is none or it is not one."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_VIEW_BYTES + 1)
        data = json.loads(raw) if len(raw) <= MAX_VIEW_BYTES else None
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    if data.get("layout") is None and set(data) <= {"layout", "caption"}:  # the teacher shows a layout file
        return data if "caption" not in data or _caption_ok(data["caption"]) else None
    layout, overrides, focus = data.get("layout"), data.get("overrides"), data.get("focus")
    cursor, scale, window = data.get("cursor"), data.get("scale"), data.get("window")
    if not isinstance(layout, str) or catalog.is_path(layout) or layout not in catalog.builtin_ids():
        return None  # only built-in layouts: a view never makes a follower open a file
    if not isinstance(overrides, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                  for k, v in overrides.items()):
        return None
    if not isinstance(focus, list) or not all(isinstance(n, str) for n in focus):
        return None
    if not isinstance(cursor, int) or isinstance(cursor, bool) or cursor < 0 or scale not in SCALES:
        return None
    if window is not None and not (isinstance(window, list) and len(window) == 2
                                   and all(isinstance(w, int) for w in window)):
        return None
    return data if _screen_ok(data) and _tour_ok(data) else None


def _strings(value: object, most: int) -> bool:
    return isinstance(value, list) and len(value) <= most and all(isinstance(v, str) for v in value)


def _index(value: object, below: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < below


def _screen_ok(data: dict[str, Any]) -> bool:
    screen = data.setdefault("screen", "map")
    if screen not in SCREENS:
        return False
    if screen == "split":
        return "split" not in data or _split_ok(data["split"])
    if screen == "compare":
        names = data.get("compare")
        if "compare_cursor" in data and not _index(data["compare_cursor"], ADDRESSES):
            return False
        return _strings(names, 8) and bool(names) and all(n in catalog.builtin_ids() for n in names)
    if screen == "quiz":
        q = data.get("quiz")
        if not isinstance(q, dict) or not all(isinstance(q.get(k), str) for k in ("id", "text", "head")):
            return False
        options = q.get("options")
        if not _strings(options, MAX_OPTIONS) or not options:
            return False
        answer, address = q.get("answer"), q.get("address")
        return (answer is None and address is None) or (_index(answer, len(options)) and _index(address, 1 << 64))
    return True


def _split_ok(split: object) -> bool:
    """The split view's state as SplitState.shared() writes it."""
    if not isinstance(split, dict) or not _strings(split.get("vfocus"), MAX_DEPTH):
        return False
    if not all(_index(split.get(k), ADDRESSES) for k in ("vfocus_at", "vcursor", "pcursor")):
        return False
    pzoom, temp = split.get("pzoom"), split.get("temp")
    if not isinstance(pzoom, list) or len(pzoom) > MAX_DEPTH or not all(
            isinstance(z, list) and len(z) == 2 and all(_index(v, ADDRESSES + 1) for v in z) for z in pzoom):
        return False
    if temp is not None and not (isinstance(temp, dict) and temp.get("how") in ("kmap", "kmap_local")
                                 and _index(temp.get("phys"), ADDRESSES)):
        return False
    return split.get("side") in ("virt", "phys")


def _caption_ok(caption: object) -> bool:
    """A file tour's step as text: the tour's and the step's titles, the counter, the Markdown caption."""
    from vaslayout.teach import tours

    if not isinstance(caption, dict) or not all(isinstance(caption.get(k), str) for k in ("tour", "title", "text")):
        return False
    steps = caption.get("steps")
    return _index(steps, tours.MAX_STEPS + 1) and _index(caption.get("index"), steps)


def _tour_ok(data: dict[str, Any]) -> bool:
    from vaslayout.teach import tours

    if "caption" in data and ("tour" in data or not _caption_ok(data["caption"])):
        return False
    if "tour" not in data and "step" not in data:
        return True
    try:
        ids = tours.builtin_tours()
    except tours.LayoutError:
        return False
    return data.get("tour") in ids and _index(data.get("step"), tours.MAX_STEPS)


class Publisher:
    """Writes the app's view to the channel whenever the map's state changes."""

    def __init__(self, app: Any, path: Path) -> None:
        self.app, self.path = app, path
        self.last: dict[str, Any] | None = None
        self.problem: str | None = None
        app.watch(app.map, "state", self.publish)
        app.set_interval(POLL_SECONDS, self.publish)  # screens opened and closed change no map state

    @property
    def answers(self) -> Path:
        from vaslayout.teach.answers import answers_dir

        return answers_dir(self.path)

    def publish(self, _state: Any = None) -> None:
        view = view_of(self.app)
        if view is None or view == self.last:
            return
        try:
            write_view(self.path, view)
        except OSError as exc:
            if self.problem is None:
                self.problem = f"cannot share the view in {self.path}: {exc.strerror or exc}"
                self.app.notify(self.problem, severity="warning")
            return
        self.last = view


class Follower:
    """Polls the channel and shows the teacher's view while following; a student may leave and come back."""

    def __init__(self, app: Any, path: Path) -> None:
        from vaslayout.teach.answers import new_slot

        self.app, self.path = app, path
        self.following = True
        self.applied: dict[str, Any] | None = None
        self.slot = new_slot()  # where this follower's quiz answers go, and nowhere else
        self.caption: dict[str, Any] | None = None  # a file tour's step caption, as last shown
        app.set_interval(POLL_SECONDS, self.poll)

    def toggle(self) -> bool:
        """Explore on one's own, or snap back to the teacher (at once)."""
        self.following = not self.following
        if self.following:
            self.applied = None
            self.poll()
        return self.following

    def poll(self) -> None:
        if not self.following:
            return
        view = read_view(self.path)
        if view is None or view == self.applied or map_state(self.app) is None:
            return
        if any(not screen.is_mounted for screen in self.app.screen_stack[1:]):
            return  # a screen is still mounting: the next poll applies the view
        if self.apply(view):
            self.applied = view

    def answer(self, question: str, choice: int) -> None:
        """The student's choice for the question on screen, into this follower's slot."""
        from vaslayout.teach.answers import answers_dir, write_answer

        try:
            write_answer(answers_dir(self.path), self.slot, question, choice)
        except OSError as exc:
            self.app.notify(f"cannot send the answer: {exc.strerror or exc}", severity="warning")

    def apply(self, view: dict[str, Any]) -> bool:
        """Show the view; False when it must wait (a tour step's screens are still coming up)."""
        from vaslayout.errors import UserError
        from vaslayout.session import ViewState, refocus

        app, session = self.app, self.app.session
        if view["layout"] is None:  # a layout file on the teacher's screen: its step's caption, if any
            self._caption(view.get("caption"))
            return True
        if "tour" in view and not self._play(view["tour"], view["step"]):
            return False
        if view["layout"] != session.name or view["overrides"] != session.overrides_now():
            try:
                if view["layout"] != session.name:
                    session.open(view["layout"])
                session.apply(session.source.load(view["overrides"]), view["overrides"])
            except (UserError, ValueError):
                return True
            app.show_layout(session.view)
        layout = session.layout
        cursor = min(view["cursor"], layout.size - 1)
        window = tuple(view["window"]) if view["window"] and view["window"][1] <= layout.size else None
        focus = refocus(layout, view["focus"], cursor) if view["focus"] else layout.root
        app.map.state = ViewState(layout, focus, cursor, view["scale"], window)
        self._screen(view)
        self._caption(view.get("caption"))
        return True

    def _caption(self, caption: dict[str, Any] | None) -> None:
        """A file tour's step, as the teacher sent it: under the map, and in the split view if it is up."""
        from vaslayout.tui.app import step_caption
        from vaslayout.tui.split import SplitScreen

        app = self.app
        if caption is None:
            if self.caption is not None and app.session.tour is None:  # the teacher left the tour
                app.remove_class("-captioned")
                app.show_caption("")
            self.caption = None
            return
        shown = step_caption(caption["tour"], caption["index"], caption["steps"], caption["title"], caption["text"],
                             keys="", links=False)
        fresh = caption != self.caption
        if fresh:
            app.add_class("-captioned")
            app.show_caption(shown)
        if isinstance(app.screen, SplitScreen) and (fresh or getattr(app.screen, "caption", None) is None):
            app.screen.set_caption(shown)
        self.caption = caption

    def _play(self, tour_id: str, step: int) -> bool:
        """The teacher's tour step, played from this follower's own copy of the built-in tour."""
        from vaslayout.session import Tour
        from vaslayout.teach import tours

        app, session = self.app, self.app.session
        playing = session.tour
        if playing is not None and playing.tour.id == tour_id and playing.index == step:
            return True
        try:
            tour = playing.tour if playing is not None and playing.tour.id == tour_id else tours.load_tour(tour_id)
        except tours.LayoutError:
            return True
        if step >= len(tour.steps):
            return True
        session.tour = Tour(tour, step)
        app.play_step(step)
        return False  # its screens come up on the next frames; the rest of the view follows then

    def _screen(self, view: dict[str, Any]) -> None:
        """The teacher's screen on top of the map: split, compare or the class quiz."""
        from vaslayout.tui.class_quiz import StudentQuizScreen
        from vaslayout.tui.compare import CompareScreen, load_all
        from vaslayout.tui.split import SplitScreen

        app, want = self.app, view["screen"]
        top = app.screen
        if want == "quiz" and isinstance(top, StudentQuizScreen):
            top.show(view["quiz"])
            return
        if want == "compare" and isinstance(top, CompareScreen) and top.names == view["compare"]:
            cursor = view.get("compare_cursor")
            if cursor is not None and cursor < top.layouts[0].size and top.view.cursor != cursor:
                top.view.cursor = cursor
            return
        if want == "split" and isinstance(top, SplitScreen):
            self._split(top, view)
            return
        if want == "map" and top is app.screen_stack[0]:
            return
        while len(app.screen_stack) > 1:
            app.pop_screen()
        cursor = app.session.view.cursor
        if want == "split":
            split = SplitScreen(app.session.layout, cursor)
            self._split(split, view)
            app.push_screen(split)
        elif want == "compare":
            try:
                layouts = load_all(view["compare"])
            except ValueError:
                return
            app.push_screen(CompareScreen(view["compare"], view.get("compare_cursor", cursor), layouts))
        elif want == "quiz":
            app.push_screen(StudentQuizScreen(view["quiz"], self.answer))

    @staticmethod
    def _split(screen: Any, view: dict[str, Any]) -> None:
        """The teacher's split view state on this split screen (its zooms, cursors, side and kmap)."""
        from vaslayout.session import SplitState

        shared = view.get("split")
        if shared is None or screen.view.s.shared() == shared:
            return
        screen.view.show(SplitState.from_shared(screen.view.s.layout, shared))

"""Follow the teacher: one app publishes its view, the apps served to a class follow it.

The channel is one small JSON file (under the teacher's state directory by
default), written atomically (a temporary file renamed over the old one),
so a follower never reads half a view. Nothing but the view crosses it:
the layout id, its param overrides, the zoom path (region names), the
cursor, the scale and the linear-zoom window. A follower applies only
built-in layout ids, so a view can never make it open a file, and it never
writes back: nothing a student does reaches the teacher.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from vaslayout import catalog
from vaslayout.core.scale import SCALES

MAX_VIEW_BYTES = 64 * 1024  # a view is a few hundred bytes
POLL_SECONDS = 0.2


def default_channel() -> Path:
    from vaslayout.state import state_dir

    return state_dir() / "follow" / "view.json"


def view_of(app: Any) -> dict[str, Any] | None:
    """The teacher's view as plain data, or None before the map has one."""
    from vaslayout.session import focus_path

    s = app.map.state
    if s is None:
        return None
    names, found = focus_path(s)
    return {"layout": app.session.name, "overrides": dict(app.session.overrides_now()),
            "focus": names if found and s.focus is not s.layout.root else [],
            "cursor": s.cursor, "scale": s.scale, "window": list(s.window) if s.window else None}


def write_view(path: Path, view: dict[str, Any]) -> None:
    """All or nothing: a temporary file beside the channel, renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".view.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(view, f)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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
    return data


class Publisher:
    """Writes the app's view to the channel whenever the map's state changes."""

    def __init__(self, app: Any, path: Path) -> None:
        self.app, self.path = app, path
        self.last: dict[str, Any] | None = None
        self.problem: str | None = None
        app.watch(app.map, "state", self.publish)

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
        self.app, self.path = app, path
        self.following = True
        self.applied: dict[str, Any] | None = None
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
        if view is None or view == self.applied or self.app.map.state is None:
            return
        self.apply(view)
        self.applied = view

    def apply(self, view: dict[str, Any]) -> None:
        from vaslayout.errors import UserError
        from vaslayout.session import ViewState, refocus

        app, session = self.app, self.app.session
        if view["layout"] != session.name or view["overrides"] != session.overrides_now():
            try:
                if view["layout"] != session.name:
                    session.open(view["layout"])
                session.apply(session.source.load(view["overrides"]), view["overrides"])
            except (UserError, ValueError):
                return
            app.show_layout(session.view)
        layout = session.layout
        cursor = min(view["cursor"], layout.size - 1)
        window = tuple(view["window"]) if view["window"] and view["window"][1] <= layout.size else None
        focus = refocus(layout, view["focus"], cursor) if view["focus"] else layout.root
        app.map.state = ViewState(layout, focus, cursor, view["scale"], window)

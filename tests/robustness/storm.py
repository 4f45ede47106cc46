"""Unpaced event storms for the TUI: random keys, clicks, double clicks, wheel and resizes, back to back.

Events are posted in bursts of 1 to MAX_BURST without waiting for the app
to handle any of them, as a fast typist or a key held down delivers them: a
second Enter reaches a picker that is already closing, a key reaches a
screen that is still mounting. Between bursts the test only yields to the
event loop (asyncio.sleep(0)); it never waits for the app to go idle.

The seed comes from VASLAYOUT_STORM_SEED (a fixed one by default, so CI is
repeatable); every failure names the seed and the scenario.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import pkgutil
import random
import string
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.keys import REPLACED_KEYS, _get_unicode_name_from_key

import vaslayout.tui
import vaslayout.tui.app as app_module
from vaslayout.tui.app import VasLayoutApp

DEFAULT_SEED = 20261202
MAX_BURST = 40


def base_seed() -> int:
    return int(os.environ.get("VASLAYOUT_STORM_SEED", DEFAULT_SEED))


def binding_keys() -> list[str]:
    """Every key any vaslayout screen or widget binds (collected, so new bindings are abused too)."""
    keys: set[str] = set()
    classes: list[type] = [VasLayoutApp]
    for info in pkgutil.iter_modules(vaslayout.tui.__path__):
        module = importlib.import_module(f"vaslayout.tui.{info.name}")
        classes += [c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__]
    for cls in classes:
        for b in getattr(cls, "BINDINGS", ()):
            key = b.key if isinstance(b, Binding) else b[0]
            keys.update(k.strip() for k in key.split(","))
    return sorted(keys)


KEYS = sorted(set(binding_keys()) | set(string.ascii_letters) | set(string.digits) | {
    "enter", "escape", "tab", "shift+tab", "up", "down", "left", "right", "ctrl+p", "ctrl+q", "backspace",
    "space", "pageup", "pagedown", "home", "end", "plus", "minus", "slash", "question_mark", "full_stop",
})


class AbusedApp(VasLayoutApp):
    """The real app, but quitting is counted, not done, and screenshots are not written."""

    CSS_PATH = str(Path(app_module.__file__).parent / VasLayoutApp.CSS_PATH)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.quits = 0

    async def action_quit(self) -> None:
        self.quits += 1

    def deliver_screenshot(self, *args, **kwargs) -> None:
        return None


@dataclass
class Tally:
    keys: int = 0
    clicks: int = 0
    double_clicks: int = 0
    scrolls: int = 0
    resizes: int = 0
    quits: int = 0
    runs: list[tuple[str, int, float]] = field(default_factory=list)

    @property
    def events(self) -> int:
        return sum(n for _, n, _ in self.runs)


TALLY = Tally()


def key_event(key: str) -> events.Key:
    """The event a terminal would produce (the character as Pilot.press computes it)."""
    try:
        char = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


def mouse(cls: type[events.MouseEvent], x: int, y: int, button: int, chain: int = 1) -> events.MouseEvent:
    extra = {"chain": chain} if cls is events.Click else {}
    return cls(None, x, y, 0, 0, button, False, False, False, screen_x=x, screen_y=y, **extra)


def post_click(app: VasLayoutApp, x: int, y: int, times: int = 1) -> None:
    """Down, up and click, as the driver sends them (the second click of a double click has chain=2)."""
    for chain in range(1, times + 1):
        app.post_message(mouse(events.MouseDown, x, y, 1))
        app.post_message(mouse(events.MouseUp, x, y, 1))
        app.post_message(mouse(events.Click, x, y, 1, chain))


def post_resize(app: VasLayoutApp, width: int, height: int) -> None:
    """What Pilot.resize_terminal does, without its wait: the headless driver's size, then the event."""
    size = Size(width, height)
    app._driver._size = size  # type: ignore[union-attr]  # as Pilot does; the headless driver has no setter
    app.post_message(events.Resize(size, size))


def post_keys(app: VasLayoutApp, keys: Sequence[str]) -> None:
    for k in keys:
        app.post_message(key_event(k))


async def storm(app: AbusedApp, pilot, rng: random.Random, count: int, keys: Sequence[str] = KEYS,
                favourites: Sequence[str] = (), halfway: Callable[[], None] | None = None) -> None:
    """count events in unpaced bursts; favourites (the keys of the screen under test) come up often."""
    sizes = {count // 5: (20, 5), 3 * count // 5: (300, 100), 4 * count // 5: (80, 24)}
    sent = 0
    while sent < count:
        for _ in range(rng.randint(1, MAX_BURST)):
            if sent == count // 2 and halfway is not None:
                halfway()
            roll = rng.random()
            if sent in sizes or roll < 0.02:
                post_resize(app, *sizes.get(sent, (rng.randint(20, 300), rng.randint(5, 100))))
                TALLY.resizes += 1
            elif roll < 0.87:
                pool = favourites if favourites and rng.random() < 0.35 else keys
                app.post_message(key_event(rng.choice(pool)))
                TALLY.keys += 1
            elif roll < 0.95:
                w, h = app.size
                double = rng.random() < 0.35
                post_click(app, rng.randrange(max(w, 1)), rng.randrange(max(h, 1)), 2 if double else 1)
                TALLY.clicks += 1
                TALLY.double_clicks += double
            else:
                w, h = app.size
                cls = events.MouseScrollUp if rng.random() < 0.5 else events.MouseScrollDown
                app.post_message(mouse(cls, rng.randrange(max(w, 1)), rng.randrange(max(h, 1)), 0))
                TALLY.scrolls += 1
            sent += 1
            if sent >= count:
                break
        await asyncio.sleep(0)  # the app may run now; nothing waits for it to catch up
    await pilot.pause()


async def back_to_the_map(app: VasLayoutApp, pilot) -> None:
    """A usual size, and Esc until the map is the only screen and the lookup bar is closed."""
    await pilot.resize_terminal(120, 40)
    for _ in range(12):
        if len(app.screen_stack) == 1 and not app.query_one("#lookup").has_class("-open"):
            break
        await pilot.press("escape")
    assert len(app.screen_stack) == 1, app.screen_stack
    assert app.is_running
    app.map.focus()
    await pilot.pause()


def seeded(name: str) -> tuple[int, random.Random]:
    seed = base_seed()
    return seed, random.Random(f"{seed}-{name}")


def failure(name: str, seed: int, exc: BaseException) -> AssertionError:
    return AssertionError(f"storm {name!r} with seed {seed} crashed: {exc!r} "
                          f"(again: VASLAYOUT_STORM_SEED={seed} pytest tests/robustness -k {name!r})")

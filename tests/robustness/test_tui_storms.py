"""Unpaced storms in every screen: the map, picker, params, compare (three layouts), split, kmap,
physical pane, tour, quiz, presenter, help, palette, lookup bar and a live process that exits.

Each scenario opens its screen, then sends STORM_EVENTS random events in
unpaced bursts (tests/robustness/storm.py) with the screen's own keys
drawn often, so most of the storm lands in it and it is opened and closed
again and again. The app must survive (run_test re-raises whatever it met)
and still answer: Esc brings back the map, a jump lands.

VASLAYOUT_STORM_SEED picks the seed; a failure names it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.robustness.conftest import CHURN
from tests.robustness.storm import KEYS, TALLY, AbusedApp, back_to_the_map, failure, post_keys, seeded, storm
from vaslayout import catalog, proc
from vaslayout.proc import live
from vaslayout.session import Opening, Session
from vaslayout.sources import LiveSource
from vaslayout.teach.quiz import make_quiz
from vaslayout.teach.tours import load_tour

STORM_EVENTS = int(os.environ.get("VASLAYOUT_STORM_EVENTS", 300))
HEX = list("0123456789abcdefx")


def tour_app(name: str = "vmsplit-lowmem") -> AbusedApp:
    tour = load_tour(name)
    return AbusedApp(Session.for_tour(tour, 0))


def quiz_app() -> AbusedApp:
    layout = catalog.load("x86_32-vmsplit-3g")
    return AbusedApp(Session.for_layout("x86_32-vmsplit-3g",
                                        opening=Opening(quiz=(make_quiz(layout, 7, 5), "storm quiz"))))


@dataclass(frozen=True)
class Scenario:
    name: str
    make: Callable[[], AbusedApp]
    opener: tuple[str, ...]  # keys that open the screen under test (sent again and again)
    favourites: tuple[str, ...]  # the screen's own keys


SCENARIOS = [
    Scenario("map", lambda: AbusedApp("x86_64-4level"), (),
             ("up", "down", "enter", "backspace", "plus", "minus", "0", "s", "home", "end")),
    Scenario("picker", lambda: AbusedApp("x86_64-4level"), ("l",), ("l", "enter", "down", "up", "pagedown", "escape")),
    Scenario("params", lambda: AbusedApp("x86_32-vmsplit-3g"), ("p",),
             ("p", "tab", "backspace", "enter", "escape", *HEX)),
    Scenario("compare3", lambda: AbusedApp(Session.for_layout("x86_32-vmsplit-3g", opening=Opening(compare=[
        "x86_32-vmsplit-3g", "x86_32-vmsplit-2g", "x86_32-vmsplit-1g"]))), ("c",),
             ("c", "d", "up", "down", "home", "end", "escape")),
    Scenario("split", lambda: AbusedApp("x86_32-vmsplit-3g"), ("v",),
             ("v", "tab", "up", "down", "enter", "backspace", "left", "right", "escape")),
    Scenario("kmap", lambda: AbusedApp("x86_32-vmsplit-3g"), ("v", "tab", "up", "up", "k"),
             ("k", "K", "u", "tab", "up", "enter", "backspace")),
    Scenario("physical", lambda: AbusedApp("x86_32-vmsplit-3g"), ("m",),
             ("m", "enter", "down", "up", "pageup", "pagedown", "escape")),
    Scenario("tour", tour_app, ("n",), ("n", "p", "ctrl+p", "v", "escape", "l", "enter")),
    Scenario("quiz", quiz_app, (), ("enter", "down", "up", "n", "1", "2")),
    Scenario("presenter", lambda: AbusedApp(Session.for_layout("x86_64-4level", opening=Opening(present=True))),
             ("f5",),
             ("f5", "up", "down", "enter", "backspace")),
    Scenario("help", lambda: AbusedApp("x86_64-4level"), ("question_mark",),
             ("question_mark", "pagedown", "down", "escape")),
    Scenario("palette", lambda: AbusedApp("x86_64-4level"), ("ctrl+p",),
             ("ctrl+p", "enter", "pageup", "pagedown", "down", "escape", "l", "o")),
    Scenario("lookup", lambda: AbusedApp("x86_64-4level"), ("slash",),
             ("slash", "enter", "up", "down", "backspace", "escape", *HEX)),
]


async def back_and_jump(app: AbusedApp, pilot) -> None:
    """Esc back to the map, and a jump still lands."""
    await back_to_the_map(app, pilot)
    leaves = [r for r in app.layout.leaves if r.size > 1]
    target = leaves[len(leaves) // 2]
    app.jump_to(target.start)
    await pilot.pause()
    assert app.map.state is not None and app.map.state.cursor == target.start


async def run_scenario(sc: Scenario, halfway: Callable[[], None] | None = None) -> AbusedApp:
    seed, rng = seeded(sc.name)
    app = sc.make()
    t0 = time.perf_counter()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            post_keys(app, sc.opener)
            await storm(app, pilot, rng, STORM_EVENTS, KEYS, sc.favourites + sc.opener, halfway)
            await back_and_jump(app, pilot)
            TALLY.quits += app.quits
    except Exception as exc:
        raise failure(sc.name, seed, exc) from exc
    TALLY.runs.append((sc.name, STORM_EVENTS, time.perf_counter() - t0))
    return app


@pytest.mark.parametrize("sc", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_storm_in_every_screen(sc: Scenario) -> None:
    await run_scenario(sc)


async def test_storm_on_a_live_process_that_exits() -> None:
    child = subprocess.Popen([sys.executable, "-c", CHURN], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        try:
            maps = proc.read_maps(child.pid)
            live.process_layout(  # skips where no built-in layout describes this kernel
                child.pid, proc.detect(mappings=maps), maps, proc.comm(child.pid))
        except proc.ProcError as exc:
            pytest.skip(f"no live layout here: {exc}")
        sc = Scenario("live", lambda: AbusedApp(Session(LiveSource(child.pid))), ("R",),
                      ("r", "R", "m", "v", "enter", "backspace", "up", "down"))
        await run_scenario(sc, halfway=child.kill)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()


def test_zz_storm_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """What the storms of this run survived (pytest -s shows it); the README quotes these figures."""
    if not TALLY.runs:
        pytest.skip("no storm ran in this pytest run")
    with capsys.disabled():
        print(f"\nTUI storms (seed {seeded('')[0]}): {len(TALLY.runs)} runs, {TALLY.events} unpaced events: "
              f"{TALLY.keys} keys, {TALLY.clicks} clicks ({TALLY.double_clicks} double), {TALLY.scrolls} scrolls, "
              f"{TALLY.resizes} resizes, {TALLY.quits} quit attempts; {sum(t for *_, t in TALLY.runs):.0f} s")
    assert TALLY.keys > 0

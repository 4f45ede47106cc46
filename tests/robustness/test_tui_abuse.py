"""The interactive map under abuse: thousands of random keys, clicks, scrolls and resizes, unpaced.

For every built-in layout, and for a live process whose maps change all the
time (and which is killed half way), the app gets its share of TOTAL_EVENTS
random events (tests/robustness/storm.py): key presses drawn from every
binding the app and its screens declare plus letters, digits, Enter, Esc,
Tab, the arrows and Ctrl+P; clicks and double clicks, wheel scrolls at
random cells; terminal sizes between 20x5 and 300x100. Events are posted in
bursts without waiting for the app to handle them, as a fast typist sends
them. Textual's run_test() re-raises any exception the app meets, so getting
through the run is the proof that nothing raised; afterwards Esc brings back
the map and both app.jump_to() and the lookup bar still answer.

Quitting is part of the abuse (q, Ctrl+Q, the palette's Quit): the app under
test counts those instead of exiting, and the palette's Screenshot command
writes nothing.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from textual.widgets import Input

from tests.robustness.conftest import CHURN
from tests.robustness.storm import TALLY, AbusedApp, back_to_the_map, failure, seeded, storm
from vaslayout import catalog, proc
from vaslayout.core.units import fmt_addr
from vaslayout.proc import live
from vaslayout.session import Session
from vaslayout.sources import LiveSource
from vaslayout.tui.app import VasLayoutApp

LAYOUT_IDS = catalog.builtin_ids()
TOTAL_EVENTS = 2400  # shared by every run (the built-in layouts and the live process)
EVENTS_PER_RUN = max(100, TOTAL_EVENTS // (len(LAYOUT_IDS) + 1))


async def still_answers(app: AbusedApp, pilot) -> None:
    """A jump and a typed lookup both land where they should."""
    await back_to_the_map(app, pilot)
    layout = app.layout
    leaves = [r for r in layout.leaves if r.size > 1]
    target = leaves[len(leaves) // 2]
    app.jump_to(target.start)
    await pilot.pause()
    assert app.map.state is not None and app.map.state.cursor == target.start
    other = leaves[len(leaves) // 3]
    addr = other.start + other.size // 2
    await pilot.press("slash")
    field_ = app.focused
    assert isinstance(field_, Input)
    field_.value = fmt_addr(addr, layout.address_bits)
    await pilot.press("enter")
    await pilot.pause()
    assert app.map.state.cursor == addr
    assert app.map.state.layout is app.layout


@pytest.mark.parametrize("layout_id", LAYOUT_IDS)
async def test_every_builtin_layout_survives_abuse(layout_id: str) -> None:
    seed, rng = seeded(layout_id)
    app = AbusedApp(layout_id)
    t0 = time.perf_counter()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await storm(app, pilot, rng, EVENTS_PER_RUN)
            await still_answers(app, pilot)
            TALLY.quits += app.quits
    except Exception as exc:
        raise failure(layout_id, seed, exc) from exc
    TALLY.runs.append((layout_id, EVENTS_PER_RUN, time.perf_counter() - t0))




@pytest.fixture
def churning_child():
    """A process that maps and unmaps memory without pause: its maps change between any two reads."""
    child = subprocess.Popen([sys.executable, "-c", CHURN], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline() == "ready\n"
    yield child
    if child.poll() is None:
        child.kill()
    child.wait()


def live_layout(pid: int):
    try:
        maps = proc.read_maps(pid)
        info = proc.detect(mappings=maps)
        return live.process_layout(pid, info, maps, proc.comm(pid))
    except proc.ProcError as exc:
        pytest.skip(f"no live layout here: {exc}")


async def test_a_live_process_that_churns_and_dies_survives_abuse(churning_child) -> None:
    pid = churning_child.pid
    live_layout(pid)  # skips where no built-in layout describes this kernel
    seed, rng = seeded("live")
    app = AbusedApp(Session(LiveSource(pid)))
    t0 = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        await storm(app, pilot, rng, EVENTS_PER_RUN, halfway=churning_child.kill)
        churning_child.wait()
        await back_to_the_map(app, pilot)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        if app.session.live:  # the storm may have opened a built-in layout (the picker, the palette)
            assert app.session.live_status not in ("", "auto"), "the re-read of a dead process must say so"
        await still_answers(app, pilot)
        TALLY.quits += app.quits
    TALLY.runs.append((f"pid-{pid}", EVENTS_PER_RUN, time.perf_counter() - t0))


def test_zz_abuse_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints what the runs above survived (pytest -s shows it); the README quotes these figures."""
    if not TALLY.runs:
        pytest.skip("the abuse runs did not run in this pytest run")
    with capsys.disabled():
        total = sum(n for _, n, _ in TALLY.runs)
        print(f"\nTUI abuse: {len(TALLY.runs)} runs, {total} events: {TALLY.keys} key presses, "
              f"{TALLY.clicks} clicks, {TALLY.scrolls} scrolls, {TALLY.resizes} resizes, "
              f"{TALLY.quits} quit attempts; {sum(t for *_, t in TALLY.runs):.0f} s")
    assert TALLY.keys > 0


# -- bugs the abuse found, kept in view -------------------------------------------


@pytest.mark.parametrize("key", ["pageup", "pagedown"])
async def test_physical_screen_page_keys_in_a_short_terminal(key: str) -> None:
    app = VasLayoutApp("x86_64-4level")  # Textual's own OptionList raised KeyError here: SafeOptionList
    async with app.run_test(size=(120, 10)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        await pilot.press(key, "down", "escape")
        await pilot.pause()
        assert len(app.screen_stack) == 1


async def test_params_of_a_live_process(churning_child) -> None:
    pid = churning_child.pid
    live_layout(pid)
    app = VasLayoutApp(Session(LiveSource(pid)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("1")
        await pilot.pause()
        assert len(app.screen_stack) == 1
        assert any("running kernel" in n.message for n in app._notifications)

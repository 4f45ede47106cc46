"""Snapshot tests: the whole screen, compared with an SVG in __snapshots__/.

Accept a changed screen with `pytest tests/tui --snapshot-update` only after
looking at it in the report. Inputs have their cursor blink turned off so the
cursor is always drawn and the SVG does not depend on timing.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from vaslayout import catalog
from vaslayout.tui.app import VasLayoutApp

SIZE = (120, 40)

HAS_X86_32 = "x86_32-vmsplit-3g" in catalog.builtin_ids()
needs_x86_32 = pytest.mark.skipif(not HAS_X86_32, reason="the x86_32 vmsplit layouts are not in layouts/ yet")

LAYOUTS = catalog.builtin_ids()


def steady_inputs(pilot: Pilot) -> None:
    """No blinking cursors: every Input on the current screen shows its cursor."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


async def look_up(pilot: Pilot, text: str, enter: bool = True) -> None:
    await pilot.press("slash")
    steady_inputs(pilot)
    field = pilot.app.focused
    assert isinstance(field, Input)
    field.insert_text_at_cursor(text)  # as if pasted: the answer is the same as typed
    await pilot.pause()
    if enter:
        await pilot.press("enter")


class TestStart:
    @pytest.mark.parametrize("layout", LAYOUTS)
    def test_layout_at_start(self, snap_compare, layout: str):
        assert snap_compare(VasLayoutApp(layout), terminal_size=SIZE)


class TestLookup:
    def test_lookup_jumps_to_the_direct_map(self, snap_compare):
        async def run_before(pilot: Pilot) -> None:
            await look_up(pilot, "ffff888000001000")

        assert snap_compare(VasLayoutApp(), run_before=run_before, terminal_size=SIZE)

    def test_lookup_shows_an_inline_error(self, snap_compare):
        async def run_before(pilot: Pilot) -> None:
            await look_up(pilot, "zzz", enter=False)

        assert snap_compare(VasLayoutApp(), run_before=run_before, terminal_size=SIZE)

    @needs_x86_32
    def test_lookup_in_lowmem(self, snap_compare):
        async def run_before(pilot: Pilot) -> None:
            await look_up(pilot, "c0100000")

        assert snap_compare(VasLayoutApp("x86_32-vmsplit-3g"), run_before=run_before,
                            terminal_size=SIZE)


class TestZoom:
    def test_zoomed_into_kernel_space(self, snap_compare):
        assert snap_compare(VasLayoutApp(), press=["enter"], terminal_size=SIZE)

    def test_linear_zoom_twice(self, snap_compare):
        assert snap_compare(VasLayoutApp(), press=["plus", "plus"], terminal_size=SIZE)

    def test_proportional_scale(self, snap_compare):
        assert snap_compare(VasLayoutApp(), press=["enter", "s"], terminal_size=SIZE)


class TestCompare:
    def test_compare_x86_64(self, snap_compare):
        assert snap_compare(VasLayoutApp(), press=["c"], terminal_size=SIZE)

    @needs_x86_32
    def test_compare_x86_32_splits(self, snap_compare):
        assert snap_compare(VasLayoutApp("x86_32-vmsplit-3g"), press=["c"], terminal_size=SIZE)


class TestScreens:
    def test_help(self, snap_compare):
        assert snap_compare(VasLayoutApp(), press=["question_mark"], terminal_size=SIZE)

    def test_layout_picker(self, snap_compare):
        assert snap_compare(VasLayoutApp(), press=["l"], terminal_size=SIZE)

    def test_param_editor(self, snap_compare):
        async def run_before(pilot: Pilot) -> None:
            await pilot.press("p")
            steady_inputs(pilot)

        assert snap_compare(VasLayoutApp(), run_before=run_before, terminal_size=SIZE)


class TestSplit:
    def test_split_3g_with_2g_of_ram(self, snap_compare):
        app = VasLayoutApp("x86_32-vmsplit-3g", overrides={"ram": "2G"})
        assert snap_compare(app, press=["v"], terminal_size=SIZE)

    def test_split_3g_kmap_of_a_highmem_page(self, snap_compare):
        app = VasLayoutApp("x86_32-vmsplit-3g", overrides={"ram": "2G"})
        assert snap_compare(app, press=["v", "tab", "up", "up", "k"], terminal_size=SIZE)

    def test_split_x86_64(self, snap_compare):
        assert snap_compare(VasLayoutApp(), press=["v", "tab"], terminal_size=SIZE)


class TestClassroom:
    def test_presenter_mode(self, snap_compare):
        app = VasLayoutApp("x86_32-vmsplit-3g")
        assert snap_compare(app, press=["enter", "f5"], terminal_size=(100, 30))


class TestSize:
    def test_narrow_80x24(self, snap_compare):
        assert snap_compare(VasLayoutApp(), terminal_size=(80, 24))

    def test_too_small(self, snap_compare):
        assert snap_compare(VasLayoutApp(), terminal_size=(39, 11))


class TestOutline:
    """The first screen: the outline of a 32-bit split, and a process opened on its mappings."""

    @needs_x86_32
    def test_x86_32_split_at_80x24(self, snap_compare):
        assert snap_compare(VasLayoutApp("x86_32-vmsplit-3g"), terminal_size=(80, 24))

    @pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["120x40", "80x24"])
    def test_a_process_opens_on_its_mappings(self, snap_compare, size):
        from tests.fake_sources import FakeProcess
        from tests.tui.test_outline import process_layout
        from vaslayout.session import Session

        assert snap_compare(VasLayoutApp(Session(FakeProcess(process_layout()))), terminal_size=size)


class TestNarrow:
    """80x24: the params dialog is not clipped, the split view keeps the region names readable."""

    def test_param_editor_at_80x24(self, snap_compare):
        async def run_before(pilot: Pilot) -> None:
            await pilot.press("p")
            steady_inputs(pilot)

        assert snap_compare(VasLayoutApp(), run_before=run_before, terminal_size=(80, 24))

    def test_split_x86_64_at_80x24(self, snap_compare):
        assert snap_compare(VasLayoutApp(), press=["v", "tab"], terminal_size=(80, 24))

    @needs_x86_32
    def test_split_3g_at_80x24(self, snap_compare):
        app = VasLayoutApp("x86_32-vmsplit-3g", overrides={"ram": "2G"})
        assert snap_compare(app, press=["v"], terminal_size=(80, 24))

"""The interactive map driven key by key with Textual's Pilot.

Every assertion names the exact region, address or window the layout
gives, so a change in navigation or zoom shows up as a failure here rather
than as a quietly different screen. At the default 120x40 the map is 38
rows tall; at the root of x86_64-4level it shows the outline, highest first:
a kernel-space header over its regions, the non-canonical hole as one row,
and a user-space header over the user regions.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Input, OptionList, Static

from vaslayout import catalog
from vaslayout.tui.app import VasLayoutApp
from vaslayout.tui.compare import CompareScreen, CompareView
from vaslayout.tui.lookup_bar import LookupBar
from vaslayout.tui.map_view import MapView
from vaslayout.tui.palette import Palette
from vaslayout.tui.screens import HelpScreen, LayoutPicker, ParamEditor

SIZE = (120, 40)
TOP = 1 << 64

KERNEL_SPACE = "kernel space"
NC_KERNEL = "non-canonical hole, kernel side"
NC_USER = "non-canonical hole, user side"
NC = "non-canonical hole"  # the outline draws both sides as one row
USER_SPACE = "user space"
DIRECT_MAP = "direct mapping of all physical memory"

KERNEL_START = 0xFFFF800000000000
PAGE_OFFSET_4 = 0xFFFF888000000000  # where the app starts: the direct map
PAGE_OFFSET_5 = 0xFF11000000000000
LOOKUP = "ffff888000001000"

HAS_X86_32 = "x86_32-vmsplit-3g" in catalog.builtin_ids()
needs_x86_32 = pytest.mark.skipif(not HAS_X86_32, reason="the x86_32 vmsplit layouts are not in layouts/ yet")


def plain(widget: Static) -> str:
    """What a Static shows, as plain text (tables and Text alike)."""
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(widget.content)
    out = console.file
    assert isinstance(out, io.StringIO)
    return out.getvalue()


async def paste(pilot, text: str) -> None:
    """Put text into the focused Input in one go (Pilot spends ~0.1 s per key)."""
    field = pilot.app.focused
    assert isinstance(field, Input)
    field.insert_text_at_cursor(text)
    await pilot.pause()


def selected(app: VasLayoutApp) -> str:
    block = app.map.selected_block()
    assert block is not None
    return block.region.name


def band_names(app: VasLayoutApp) -> list[str]:
    band = app.map.band
    return [band.block(i).region.name for i in range(len(band))]


def row_of(app: VasLayoutApp, name: str) -> int:
    """A row inside the named block, relative to the map's visible top."""
    band = app.map.band
    for i in range(len(band)):
        block = band.block(i)
        if block.region.name == name:
            return block.top + block.height // 2 - app.map.scroll_offset.y
    raise AssertionError(f"{name!r} is not on the map: {band_names(app)}")


# -- start and moving --------------------------------------------------------


class TestMoving:
    async def test_starts_at_the_root_on_the_direct_map(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE):
            s = app.map.state
            assert s.layout.id == "x86_64-4level"
            assert s.focus is s.layout.root
            assert s.cursor == PAGE_OFFSET_4
            assert (s.scale, s.window) == ("log", None)
            names = band_names(app)  # the outline: each half a header over its rows, one hole between
            assert names[0] == KERNEL_SPACE and names.index(USER_SPACE) == names.index(NC) + 1
            assert names[1:names.index(NC)][::-1][:4] == ["guard hole, reserved for hypervisor",
                                                         "LDT remap for PTI", DIRECT_MAP, "unused hole"]
            assert names[-1] == "unused" and "heap" in names and NC_KERNEL not in names
            assert selected(app) == DIRECT_MAP
            assert app.focused is app.map

    @pytest.mark.parametrize(("down", "up"), [("down", "up"), ("j", "k")])
    async def test_down_and_up_go_to_the_neighbour(self, down: str, up: str):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press(down, down)
            assert selected(app) == "guard hole, reserved for hypervisor"
            await pilot.press(down)
            assert selected(app) == NC
            assert app.map.state.cursor == 0x0000800000000000
            await pilot.press(down)  # over the user-space header onto its top row
            assert selected(app) == "guard hole"
            await pilot.press(up)
            assert selected(app) == NC
            await pilot.press(up, up, up)
            assert selected(app) == DIRECT_MAP
            assert app.map.state.cursor == PAGE_OFFSET_4

    async def test_home_end_pageup_pagedown(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("end")
            assert selected(app) == "unused"
            assert app.map.state.cursor == 0
            await pilot.press("home")  # the top row under the kernel header
            assert selected(app) == "unused hole"
            assert app.map.state.cursor == 0xFFFFFFFFFFE00000
            await pilot.press("up")  # already at the top: stays
            assert selected(app) == "unused hole"
            await pilot.press("pagedown")  # a page is the whole 38-row view
            assert selected(app) == "unused"
            await pilot.press("pageup")
            assert selected(app) == "unused hole"

    async def test_moving_repaints_the_block_it_left(self):
        # The screen after a move must equal a full repaint of the same state:
        # a stale highlight on the old block would differ.
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter", "up", "up", "down")
            await pilot.pause()
            after_moves = app.export_screenshot()
            app.map.refresh()
            await pilot.pause()
            assert app.export_screenshot() == after_moves

    async def test_a_move_refreshes_the_old_and_the_new_block(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")
            assert selected(app) == DIRECT_MAP
            refreshed: list[list[str]] = []
            original = app.map._refresh_blocks

            def spy(*blocks):
                refreshed.append(sorted(b.region.name for b in blocks if b is not None))
                original(*blocks)

            app.map._refresh_blocks = spy  # type: ignore[method-assign]
            await pilot.press("down")
            assert selected(app) == "LDT remap for PTI"
            assert refreshed == [["LDT remap for PTI", DIRECT_MAP]]


# -- zoom and scale ----------------------------------------------------------


class TestZoom:
    async def test_enter_zooms_into_kernel_space_and_backspace_returns(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")  # on the outline's direct-map row, which has nothing inside: its half
            s = app.map.state
            assert s.focus.name == KERNEL_SPACE
            assert s.cursor == PAGE_OFFSET_4
            assert selected(app) == DIRECT_MAP
            assert len(band_names(app)) == 23
            assert band_names(app)[-1] == "guard hole, reserved for hypervisor"
            assert "x86_64-4level > kernel space" in plain(app.query_one("#breadcrumb", Static))
            await pilot.press("down")
            assert selected(app) == "LDT remap for PTI"
            await pilot.press("up", "up")
            assert selected(app) == "unused hole"
            assert app.map.state.cursor == 0xFFFFC88000000000
            await pilot.press("backspace")
            assert app.map.state.focus is app.layout.root
            assert selected(app) == "unused hole"
            assert band_names(app)[0] == KERNEL_SPACE
            await pilot.press("backspace")  # at the root: nothing above
            assert app.map.state.focus is app.layout.root

    async def test_escape_zooms_out_and_enter_on_a_leaf_stays(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("down", "down", "down", "enter")  # the non-canonical hole has no children
            assert app.map.state.focus is app.layout.root
            assert selected(app) == NC
            await pilot.press("up", "enter", "enter")  # the guard hole's half, then nothing further in
            assert app.map.state.focus.name == KERNEL_SPACE
            await pilot.press("escape")
            assert app.map.state.focus is app.layout.root

    async def test_plus_narrows_around_the_cursor_and_minus_widens(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            cursor = app.map.state.cursor
            await pilot.press("plus")
            first = app.map.state.window
            assert first is not None
            span = first[1] - first[0]
            assert 1 << 62 <= span < 1 << 63  # about a quarter of the 2^64 bytes
            assert first[0] <= cursor < first[1]
            await pilot.press("plus")
            second = app.map.state.window
            assert second is not None
            assert (second[1] - second[0]) * 4 == span
            assert second[0] <= cursor < second[1]
            assert app.map.state.cursor == cursor
            assert "linear zoom" in plain(app.query_one("#breadcrumb", Static))
            await pilot.press("minus")
            third = app.map.state.window
            assert third is not None
            assert third[1] - third[0] == span
            assert third[0] <= cursor < third[1]
            await pilot.press("minus")  # the whole space again: back to the level view
            assert app.map.state.window is None
            assert app.map.state.focus is app.layout.root
            assert app.map.state.cursor == cursor
            assert "scale: logarithmic" in plain(app.query_one("#breadcrumb", Static))

    async def test_plus_inside_kernel_space_and_zero_resets(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter", "plus")
            window = app.map.state.window
            assert window is not None
            kernel = TOP - KERNEL_START
            assert kernel // 4 <= window[1] - window[0] < kernel // 2
            assert window[0] <= PAGE_OFFSET_4 < window[1]
            assert selected(app) == DIRECT_MAP
            await pilot.press("0")
            s = app.map.state
            assert s.window is None
            assert s.focus is s.layout.root
            assert s.cursor == PAGE_OFFSET_4
            assert selected(app) == DIRECT_MAP

    async def test_down_and_up_in_a_linear_zoom_step_one_row(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter", "plus")
            window = app.map.state.window
            assert window is not None
            step = (window[1] - window[0]) // 38
            await pilot.press("down")
            assert app.map.state.cursor == PAGE_OFFSET_4 - step  # 1 TiB lower: past the 512 GiB LDT remap
            assert selected(app) == "guard hole, reserved for hypervisor"
            await pilot.press("up")
            assert app.map.state.cursor == PAGE_OFFSET_4
            assert selected(app) == DIRECT_MAP
            lo, hi = app.map.state.window
            assert lo <= PAGE_OFFSET_4 < hi

    async def test_s_cycles_the_three_scales(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            crumb = app.query_one("#breadcrumb", Static)
            assert "scale: logarithmic" in plain(crumb)
            heights = {}
            await pilot.press("enter")  # kernel space: 23 regions in 38 rows leave rows to share
            for expected in ("proportional", "equal", "log"):
                await pilot.press("s")
                assert app.map.state.scale == expected
                band = app.map.band
                heights[expected] = dict((band.block(i).region.start, band.block(i).height) for i in range(23))
                assert sum(heights[expected].values()) == 38
            assert "scale: logarithmic" in plain(crumb)
            assert max(heights["proportional"], key=heights["proportional"].get) == PAGE_OFFSET_4  # 64 of 128 TiB
            assert heights["proportional"][PAGE_OFFSET_4] == 9  # 1 + half of the 15 spare rows
            assert sorted(set(heights["equal"].values())) == [1, 2]
            assert heights["log"][0xFFFFFFFFFF600000] == 1  # the 4 KiB vsyscall page
            assert heights["log"][PAGE_OFFSET_4] == 2
            await pilot.press("backspace")  # the outline: headers and the hole keep one row whatever the scale
            for _ in range(3):
                band = app.map.band
                fixed = [band.block(i).height for i in range(len(band))
                         if band.block(i).header or band.block(i).region.name == NC]
                assert fixed == [1, 1, 1]
                assert sum(band.block(i).height for i in range(len(band))) == 38
                await pilot.press("s")
            assert app.map.state.cursor == PAGE_OFFSET_4


# -- lookup ------------------------------------------------------------------


class TestLookup:
    async def test_answer_shows_while_typing_and_enter_jumps(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("slash")
            field = app.query_one("#lookup-input", Input)
            assert app.focused is field
            assert app.query_one(LookupBar).has_class("-open")
            await pilot.press(*LOOKUP)
            answer = app.query_one("#answer", Static)
            assert DIRECT_MAP in plain(answer)
            assert not answer.has_class("-error")
            assert app.map.state.cursor == PAGE_OFFSET_4  # nothing moved before Enter
            await pilot.press("enter")
            s = app.map.state
            assert s.cursor == 0xFFFF888000001000
            assert s.focus.name == KERNEL_SPACE
            assert selected(app) == DIRECT_MAP
            await pilot.press("escape")
            assert not app.query_one(LookupBar).has_class("-open")
            assert app.focused is app.map

    async def test_g_opens_the_bar_too_and_jumps_into_user_space(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("g")
            await paste(pilot, "0x1000")
            await pilot.press("enter")
            s = app.map.state
            assert s.cursor == 0x1000
            assert s.focus.name == "user-space virtual memory"
            assert selected(app) == "unused"

    async def test_invalid_entry_shows_an_inline_error(self, state_dir: Path):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("slash", *"zzz")
            answer = app.query_one("#answer", Static)
            assert answer.has_class("-error")
            assert "unknown name 'zzz'" in plain(answer)
            await pilot.press("enter")
            assert "unknown name 'zzz'" in plain(answer)
            assert app.map.state.cursor == PAGE_OFFSET_4
            assert app.map.state.focus is app.layout.root
            assert app.query_one(LookupBar).history == []
        assert not (state_dir / "history.json").exists()

    async def test_history_is_recalled_and_survives_a_new_app(self, state_dir: Path):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("slash")
            await paste(pilot, LOOKUP)
            await pilot.press("enter")
            field = app.query_one("#lookup-input", Input)
            field.value = ""
            await paste(pilot, "0x1000")
            await pilot.press("enter", "escape", "slash")
            field.value = ""
            await pilot.press("up")
            assert field.value == "0x1000"
            await pilot.press("up")
            assert field.value == LOOKUP
        assert json.loads((state_dir / "history.json").read_text()) == [LOOKUP, "0x1000"]

        again = VasLayoutApp()
        async with again.run_test(size=SIZE) as pilot:
            await pilot.press("slash")
            field = again.query_one("#lookup-input", Input)
            assert field.value == ""
            await pilot.press("up")
            assert field.value == "0x1000"
            await pilot.press("up", "up")  # the oldest stays
            assert field.value == LOOKUP
            await pilot.press("down", "down")  # past the newest: an empty line
            assert field.value == ""
            await pilot.press("up", "enter")
            assert again.map.state.cursor == 0x1000

    async def test_lookup_follows_a_layout_switch(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("slash")
            await paste(pilot, "page_offset_base")
            await pilot.press("enter")
            assert app.map.state.cursor == PAGE_OFFSET_4
            await pilot.click(MapView, offset=(30, 3))  # the bar stays open
            assert app.focused is app.map
            await pilot.press("l", "down", "enter")
            assert app.layout.id == "x86_64-5level"
            await pilot.click("#lookup-input")
            await pilot.press("enter")
            assert app.map.state.cursor == PAGE_OFFSET_5
            assert DIRECT_MAP in plain(app.query_one("#answer", Static))


# -- params and layouts ------------------------------------------------------


DEPENDENT = """\
id: dependent
title: A param whose default follows another param
arch: x86_32
address_bits: 32
paging: x86-32
params:
  PAGE_OFFSET: 0xC000_0000
  lowmem_top:
    value: PAGE_OFFSET + 256M
    description: follows PAGE_OFFSET unless set
regions:
  - name: user space
    start: 0
    end: PAGE_OFFSET
    kind: user-space
  - name: kernel space
    start: PAGE_OFFSET
    last: 0xffffffff
    kind: kernel-space
    children:
      - name: lowmem
        start: PAGE_OFFSET
        end: lowmem_top
        kind: direct-map
"""


class TestParams:
    async def test_a_good_value_re_resolves_and_a_bad_one_keeps_the_map(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            assert app.layout.params["ram"].value == 2 << 30
            await pilot.press("p")
            assert isinstance(app.screen, ParamEditor)
            ram = app.screen.query_one("#param-ram", Input)
            assert app.focused is ram
            assert ram.value == "0x80000000"
            ram.value = ""
            await pilot.press("4", "G")
            status = app.screen.query_one("#param-status", Static)
            assert app.layout.params["ram"].value == 4 << 30
            assert app.map.state.layout is app.layout
            assert not status.has_class("-error")
            assert "ok" in plain(status)
            good = app.layout

            ram.value = "1 +"
            await pilot.pause()
            assert status.has_class("-error")
            assert "the map keeps the last good values" in plain(status)
            assert app.layout is good
            assert app.map.state.layout is good
            assert app.layout.params["ram"].value == 4 << 30
            await pilot.press("escape")
            assert not isinstance(app.screen, ParamEditor)
            assert app.session.overrides_now()["ram"] == "4G"
            assert "ram=4G" in plain(app.query_one("#breadcrumb", Static))

    async def test_a_param_default_keeps_following_after_the_editor_opens(self, tmp_path: Path):
        path = tmp_path / "dependent.yaml"
        path.write_text(DEPENDENT)
        app = VasLayoutApp(str(path))
        async with app.run_test(size=SIZE) as pilot:
            assert app.layout.params["lowmem_top"].value == 0xD0000000
            await pilot.press("p")
            await pilot.pause()
            app.screen.query_one("#param-PAGE_OFFSET", Input).value = "0x80000000"
            await pilot.pause()
            assert app.layout.params["PAGE_OFFSET"].value == 0x80000000
            assert app.layout.params["lowmem_top"].value == 0x90000000

    async def test_layout_switch_keeps_the_cursor_in_user_space(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("end", "enter", "backspace", "home")  # the lowest row's half, one up, its top
            assert app.map.state.focus.name == USER_SPACE
            assert selected(app) == "guard hole"
            assert app.map.state.cursor == 0x7FFFFFFFF000
            await pilot.press("l")
            assert isinstance(app.screen, LayoutPicker)
            options = app.screen.query_one(OptionList)
            ids = [o.id for o in options.options]
            assert ids == catalog.builtin_ids()
            assert options.highlighted == ids.index("x86_64-4level")
            assert ids[ids.index("x86_64-4level") + 1] == "x86_64-5level"
            await pilot.press("down", "enter")
            assert not isinstance(app.screen, LayoutPicker)
            s = app.map.state
            assert app.session.name == s.layout.id == "x86_64-5level"
            assert s.cursor == 0x7FFFFFFFF000
            assert s.focus.name == USER_SPACE
            assert selected(app) == "user-space virtual memory"

    async def test_escape_in_the_picker_keeps_the_layout(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("l", "down", "escape")
            assert not isinstance(app.screen, LayoutPicker)
            assert app.map.state.layout.id == "x86_64-4level"


# -- other screens -----------------------------------------------------------


class TestScreens:
    async def test_compare_shows_both_x86_64_layouts(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("c")
            assert isinstance(app.screen, CompareScreen)
            view = app.screen.query_one(CompareView)
            assert [lay.id for lay in view.layouts] == ["x86_64-4level", "x86_64-5level"]
            assert view.cursor == PAGE_OFFSET_4
            head = plain(app.screen.query_one("#compare-head", Static))
            assert head.split() == ["compare", "x86_64-4level", "x86_64-5level"]
            lines = plain(app.screen.query_one("#compare-status", Static)).splitlines()
            assert lines[0] == "cursor 0xffff888000000000"
            assert lines[1].split(maxsplit=1) == ["x86_64-4level", f"kernel space > {DIRECT_MAP}"]
            assert lines[2].split(maxsplit=1) == [
                "x86_64-5level", "kernel space > KASAN shadow memory > KASAN shadow of kernel space"]
            await pilot.press("escape")
            assert not isinstance(app.screen, CompareScreen)
            assert app.map.state.cursor == PAGE_OFFSET_4

    @needs_x86_32
    async def test_compare_shows_the_three_32_bit_splits(self):
        app = VasLayoutApp("x86_32-vmsplit-3g")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("c")
            assert isinstance(app.screen, CompareScreen)
            ids = ["x86_32-vmsplit-3g", "x86_32-vmsplit-2g", "x86_32-vmsplit-1g"]
            assert [lay.id for lay in app.screen.query_one(CompareView).layouts] == ids
            lines = plain(app.screen.query_one("#compare-status", Static)).splitlines()
            assert [line.split()[0] for line in lines[1:]] == ids

    @pytest.mark.parametrize(("command", "check"), [
        ("Cycle scale", lambda app: app.map.state.scale == "proportional"),
        ("Open layout x86_64-5level", lambda app: app.map.state.layout.id == "x86_64-5level"),
        ("Zoom in", lambda app: app.map.state.focus.name == KERNEL_SPACE),
    ])
    async def test_command_palette_runs_an_action(self, command: str, check):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("ctrl+p")
            assert isinstance(app.screen, Palette)
            await paste(pilot, command)
            await pilot.pause()
            assert app.screen.shown[0].title == command  # filtered as typed, best match first
            await pilot.press("enter")
            await pilot.pause()
            assert not isinstance(app.screen, Palette)
            assert check(app)

    async def test_help_opens_and_closes(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            assert app.screen.source.startswith("# vaslayout")
            await pilot.press("escape")
            assert not isinstance(app.screen, HelpScreen)
            await pilot.press("question_mark", "q")  # q closes the help, not the app
            assert not isinstance(app.screen, HelpScreen)
            assert app.is_running


# -- mouse and terminal size --------------------------------------------------


class TestMouseAndSize:
    async def test_click_selects_and_double_click_zooms(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            assert await pilot.click(MapView, offset=(30, row_of(app, NC)))
            assert selected(app) == NC
            assert await pilot.click(MapView, offset=(30, row_of(app, "heap")))
            assert selected(app) == "heap"
            assert app.map.state.focus is app.layout.root
            assert await pilot.double_click(MapView, offset=(30, row_of(app, "vmalloc/ioremap space")))
            assert app.map.state.focus.name == KERNEL_SPACE
            assert selected(app) == "vmalloc/ioremap space"
            await pilot.press("backspace")
            assert await pilot.click(MapView, offset=(30, row_of(app, USER_SPACE)))  # a header: its half
            assert app.map.state.focus.name == USER_SPACE
            assert 0 <= app.map.state.cursor < 1 << 47

    async def test_too_small_and_back(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            assert not app.has_class("-too-small")
            assert not app.has_class("-narrow")
            await pilot.resize_terminal(40, 12)
            assert not app.has_class("-too-small")
            assert app.has_class("-narrow")
            await pilot.resize_terminal(39, 12)
            assert app.has_class("-too-small")
            assert app.query_one("#too-small").display
            await pilot.resize_terminal(40, 11)
            assert app.has_class("-too-small")
            await pilot.resize_terminal(20, 5)
            await pilot.press("down", "plus", "enter")
            assert app.has_class("-too-small")
            await pilot.resize_terminal(*SIZE)
            assert not app.has_class("-too-small")
            assert not app.has_class("-narrow")
            assert not app.query_one("#too-small").display
            assert app.map.region.height == 38
            s = app.map.state
            assert (s.cursor, s.focus, s.window) == (PAGE_OFFSET_4, s.layout.root, None)
            assert band_names(app)[0] == KERNEL_SPACE and len(band_names(app)) == 35  # the outline

    async def test_keys_work_again_after_too_small(self):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.resize_terminal(39, 11)
            assert app.has_class("-too-small")
            await pilot.resize_terminal(*SIZE)
            await pilot.press("down")
            assert selected(app) == "LDT remap for PTI"

    async def test_narrow_stacks_the_details_under_the_map(self):
        app = VasLayoutApp()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert app.has_class("-narrow")
            assert not app.has_class("-too-small")
            details = app.query_one("#details")
            assert details.region.y >= app.map.region.bottom
            assert app.map.region.width == 80
            assert details.region.width == 80  # the whole width under the map, not the side panel's 62
            await pilot.press("down")
            assert selected(app) == "LDT remap for PTI"


# -- settings ----------------------------------------------------------------


class TestSettings:
    async def test_theme_is_saved_and_restored(self, state_dir: Path):
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            assert app.theme == "textual-dark"
            app.theme = "nord"
            await pilot.pause()
        assert json.loads((state_dir / "settings.json").read_text()) == {"theme": "nord"}
        again = VasLayoutApp()
        async with again.run_test(size=SIZE):
            assert again.theme == "nord"

    async def test_unreadable_settings_are_set_aside(self, state_dir: Path):
        state_dir.mkdir()
        (state_dir / "settings.json").write_text("{not json")
        app = VasLayoutApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.theme == "textual-dark"
            assert [n.message for n in app._notifications] == [
                "settings.json was unreadable and has been set aside"]
        assert (state_dir / "settings.json.corrupt").read_text() == "{not json"

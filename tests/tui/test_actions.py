"""Bindings, footer, palette and help all come from the one actions table; keymap.toml remaps."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from vaslayout import catalog
from vaslayout.session import Session
from vaslayout.sources import FixedSource
from vaslayout.teach.tours import load_tour
from vaslayout.tui import actions
from vaslayout.tui.actions import ACTIONS, BY_ID, key_text, parse_keymap
from vaslayout.tui.app import VasLayoutApp
from vaslayout.tui.footer import KeysFooter
from vaslayout.tui.map_view import MapView
from vaslayout.tui.screens import HelpScreen

SIZE = (120, 40)


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No keymap of the user's: each test writes its own, or none."""
    folder = tmp_path / "config"
    monkeypatch.setenv("VASLAYOUT_CONFIG_DIR", str(folder))
    return folder


def test_every_action_is_declared_once_with_a_unique_id() -> None:
    assert len(BY_ID) == len(ACTIONS)
    assert all(a.help and a.label for a in ACTIONS)


def test_the_widgets_bind_exactly_the_table() -> None:
    app_ids = [b.id for b in VasLayoutApp.BINDINGS]
    map_ids = [b.id for b in MapView.BINDINGS]
    assert app_ids == [a.id for a in ACTIONS if a.where == "app"]
    assert map_ids == [a.id for a in ACTIONS if a.where == "map"]


async def test_help_lists_every_key_of_the_table() -> None:
    app = VasLayoutApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        source = app.screen.source
    assert source.startswith("# vaslayout")
    for a in ACTIONS:
        assert f"| {key_text(a.keys)} | {a.help} |" in source, a.id


async def test_the_footer_shows_the_footer_actions_of_the_table() -> None:
    app = VasLayoutApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        spots = app.screen.query_one(KeysFooter).spots
        shown = {spot.key.description for spot in spots if spot.key is not None}
        labels = {spot.parts[0][0] for spot in spots if spot.key is None}
    wanted = {a.label for a in ACTIONS if a.footer and a.where in ("app", "map") and a.group is None}
    groups = {a.group.description for a in ACTIONS if a.footer and a.group and a.where == "map"}
    assert wanted - {"Next step", "Previous step", "Re-read", "Auto"} <= shown
    assert groups <= labels


async def test_the_palette_offers_every_palette_action() -> None:
    app = VasLayoutApp()
    async with app.run_test(size=SIZE):
        titles = {c.title for c in app.palette_commands(app.screen)}
    wanted = {a.palette for a in ACTIONS if a.palette and a.where in ("app", "map")}
    elsewhere = {BY_ID[i].palette for i in ("app.reload", "app.auto_reload", "tour.next", "tour.prev")}
    assert wanted - elsewhere <= titles and not elsewhere & titles  # r, R only live; n, p only in a tour


def test_a_keymap_line_names_a_binding_id() -> None:
    keymap, problems = parse_keymap('# mine\napp.lookup = "f"\nmap.scale=\'S\'\nnope = "x"\nbroken\n', "km")
    assert keymap == {"app.lookup": "f", "map.scale": "S"}
    assert problems == ["km:4: no action 'nope' (ids: app.lookup, map.zoom_in, ...)",
                        'km:5: expected binding-id = "keys"']


async def test_the_keymap_file_remaps_a_key(config_dir: Path) -> None:
    config_dir.mkdir()
    (config_dir / "keymap.toml").write_text('app.lookup = "f"\nmap.zoom_in = "i"\n', encoding="utf-8")
    app = VasLayoutApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        assert app.map.state.focus.name == "kernel space"
        await pilot.press("f")
        assert app.query_one("#lookup").has_class("-open")


async def test_a_bad_keymap_is_a_warning_and_the_app_runs(config_dir: Path) -> None:
    config_dir.mkdir()
    (config_dir / "keymap.toml").write_text("app.nothing = x\n", encoding="utf-8")
    warned: list[str] = []

    class Watched(VasLayoutApp):
        CSS_PATH = str(Path(inspect.getfile(VasLayoutApp)).parent / VasLayoutApp.CSS_PATH)

        def notify(self, message, **kwargs) -> None:  # kept here: a toast expires on a slow machine
            warned.append(str(message))
            super().notify(message, **kwargs)

    app = Watched()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.keymap_problem is not None and "no action 'app.nothing'" in app.keymap_problem
        assert app.keymap_problem in warned
        assert app.is_running


def test_the_keymap_lives_in_the_config_dir(config_dir: Path) -> None:
    assert actions.keymap_path() == config_dir / "keymap.toml"


class LiveFixed(FixedSource):
    """A layout that passes for a live process: the footer then offers r / R too."""

    pid = 4242
    refreshable = True


def footer_apps():
    yield "layout", lambda: VasLayoutApp()
    yield "live", lambda: VasLayoutApp(Session(LiveFixed(catalog.load("x86_64-4level"))))
    yield "tour", lambda: VasLayoutApp(Session.for_tour(load_tour("vmsplit-lowmem")))


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
@pytest.mark.parametrize(("what", "make"), list(footer_apps()), ids=[n for n, _ in footer_apps()])
async def test_help_and_quit_fit_in_the_footer(size: tuple[int, int], what: str, make) -> None:
    app = make()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.pause()
        footer = app.screen.query_one(KeysFooter)
        keys = {s.key.description: (s.x, s.x + s.width) for s in footer.spots if s.key and s.key.description}
        palette = next(s.x for s in footer.spots if s.key and s.key.key == "ctrl+p")
        assert footer.spots[-1].x + footer.spots[-1].width <= footer.size.width
    assert keys["Help"][1] <= palette and keys["Quit"][1] <= palette, keys
    assert all(right <= palette for name, (_, right) in keys.items() if name != "palette"), keys

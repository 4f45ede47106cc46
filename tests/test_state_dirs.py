"""Theme and keymap in the config directory, history in the state directory, and the move between them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vaslayout import state


@pytest.fixture
def apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    config, states = tmp_path / "config", tmp_path / "state-only"
    monkeypatch.setenv("VASLAYOUT_CONFIG_DIR", str(config))
    monkeypatch.setenv("VASLAYOUT_STATE_DIR", str(states))
    return config, states


def test_the_defaults_are_platformdirs_config_and_state(monkeypatch: pytest.MonkeyPatch) -> None:
    from platformdirs import user_config_dir, user_state_dir

    monkeypatch.delenv("VASLAYOUT_CONFIG_DIR")
    monkeypatch.delenv("VASLAYOUT_STATE_DIR")
    assert state.config_dir() == Path(user_config_dir("vaslayout"))
    assert state.state_dir() == Path(user_state_dir("vaslayout"))


def test_theme_goes_to_config_history_to_state(apart: tuple[Path, Path]) -> None:
    config, states = apart
    assert state.save_settings({"theme": "nord"}) is None
    assert state.save_history(["0x1000"]) is None
    assert json.loads((config / "settings.json").read_text()) == {"theme": "nord"}
    assert json.loads((states / "history.json").read_text()) == ["0x1000"]
    assert not (states / "settings.json").exists() and not (config / "history.json").exists()


def test_an_old_settings_file_in_the_state_directory_is_moved(apart: tuple[Path, Path]) -> None:
    config, states = apart
    states.mkdir()
    (states / "settings.json").write_text('{"theme": "gruvbox"}')
    assert state.load_settings() == ({"theme": "gruvbox"}, None)
    assert not (states / "settings.json").exists()
    assert json.loads((config / "settings.json").read_text()) == {"theme": "gruvbox"}


def test_a_config_file_wins_over_an_old_one(apart: tuple[Path, Path]) -> None:
    config, states = apart
    states.mkdir()
    config.mkdir()
    (states / "settings.json").write_text('{"theme": "old"}')
    (config / "settings.json").write_text('{"theme": "new"}')
    assert state.load_settings() == ({"theme": "new"}, None)
    assert (states / "settings.json").exists()  # left alone: not ours to delete


def test_scratch_hides_and_keeps_the_users_files(apart: tuple[Path, Path]) -> None:
    config, states = apart
    assert state.save_settings({"theme": "nord"}) is None
    assert state.save_history(["0x1"]) is None
    with state.scratch() as folder:
        assert state.load_settings() == ({}, None) and state.load_history() == ([], None)
        assert state.save_history(["0x2"]) is None
        assert (folder / "history.json").exists()
    assert not folder.exists()
    assert state.load_history() == (["0x1"], None)
    assert state.load_settings() == ({"theme": "nord"}, None)


def test_screenshot_lookup_leaves_the_history_alone(apart: tuple[Path, Path], tmp_path: Path) -> None:
    _, states = apart
    out = tmp_path / "shot.svg"
    p = subprocess.run([sys.executable, "-m", "vaslayout", "screenshot", "x86_64-4level", "-o", str(out),
                        "--lookup", "0xffff888000001000", "--size", "100x30"],
                       capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert p.returncode == 0, p.stderr
    assert out.read_text().startswith("<svg")
    assert not (states / "history.json").exists()


async def test_a_keymap_in_the_config_directory_rebinds_a_key(apart: tuple[Path, Path]) -> None:
    from vaslayout.tui.app import VasLayoutApp
    from vaslayout.tui.lookup_bar import LookupBar

    config, _ = apart
    config.mkdir()
    (config / "keymap.toml").write_text('app.lookup = "f"\n')  # keymap.toml: tui/actions.py
    app = VasLayoutApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("slash")  # no longer the lookup key
        await pilot.pause()
        assert not app.query_one(LookupBar).display
        await pilot.press("f")
        await pilot.pause()
        assert app.query_one(LookupBar).display

"""History and settings files: a crash mid-write keeps the old file, a damaged one is set aside.

The app keeps two small JSON files in VASLAYOUT_STATE_DIR. Whatever happens
to them (a write cut short at any step, a file that is not JSON, not UTF-8,
nested a hundred thousand deep, a gigabyte long, a FIFO, a directory, a
state folder that is a file), loading gives the defaults and one message,
saving gives a message instead of an exception, and the app starts, says so
in a notification, and answers lookups.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from vaslayout import state
from vaslayout.tui.app import VasLayoutApp
from vaslayout.tui.lookup_bar import LookupBar

OLD_HISTORY = ["ffff888000001000", "0xc0000000"]


@pytest.fixture
def saved(state_dir: Path) -> Path:
    """A good history file already on disk."""
    assert state.save_history(OLD_HISTORY) is None
    path = state_dir / "history.json"
    assert json.loads(path.read_text()) == OLD_HISTORY
    return path


def litter(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in ("history.json", "settings.json"))


# -- a crash in the middle of a write ------------------------------------------------------


@pytest.mark.parametrize("step", ["dump", "fsync", "replace"])
def test_a_write_that_fails_at_any_step_keeps_the_old_file(saved: Path, state_dir: Path, step: str) -> None:
    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    def half_then_boom(data, f, **kwargs):  # the disk fills up after part of the text is written
        f.write('["half')
        f.flush()
        boom()

    with pytest.MonkeyPatch.context() as mp:
        if step == "dump":
            mp.setattr(json, "dump", half_then_boom)
        else:
            mp.setattr(os, step, boom)
        problem = state.save_history([*OLD_HISTORY, "0x1000"])
    assert problem == "could not save history.json: No space left on device"
    assert json.loads(saved.read_text()) == OLD_HISTORY  # the old file, whole
    assert litter(state_dir) == []  # and no half-written temporary file left behind
    assert state.load_history() == (OLD_HISTORY, None)


def test_a_process_killed_mid_write_leaves_only_a_temporary_file(saved: Path, state_dir: Path) -> None:
    """What a kill -9 between write and rename leaves: the old file is still the one read."""
    (state_dir / ".history.json.abc123").write_text('["half')
    assert state.load_history() == (OLD_HISTORY, None)
    assert state.save_history(["0x2000"]) is None
    assert state.load_history() == (["0x2000"], None)


def test_data_json_cannot_hold_is_a_message_not_a_crash(state_dir: Path) -> None:
    problem = state.save_settings({"theme": object()})
    assert problem is not None and problem.startswith("could not save settings.json: ")
    assert not (state_dir / "settings.json").exists()
    assert litter(state_dir) == []


def test_a_state_folder_that_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("VASLAYOUT_STATE_DIR", str(blocker))
    assert state.save_history(["0x1"]).startswith("could not save history.json: ")
    items, problem = state.load_history()
    assert items == [] and problem == "history.json is unreadable and was ignored"
    assert blocker.read_text() == "x"


# -- damaged files --------------------------------------------------------------------------

DAMAGE = {
    "not-json": b"{not json",
    "truncated": b'["ffff888000001000", "0xc00',
    "not-utf8": b'["\xff\xfe"]',
    "nul-bytes": b"\x00" * 64,
    "nested-100000-deep": b"[" * 100_000 + b"]" * 100_000,
    "huge-integer": b"[" + b"9" * 5000 + b"]",
    "over-1-mib": b'["' + b"a" * (2 << 20) + b'"]',
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
@pytest.mark.parametrize("name", ["history.json", "settings.json"])
def test_a_damaged_file_is_set_aside(state_dir: Path, name: str, damage: str) -> None:
    state_dir.mkdir()
    (state_dir / name).write_bytes(DAMAGE[damage])
    load = state.load_history if name == "history.json" else state.load_settings
    data, problem = load()
    assert data in ([], {})
    assert problem == f"{name} was unreadable and has been set aside"
    assert (state_dir / f"{name}.corrupt").read_bytes() == DAMAGE[damage]
    assert not (state_dir / name).exists()
    assert load() == (data, None)  # set aside once; the next start is quiet


@pytest.mark.parametrize(("name", "text"), [("history.json", '{"a": 1}'), ("settings.json", '["nord"]'),
                                            ("settings.json", "null"), ("history.json", "42")])
def test_the_wrong_kind_of_json_is_ignored(state_dir: Path, name: str, text: str) -> None:
    state_dir.mkdir()
    (state_dir / name).write_text(text)
    load = state.load_history if name == "history.json" else state.load_settings
    data, problem = load()
    assert data in ([], {})
    assert problem == f"{name} held the wrong kind of data and was ignored"


def test_history_entries_of_other_types_become_text(state_dir: Path) -> None:
    state_dir.mkdir()
    (state_dir / "history.json").write_text(json.dumps([1, None, ["x"], "0x10"] + ["0x1"] * 500))
    items, problem = state.load_history()
    assert problem is None
    assert len(items) == state.HISTORY_LIMIT
    assert all(isinstance(i, str) for i in items)


@pytest.mark.parametrize("kind", ["fifo", "directory", "dev-zero"])
def test_something_that_is_not_a_file(state_dir: Path, kind: str) -> None:
    state_dir.mkdir()
    path = state_dir / "settings.json"
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would wait for a writer for ever
    elif kind == "directory":
        path.mkdir()
    else:
        if not os.path.exists("/dev/zero"):
            pytest.skip("no /dev/zero")
        path.symlink_to("/dev/zero")  # endless
    data, problem = state.load_settings()
    assert data == {}
    assert problem == "settings.json was unreadable and has been set aside"
    assert (state_dir / "settings.json.corrupt").exists() or (state_dir / "settings.json.corrupt").is_symlink()
    assert state.save_settings({"theme": "nord"}) is None
    assert state.load_settings() == ({"theme": "nord"}, None)


# -- the same through the app -----------------------------------------------------------------


def messages(app: VasLayoutApp) -> list[str]:
    return [n.message for n in app._notifications]


@pytest.mark.parametrize("damage", ["not-json", "nested-100000-deep", "over-1-mib"])
async def test_the_app_starts_with_damaged_files_and_says_so(state_dir: Path, damage: str) -> None:
    state_dir.mkdir()
    (state_dir / "settings.json").write_bytes(DAMAGE[damage])
    (state_dir / "history.json").write_bytes(DAMAGE[damage])
    app = VasLayoutApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert sorted(messages(app)) == ["history.json was unreadable and has been set aside",
                                         "settings.json was unreadable and has been set aside"]
        await pilot.press("slash")
        app.query_one(LookupBar).query_one("Input").value = "ffff888000001000"
        await pilot.press("enter")
        await pilot.pause()
        assert app.map.state.cursor == 0xFFFF888000001000
        app.theme = "nord"
        await pilot.pause()
    assert state.load_history() == (["ffff888000001000"], None)
    assert state.load_settings() == ({"theme": "nord"}, None)


async def test_the_app_runs_when_nothing_can_be_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "state-is-a-file"
    blocker.write_text("x")
    monkeypatch.setenv("VASLAYOUT_STATE_DIR", str(blocker))
    app = VasLayoutApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "history.json is unreadable and was ignored" in messages(app)
        await pilot.press("slash")
        app.query_one(LookupBar).query_one("Input").value = "ffff888000001000"
        await pilot.press("enter")
        await pilot.pause()
        assert app.map.state.cursor == 0xFFFF888000001000
        assert any(m.startswith("could not save history.json: ") for m in messages(app))


async def test_a_crash_mid_write_in_the_app_keeps_the_old_history(saved: Path, state_dir: Path) -> None:
    def fail(*args, **kwargs):
        raise OSError(5, "Input/output error")

    app = VasLayoutApp()
    async with app.run_test(size=(120, 40)) as pilot:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(os, "replace", fail)
            await pilot.press("slash")
            app.query_one(LookupBar).query_one("Input").value = "0x7fff00001000"
            await pilot.press("enter")
            await pilot.pause()
        assert app.map.state.cursor == 0x7FFF00001000
        assert "could not save history.json: Input/output error" in messages(app)
    assert json.loads(saved.read_text()) == OLD_HISTORY
    assert litter(state_dir) == []

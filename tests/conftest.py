"""Every test keeps the user's own config and state directories out of reach.

The theme and keymap live in the config directory, the history in the state
directory. The tui and robustness fixtures point the state directory at
tmp_path/"state"; the config directory goes to the same folder, so a test
finds settings.json next to history.json, and a subprocess started by a test
inherits both.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "state"
    monkeypatch.setenv("VASLAYOUT_CONFIG_DIR", str(folder))
    monkeypatch.setenv("VASLAYOUT_STATE_DIR", str(folder))
    return folder

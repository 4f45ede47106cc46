"""Fixtures for the TUI tests: every test gets its own empty state folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """History and settings go to a fresh folder, never the user's own.

    A saved theme or lookup history would otherwise change what the app
    shows at start and make the runs depend on the machine.
    """
    folder = tmp_path / "state"
    monkeypatch.setenv("VASLAYOUT_STATE_DIR", str(folder))
    return folder

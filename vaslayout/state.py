"""Files the app keeps between runs: lookup history and settings.

Writes go to a temporary file in the same folder and replace the old one
with os.replace, so a crash mid-write leaves the old file whole. A file
that does not parse is moved aside (`*.corrupt`) rather than crashing.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

HISTORY_LIMIT = 200


def state_dir() -> Path:
    override = os.environ.get("VASLAYOUT_STATE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_state_dir

    return Path(user_state_dir("vaslayout"))


def _read(name: str, default: Any) -> tuple[Any, str | None]:
    path = state_dir() / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default, None
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            path.replace(path.with_suffix(path.suffix + ".corrupt"))
        return default, f"{path.name} was unreadable and has been set aside"
    if not isinstance(data, type(default)):
        return default, f"{path.name} held the wrong kind of data and was ignored"
    return data, None


def _write(name: str, data: Any) -> str | None:
    folder = state_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, folder / name)
    except OSError as exc:
        return f"could not save {name}: {exc.strerror or exc}"
    return None


def load_history() -> tuple[list[str], str | None]:
    items, problem = _read("history.json", [])
    return [str(x) for x in items][-HISTORY_LIMIT:], problem


def save_history(items: list[str]) -> str | None:
    return _write("history.json", items[-HISTORY_LIMIT:])


def load_settings() -> tuple[dict[str, Any], str | None]:
    return _read("settings.json", {})


def save_settings(settings: dict[str, Any]) -> str | None:
    return _write("settings.json", settings)

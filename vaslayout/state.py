"""Files the app keeps between runs: lookup history and settings.

Writes go to a temporary file in the same folder and replace the old one
with os.replace, so a crash mid-write leaves the old file whole. A file
that does not parse is moved aside (`*.corrupt`) rather than crashing.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

HISTORY_LIMIT = 200
MAX_STATE_BYTES = 1 << 20  # far more than 200 lookups and a theme; a bigger file is not ours


def state_dir() -> Path:
    override = os.environ.get("VASLAYOUT_STATE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_state_dir

    return Path(user_state_dir("vaslayout"))


def _load(path: Path) -> Any:
    """The JSON in path; OSError or ValueError when it cannot be had."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO put in its place must not hang the app
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("not a regular file")
        data = f.read(MAX_STATE_BYTES + 1)  # at most the limit: gigabytes (or /dev/zero) are not read whole
    if len(data) > MAX_STATE_BYTES:
        raise ValueError("too big")
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:  # [[[[... nested a hundred thousand deep
        raise ValueError("nested too deeply") from None


def _read(name: str, default: Any) -> tuple[Any, str | None]:
    path = state_dir() / name
    try:
        data = _load(path)
    except FileNotFoundError:
        return default, None
    except (OSError, ValueError):
        aside = path.with_suffix(path.suffix + ".corrupt")
        try:
            path.replace(aside)
        except OSError:
            return default, f"{path.name} is unreadable and was ignored"
        return default, f"{path.name} was unreadable and has been set aside"
    if not isinstance(data, type(default)):
        return default, f"{path.name} held the wrong kind of data and was ignored"
    return data, None


def _write(name: str, data: Any) -> str | None:
    """Write to a temporary file beside the real one, then rename it over: all or nothing."""
    folder = state_dir()
    tmp: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, folder / name)
        tmp = None
    except (OSError, TypeError, ValueError) as exc:
        return f"could not save {name}: {getattr(exc, 'strerror', None) or exc}"
    finally:
        if tmp is not None:  # the write failed half way: the old file is untouched, leave no litter
            with contextlib.suppress(OSError):
                os.unlink(tmp)
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

"""Files the app keeps between runs: lookup history (state), theme and keymap (config).

What the user chose (theme, keys) lives in the config directory
(platformdirs' user_config_dir, or $VASLAYOUT_CONFIG_DIR); what the app
remembers by itself (lookup history) in the state directory
(user_state_dir, or $VASLAYOUT_STATE_DIR). A settings file left in the
state directory by an older version is moved to the config directory on
first read.

Writes go to a temporary file in the same folder and replace the old one
with os.replace, so a crash mid-write leaves the old file whole. A file
that does not parse is moved aside (`*.corrupt`) rather than crashing.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HISTORY_LIMIT = 200
MAX_STATE_BYTES = 1 << 20  # far more than 200 lookups and a theme; a bigger file is not ours
SETTINGS = "settings.json"

_scratch: Path | None = None  # set by scratch(): a run that must neither read nor change the user's files


def _folder(variable: str, kind: str) -> Path:
    """scratch() if on, else $variable, else platformdirs' user_<kind>_dir."""
    if _scratch is not None:
        return _scratch
    override = os.environ.get(variable)
    if override:
        return Path(override)
    import platformdirs

    return Path(getattr(platformdirs, f"user_{kind}_dir")("vaslayout"))


def state_dir() -> Path:
    """Where the lookup history is kept."""
    return _folder("VASLAYOUT_STATE_DIR", "state")


def config_dir() -> Path:
    """Where the user's choices (theme, keymap) are kept."""
    return _folder("VASLAYOUT_CONFIG_DIR", "config")


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """History and config in a new empty folder for the duration, removed after.

    A screenshot must look the same on every machine (no saved theme) and
    must not add its lookups to the user's history.
    """
    global _scratch
    before = _scratch
    with tempfile.TemporaryDirectory(prefix="vaslayout-scratch-") as folder:
        _scratch = Path(folder)
        try:
            yield _scratch
        finally:
            _scratch = before


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


def _read(name: str, default: Any, folder: Path | None = None) -> tuple[Any, str | None]:
    path = (folder or state_dir()) / name
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


def write_json(path: Path, data: Any, *, indent: int | None = None, fsync: bool = False) -> None:
    """JSON to a temporary file beside `path`, renamed over it: all or nothing, no litter when it fails.

    Raises what the write raises (OSError, or TypeError/ValueError for data JSON cannot hold).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=indent)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _write(name: str, data: Any, folder: Path | None = None) -> str | None:
    """Write to a temporary file beside the real one, then rename it over: all or nothing."""
    try:
        write_json((folder or state_dir()) / name, data, indent=1, fsync=True)
    except (OSError, TypeError, ValueError) as exc:
        return f"could not save {name}: {getattr(exc, 'strerror', None) or exc}"
    return None


def load_history() -> tuple[list[str], str | None]:
    items, problem = _read("history.json", [])
    return [str(x) for x in items][-HISTORY_LIMIT:], problem


def save_history(items: list[str]) -> str | None:
    return _write("history.json", items[-HISTORY_LIMIT:])


def _migrate_settings(config: Path) -> str | None:
    """Move a settings file an older version kept in the state directory to the config directory."""
    old, new = state_dir() / SETTINGS, config / SETTINGS
    if old == new or new.exists() or not old.is_file():
        return None
    try:
        config.mkdir(parents=True, exist_ok=True)
        shutil.move(old, new)
    except OSError as exc:
        return f"could not move {old} to {config}: {exc.strerror or exc}"
    return None


def load_settings() -> tuple[dict[str, Any], str | None]:
    config = config_dir()
    moved = _migrate_settings(config)
    settings, problem = _read(SETTINGS, {}, config)
    return settings, problem or moved


def save_settings(settings: dict[str, Any]) -> str | None:
    return _write(SETTINGS, settings, config_dir())


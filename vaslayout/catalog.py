"""Where layouts come from: the built-in folder or a path the user gives."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from vaslayout.engine import resolve
from vaslayout.loader import LayoutError, LayoutSpec, load_file, printable
from vaslayout.model import Layout

_HERE = Path(__file__).resolve().parent


def builtin_dir() -> Path:
    """Inside an installed wheel layouts/ sits in the package; in a checkout, beside it."""
    for candidate in (_HERE / "layouts", _HERE.parent / "layouts"):
        if candidate.is_dir():
            return candidate
    raise LayoutError("the built-in layouts folder is missing from this installation")


def builtin_ids() -> list[str]:
    return sorted(p.stem for p in builtin_dir().glob("*.yaml"))


def is_path(name: str) -> bool:
    if name.endswith((".yaml", ".yml")) or "/" in name:
        return True
    try:
        return Path(name).is_file()
    except (OSError, ValueError):  # a name too long for the file system, or holding a NUL
        return False


@lru_cache(maxsize=64)
def _spec(path: str, mtime: float) -> LayoutSpec:
    return load_file(path, display=path)


def spec_for(name: str) -> LayoutSpec:
    """A built-in id or a file path -> its spec (cached while the file is unchanged)."""
    if is_path(name):
        path = Path(name)
    else:
        ids = builtin_ids()
        if name not in ids:
            hint = difflib.get_close_matches(name, ids, n=1)
            tip = f"did you mean {hint[0]!r}?" if hint else "see 'vaslayout list'"
            shown = name if len(name) <= 80 else name[:77] + "..."
            raise LayoutError(f"unknown layout {shown!r} ({tip})")
        path = builtin_dir() / f"{name}.yaml"
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise LayoutError(f"cannot read: {exc.strerror or exc}", printable(name)) from None
    except ValueError:  # os.stat refuses a NUL byte
        raise LayoutError("cannot read: the name holds a NUL byte", printable(name)) from None
    return _spec(str(path), mtime)


def load(name: str, overrides: Mapping[str, str | int] | None = None) -> Layout:
    return resolve(spec_for(name), overrides)

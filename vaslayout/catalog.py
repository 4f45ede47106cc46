"""Where layouts come from: the built-in folder or a path the user gives."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from vaslayout.core.engine import resolve
from vaslayout.core.loader import LayoutError, LayoutSpec, close_matches, load_file, printable
from vaslayout.core.model import Layout

_HERE = os.path.dirname(os.path.realpath(__file__))  # os.path, not pathlib: `show --pid` imports this


def builtin_dir() -> str:
    """Inside an installed wheel layouts/ sits in the package; in a checkout, beside it."""
    for candidate in (os.path.join(_HERE, "layouts"), os.path.join(os.path.dirname(_HERE), "layouts")):
        if os.path.isdir(candidate):
            return candidate
    raise LayoutError("the built-in layouts folder is missing from this installation")


def builtin_ids() -> list[str]:
    return sorted(n.removesuffix(".yaml") for n in os.listdir(builtin_dir()) if n.endswith(".yaml"))


def is_path(name: str) -> bool:
    # isfile is False for a name too long for the file system, or holding a NUL
    return name.endswith((".yaml", ".yml")) or "/" in name or os.path.isfile(name)


@lru_cache(maxsize=64)
def _spec(path: str, mtime: float) -> LayoutSpec:
    return load_file(path, display=path)


def spec_for(name: str) -> LayoutSpec:
    """A built-in id or a file path -> its spec (cached while the file is unchanged)."""
    if is_path(name):
        from pathlib import Path  # only for a file the user names: its path as pathlib writes it

        path = str(Path(name))
    else:
        ids = builtin_ids()
        if name not in ids:
            hint = close_matches(name, ids)
            tip = f"did you mean {hint[0]!r}?" if hint else "see 'vaslayout list'"
            shown = name if len(name) <= 80 else name[:77] + "..."
            raise LayoutError(f"unknown layout {shown!r} ({tip})")
        path = os.path.join(builtin_dir(), f"{name}.yaml")
    try:
        mtime = os.stat(path).st_mtime
    except OSError as exc:
        raise LayoutError(f"cannot read: {exc.strerror or exc}", printable(name)) from None
    except ValueError:  # os.stat refuses a NUL byte
        raise LayoutError("cannot read: the name holds a NUL byte", printable(name)) from None
    return _spec(path, mtime)


def load(name: str, overrides: Mapping[str, str | int] | None = None) -> Layout:
    return resolve(spec_for(name), overrides)

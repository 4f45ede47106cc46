"""Where layouts come from: the built-in folder or a path the user gives.

`vaslayout list` reads layouts/index.json (id, title, arch, param names and
the size of each built-in file) instead of parsing every layout; a file the
index does not know, or whose size changed, is parsed as before. `show
--pid` and `lookup --pid` take the chosen layout's param names from it too,
so with the resolved layout cached (layout_cache) they never import PyYAML.
scripts/layout_index.py writes the index and a test holds it equal to the files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:  # the loader (and PyYAML) is imported only when a layout is loaded
    from typing import Any

    from vaslayout.core.loader import LayoutSpec
    from vaslayout.core.model import Layout

INDEX = "index.json"

_HERE = os.path.dirname(os.path.realpath(__file__))  # os.path, not pathlib: `show --pid` imports this


def builtin_dir() -> str:
    """Inside an installed wheel layouts/ sits in the package; in a checkout, beside it."""
    for candidate in (os.path.join(_HERE, "layouts"), os.path.join(os.path.dirname(_HERE), "layouts")):
        if os.path.isdir(candidate):
            return candidate
    from vaslayout.core.loader import LayoutError

    raise LayoutError("the built-in layouts folder is missing from this installation")


# What a layout of each width is compared with when its file names no partners.
_DEFAULT_FOR_WIDTH = {32: "x86_32-vmsplit-3g", 64: "x86_64-4level"}


def default_for_width(bits: int) -> str:
    return _DEFAULT_FOR_WIDTH.get(bits, _DEFAULT_FOR_WIDTH[64])


def builtin_ids() -> list[str]:
    return sorted(n.removesuffix(".yaml") for n in os.listdir(builtin_dir()) if n.endswith(".yaml"))


def is_path(name: str) -> bool:
    # isfile is False for a name too long for the file system, or holding a NUL
    return name.endswith((".yaml", ".yml")) or "/" in name or os.path.isfile(name)


def find_base(name: str, directory: str) -> str | None:
    """What an `extends:` names: a file beside the layout first, then a built-in id."""
    from vaslayout.core.loader import beside

    found = beside(name, directory)
    if found is None and name in builtin_ids():
        found = os.path.join(builtin_dir(), f"{name}.yaml")
    return found


@lru_cache(maxsize=64)
def _spec(path: str, mtime: float) -> LayoutSpec:
    from vaslayout.core.loader import load_file

    return load_file(path, display=path, find_base=find_base)


def spec_for(name: str) -> LayoutSpec:
    """A built-in id or a file path -> its spec (cached while the file is unchanged)."""
    from vaslayout.core.loader import LayoutError, close_matches, printable
    from vaslayout.errors import shortened

    if is_path(name):
        from pathlib import Path  # only for a file the user names: its path as pathlib writes it

        path = str(Path(name))
    else:
        ids = builtin_ids()
        if name not in ids:
            hint = close_matches(name, ids)
            tip = f"did you mean {hint[0]!r}?" if hint else "see 'vaslayout list'"
            raise LayoutError(f"unknown layout {shortened(name, 80)!r} ({tip})")
        path = os.path.join(builtin_dir(), f"{name}.yaml")
    try:
        mtime = os.stat(path).st_mtime
    except OSError as exc:
        raise LayoutError(f"cannot read: {exc.strerror or exc}", printable(name)) from None
    except ValueError:  # os.stat refuses a NUL byte
        raise LayoutError("cannot read: the name holds a NUL byte", printable(name)) from None
    return _spec(path, mtime)


def load(name: str, overrides: Mapping[str, str | int] | None = None) -> Layout:
    """A built-in id or a file, resolved with `overrides`; built-ins come from layout_cache when they can."""
    from vaslayout import layout_cache

    builtin = not is_path(name) and name in builtin_ids()
    entry = layout_cache.key(name, overrides, builtin_dir()) if builtin else None
    if entry is not None and (cached := layout_cache.get(entry)) is not None:
        return cached
    from vaslayout.core.engine import resolve

    layout = resolve(spec_for(name), overrides)
    if entry is not None:
        layout_cache.put(entry, layout)
    return layout


def index_entries() -> list[dict[str, Any]]:
    """What the index holds, from the files themselves: id, title, arch, param names and file size, by id."""
    out: list[dict[str, Any]] = []
    for layout_id in builtin_ids():
        spec = spec_for(layout_id)
        size = os.stat(os.path.join(builtin_dir(), f"{layout_id}.yaml")).st_size
        out.append({"id": spec.id, "title": spec.title, "arch": spec.arch, "bytes": size,
                    "params": [p.name for p in spec.params]})
    return out


def write_index() -> str:
    """Write layouts/index.json from the files; returns its path."""
    import json

    path = os.path.join(builtin_dir(), INDEX)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(index_entries(), f, indent=1, ensure_ascii=False)
        f.write("\n")
    return path


def _index() -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """The index's entries by id, and the size of every built-in file now (-1: unreadable)."""
    import json

    folder = builtin_dir()
    try:
        with open(os.path.join(folder, INDEX), encoding="utf-8") as f:
            known = {e["id"]: e for e in json.load(f)}
    except (OSError, ValueError, TypeError, KeyError):
        known = {}
    sizes: dict[str, int] = {}
    for layout_id in builtin_ids():
        try:
            sizes[layout_id] = os.stat(os.path.join(folder, f"{layout_id}.yaml")).st_size
        except OSError:
            sizes[layout_id] = -1
    return known, sizes


def listing() -> list[dict[str, str | int]]:
    """id, title and arch of every built-in layout: from the index where it still fits the file, else parsed."""
    known, sizes = _index()
    out: list[dict[str, str | int]] = []
    for layout_id, size in sizes.items():
        entry = known.get(layout_id)
        if entry is None or entry.get("bytes") != size:
            spec = spec_for(layout_id)
            entry = {"id": spec.id, "title": spec.title, "arch": spec.arch, "bytes": size}
        out.append({k: entry[k] for k in ("id", "title", "arch", "bytes")})
    return out


def param_names(layout_id: str) -> frozenset[str]:
    """The params a built-in layout takes (its bases' too): from the index while every file still has
    the size the index gives (a layout may extend another), else from the parsed spec."""
    known, sizes = _index()
    names = known.get(layout_id, {}).get("params")
    fresh = all(known.get(i, {}).get("bytes") == size for i, size in sizes.items())
    if fresh and isinstance(names, list) and all(isinstance(n, str) for n in names):
        return frozenset(names)
    return frozenset(p.name for p in spec_for(layout_id).params)

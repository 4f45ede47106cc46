"""Resolved built-in layouts kept between runs, so a short command skips PyYAML and the engine.

Importing PyYAML and the loader and parsing a layout cost a `vaslayout
lookup` about half its start-up; unpickling the resolved Layout takes a
tenth of a millisecond. An entry is keyed by the layout id, the overrides,
the size and mtime of every built-in layout file (a layout may extend
another) and of the code that turns files into layouts, the version, and
the Python that pickled it (a pickle of slotted dataclasses made by one
Python unpickles into garbage in another: 3.10's state is not 3.11's), so
any edit or another interpreter misses the cache. Only built-in layouts are cached (a file the
user names is read every time), in $VASLAYOUT_CACHE_DIR or the user cache
directory; VASLAYOUT_CACHE_DIR=off turns it off. A cache that cannot be
read or written is simply not used.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import zlib
from collections.abc import Mapping

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from vaslayout.core.model import Layout

MAX_ENTRIES = 256  # distinct (layout, overrides) pairs kept; past this the folder is emptied
MAX_BYTES = 32 << 20  # an entry bigger than this is not ours
_HERE = os.path.dirname(os.path.realpath(__file__))
_CODE = ("catalog.py", "layout_cache.py")  # and every module of core/, found on disk


def cache_dir() -> str | None:
    """Where entries go; None when caching is off."""
    override = os.environ.get("VASLAYOUT_CACHE_DIR")
    if override == "off":
        return None
    if override:
        return os.path.join(override, "layouts")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "vaslayout", "layouts")


def _stamp(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return f"{path}:missing"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def key(layout_id: str, overrides: Mapping[str, str | int] | None, folder: str) -> str | None:
    """Everything the resolved layout depends on, as one text (stored in the entry and compared on load).

    None when an override has no text form (an int too long to print): such a load is not cached.
    """
    from vaslayout import __version__

    try:
        given = repr(sorted((str(k), str(v)) for k, v in (overrides or {}).items()))
    except (ValueError, TypeError):
        return None
    parts = [__version__, sys.implementation.cache_tag or sys.version, layout_id, given]
    parts += sorted(_stamp(os.path.join(folder, n)) for n in os.listdir(folder) if n.endswith(".yaml"))
    parts += [_stamp(os.path.join(_HERE, p)) for p in _CODE]
    core = os.path.join(_HERE, "core")
    parts += sorted(_stamp(os.path.join(core, n)) for n in os.listdir(core) if n.endswith(".py"))
    return "\n".join(parts)


def _file_name(key_text: str) -> str:
    """Two CRCs of the key name the file (zlib is already loaded; hashlib costs a millisecond or more)."""
    data = key_text.encode("utf-8", "surrogateescape")
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}.pickle"


def get(key_text: str) -> Layout | None:
    folder = cache_dir()
    if folder is None:
        return None
    path = os.path.join(folder, _file_name(key_text))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if st.st_uid != os.getuid() or st.st_size > MAX_BYTES or not os.path.isfile(path):
                return None  # only a plain file of our own is unpickled
            stored_key, layout = pickle.load(f)
    except Exception:  # noqa: BLE001  a damaged entry is a miss; the next save replaces it
        return None
    from vaslayout.core.model import Layout

    return layout if stored_key == key_text and isinstance(layout, Layout) else None


def put(key_text: str, layout: Layout) -> None:
    folder = cache_dir()
    if folder is None:
        return
    import tempfile

    with contextlib.suppress(OSError, pickle.PicklingError, RecursionError, TypeError, AttributeError):
        os.makedirs(folder, mode=0o700, exist_ok=True)
        entries = [n for n in os.listdir(folder) if n.endswith(".pickle")]
        if len(entries) >= MAX_ENTRIES:
            for n in entries:
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, n))
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump((key_text, layout), f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, os.path.join(folder, _file_name(key_text)))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

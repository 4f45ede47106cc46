"""`show --pid --json`: a process's mappings written straight into the layout's JSON.

A process may have 65,530 mappings. Building each as a region, then as a
dict, then encoding it costs several times what formatting its JSON
directly does, so the layout around the mappings goes the usual way
(export.layout_json) and the mappings, with the holes between them, are
formatted in place. Tests hold the text equal to json.dumps(layout_json(...)).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from vaslayout.engine import gap
from vaslayout.export import layout_json, region_json
from vaslayout.live import Placement, place, with_mappings
from vaslayout.model import Layout, Region
from vaslayout.procfs import Mapping

CHUNK = 4096  # mappings formatted, joined and handed on at a time: the memory stays small


def process_json(base: Layout, mappings: list[Mapping], pid: int, title: str) -> Iterator[str]:
    """The compact JSON of layout_json(with_mappings(base, mappings, pid, title)), in pieces."""
    p = place(base, mappings, pid)
    skeleton = with_mappings(base, [], pid, title, Placement(p.user, [], p.elsewhere))
    data = layout_json(skeleton)
    if p.user is None:
        yield json.dumps(data, separators=(",", ":"))
        return
    _find(data["regions"], p.user)["children"] = _MARK
    head, _, tail = json.dumps(data, separators=(",", ":")).partition(_MARK_JSON)
    yield head + "["
    yield from _tiled(p.user, p.inside, f"/proc/{pid}/maps")
    yield "]" + tail


_MARK = ["\x00mappings\x00"]
_MARK_JSON = json.dumps(_MARK)


def _find(regions: list[dict[str, Any]], target: Region) -> dict[str, Any]:
    for r in regions:
        if r["start"] <= target.start and target.end <= r["end"]:
            if (r["start"], r["end"], r["id"], r["name"]) == (target.start, target.end, target.id, target.name):
                return r
            return _find(r["children"], target)
    raise LookupError(target.name)


def _hole_template() -> str:
    """The engine's hole as JSON, with %d for start, end and size."""
    hole = region_json(gap(0, 1))
    hole.update(start="\x01", end="\x02", size="\x03")
    text = json.dumps(hole, separators=(",", ":")).replace("%", "%%")
    for mark in ("\x01", "\x02", "\x03"):
        text = text.replace(json.dumps(mark), "%d")
    return text


def _tiled(user: Region, mappings: list[Mapping], source: str) -> Iterator[str]:
    """tile()'s children of `user` as JSON: the mappings in order, holes between, comma-separated."""
    hole = _hole_template()
    src = json.dumps(source)
    names: dict[str, str] = {}
    encode = encode_basestring_ascii  # what json.dumps uses for str
    cursor = user.start
    out: list[str] = []
    append = out.append
    comma = ""  # before every piece but the first
    for m in mappings:
        s, e = m.start, m.end
        if s > cursor:
            append(hole % (cursor, s, s - cursor))
        name = names.get(m.path)
        if name is None:
            name = names[m.path] = encode(m.name)
        append(f'{{"name":{name},"id":null,"kind":"{m.kind}","start":{s},"end":{e},"size":{e - s},"source":{src},'
               f'"mapping":{{"name":{name},"perms":"{m.perms}","offset":{m.offset},"dev":"{m.dev}",'
               f'"inode":{m.inode}}}}}')
        cursor = e
        if len(out) >= CHUNK:
            yield comma + ",".join(out)
            out.clear()
            comma = ","
    if cursor < user.end:
        append(hole % (cursor, user.end, user.end - cursor))
    if out:
        yield comma + ",".join(out)

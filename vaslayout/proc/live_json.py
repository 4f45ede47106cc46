"""`show --pid --json`: a process's mappings written straight into the layout's JSON.

A process may have 65,530 mappings. Building each as a region, then as a
dict, then encoding it costs several times what formatting its JSON
directly does, so the layout around the mappings goes the usual way
(export.layout_json) and the mappings, with the holes between them, are
formatted in place, column by column (proc.MapsTable), in C loops: the
JSON of what a line says after its range is made once per distinct rest.
Every address and size has its "0x..." twin where vaslayout.jsonout puts
them; tests hold the text equal to jsonout.encode(jsonout.with_hex(layout_json(...))).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import compress
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from operator import gt, ne, sub

from vaslayout.core.model import Layout, Region
from vaslayout.core.tiling import gap
from vaslayout.jsonout import encode, with_hex
from vaslayout.proc.live import Placement, place_table, with_mappings
from vaslayout.proc.maps import MapsTable, following_starts
from vaslayout.teach.export import layout_json, region_json

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from typing import Any

CHUNK = 4096  # mappings formatted, joined and handed on at a time: the text is never whole in memory


def process_json(base: Layout, table: MapsTable, pid: int, title: str) -> Iterator[str]:
    """The compact JSON of layout_json(with_mappings(base, list(table), pid, title)), in pieces."""
    p = place_table(base, table, pid)
    skeleton = with_mappings(base, [], pid, title, Placement(p.user, [], p.elsewhere))
    data = layout_json(skeleton)
    if p.user is None:
        yield encode(with_hex(data))
        return
    _find(data["regions"], p.user)["children"] = _MARK
    head, _, tail = encode(with_hex(data)).partition(_MARK_JSON)
    yield head + "["
    assert isinstance(p.inside, MapsTable)
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
    """The engine's hole as JSON, with %d for start, end and size and %x for their hex twins."""
    hole = with_hex(region_json(gap(0, 1)))
    hole.update(start="\x01", end="\x02", size="\x03", start_hex="\x04", end_hex="\x05", size_hex="\x06")
    text = encode(hole).replace("%", "%%")
    for mark, spec in (("\x01", "%(start)d"), ("\x02", "%(end)d"), ("\x03", "%(size)d"),
                       ("\x04", '"%(start)#x"'), ("\x05", '"%(end)#x"'), ("\x06", '"%(size)#x"')):
        text = text.replace(json.dumps(mark), spec)
    return text


def _hole(template: str, start: int, end: int) -> str:
    return template % {"start": start, "end": end, "size": end - start}


def _tiled(user: Region, table: MapsTable, source: str) -> Iterator[str]:
    """tile()'s children of `user` as JSON: the mappings in order, holes between, comma-separated."""
    hole = _hole_template()
    src = json.dumps(source)
    before: dict[int, str] = {}  # id of a shared rest -> its line's JSON up to the start
    after: dict[int, str] = {}  # ... and after the size
    ids = list(map(id, table.rests))
    for key, r in dict(zip(ids, table.rests, strict=True)).items():
        name = encode_basestring_ascii(r.name)  # what json.dumps uses for str
        before[key] = f'{{"name":{name},"id":null,"kind":"{r.kind}","start":'
        after[key] = (f',"source":{src},"mapping":{{"name":{name},"perms":"{r.perms}","offset":{r.offset},'
                      f'"offset_hex":"{r.offset:#x}","dev":"{r.dev}","inode":{r.inode}}}}}')
    starts, ends = table.starts, table.ends
    heads = list(map(before.__getitem__, ids))
    previous = [user.start, *ends]  # where the line before each one ends
    for i in compress(range(len(starts)), map(gt, starts, previous)):
        heads[i] = _hole(hole, previous[i], starts[i]) + "," + heads[i]
    tails = list(map(after.__getitem__, ids))
    sizes = list(map(sub, ends, starts))
    size_json = {z: f'"size":{z},"size_hex":"{z:#x}"' for z in set(sizes)}
    comma = ""  # before every chunk but the first
    for lo in range(0, len(starts), CHUNK):
        yield comma + "".join(_lines(heads[lo:lo + CHUNK], starts[lo:lo + CHUNK + 1], ends[lo:lo + CHUNK],
                                     list(map(size_json.__getitem__, sizes[lo:lo + CHUNK])), tails[lo:lo + CHUNK]))
        comma = ","
    if previous[-1] < user.end:
        yield comma + _hole(hole, previous[-1], user.end)


# One mapping's JSON in pieces: its head (up to "start":), start, start hex, end, end hex, size with its
# hex, its tail; the constant pieces are here, the others come a column at a time, and a comma follows.
_LINE = ("", "", ',"start_hex":"', "", '","end":', "", ',"end_hex":"', "", '",', "", "", ",")


def _lines(heads: list[str], starts: list[int], ends: list[int], sizes: list[str], tails: list[str]) -> list[str]:
    """The JSON of len(heads) mappings, comma-separated, as pieces to join; `starts` has the next line's too.

    Numbers become text a column at a time, hex() and str() mapped over them
    (one %-format per line with six numbers cost twice as much); an end that
    is the next line's start (most are) takes that start's text.
    """
    n = len(heads)
    holes = list(compress(range(n), map(ne, ends, starts[1:])))  # a hole follows these lines
    decimal, hexes = list(map(str, starts)), list(map(hex, starts))
    pieces = list(_LINE) * n
    width = len(_LINE)
    pieces[0::width] = heads
    pieces[1::width] = decimal[:n]
    pieces[3::width] = hexes[:n]
    pieces[5::width] = following_starts(decimal[1:], n, holes, lambda i: str(ends[i]))
    pieces[7::width] = following_starts(hexes[1:], n, holes, lambda i: hex(ends[i]))
    pieces[9::width] = sizes
    pieces[10::width] = tails
    pieces.pop()  # no comma after the last
    return pieces

"""JSON as every command writes it: C-encoded, streamed, and every address also as a hex string.

jq 1.6 and JavaScript read JSON numbers as doubles, so a 64-bit address
such as 0xffffffff81234567 comes back as 0xffffffff81234800. Every key that
holds an address or a size therefore has a sibling `KEY_hex` with the same
value as a "0x..." string (lists and dicts of them too: `ram_ranges_hex`;
null where the number is null).

Compact output (the default) goes through the C encoder; json.dumps with
indent= falls back to the pure-Python one, so `--indent N` lays out the
containers here and leaves every scalar to the C encoder. Big outputs are
written a batch of items at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from typing import IO, Any

# Keys whose integers are addresses, sizes or offsets (wider than 2^53 on 64-bit layouts).
HEX_KEYS = frozenset({
    "address", "start", "end", "last", "size", "phys", "offset", "phys_start", "phys_end", "limit",
    "params", "derived", "ram_ranges", "kernel_image", "text", "kaslr_offset", "phys_base", "total_ram",
    "a", "b", "size_change", "vaddr",
})
SKIP_KEYS = frozenset({"indices"})  # page-table indices and the page offset: small, and not addresses
SUFFIX = "_hex"
CHUNK = 1024  # items encoded and written at a time

_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, check_circular=False).encode


def hexed(value: Any) -> Any:
    """The hex form of an int, or of every int in a list or dict of them (None stays None)."""
    if type(value) is int:
        return hex(value) if value >= 0 else "-" + hex(-value)
    if isinstance(value, list | tuple):
        return [hexed(v) for v in value]
    if isinstance(value, dict):
        return {k: hexed(v) for k, v in value.items()}
    return value


def _has_int(value: Any) -> bool:
    if type(value) is int:
        return True
    if isinstance(value, list | tuple):
        return any(_has_int(v) for v in value)
    if isinstance(value, dict):
        return any(_has_int(v) for v in value.values())
    return False


_NESTED = (dict, list)


def with_hex(data: Any) -> Any:
    """`data` with a KEY_hex string beside every address or size (in place for dicts and lists)."""
    if type(data) is dict:
        for key, value in data.items():
            if type(value) in _NESTED and key not in SKIP_KEYS:
                with_hex(value)
        keys = HEX_KEYS.intersection(data)
        extra = {k: hexed(v) for k in keys if (v := data[k]) is None or _has_int(v)}
        if extra:
            items = list(data.items())
            data.clear()
            for key, value in items:  # the hex string right after its number, for people reading it
                data[key] = value
                if key in extra:
                    data[key + SUFFIX] = extra[key]
    elif type(data) is list:
        for item in data:
            if type(item) in _NESTED:
                with_hex(item)
    return data


def encode(data: Any, indent: int | None = None) -> str:
    """One value as JSON text, compact or indented; the scalars always through the C encoder."""
    return _compact(data) if indent is None else _Indenter(indent).encode(data)


class _Indenter:
    """json.dumps(indent=N) without its pure-Python encoder: containers laid out here, the rest in C."""

    def __init__(self, indent: int) -> None:
        self.step = " " * indent

    def encode(self, value: Any, depth: int = 0) -> str:
        if isinstance(value, dict) and value:
            inner = "\n" + self.step * (depth + 1)
            parts = [_compact(k if isinstance(k, str) else str(k)) + ": " + self.encode(v, depth + 1)
                     for k, v in value.items()]
        elif isinstance(value, list | tuple) and value:
            inner = "\n" + self.step * (depth + 1)
            parts = [self.encode(v, depth + 1) for v in value]
        else:
            return _compact(value)
        opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
        return opening + inner + ("," + inner).join(parts) + "\n" + self.step * depth + closing


def dump(data: Any, out: IO[str], indent: int | None = None) -> None:
    """One command's JSON value, hex strings added, and a newline."""
    out.write(encode(with_hex(data), indent) + "\n")


class Text(str):
    """An item already encoded as compact JSON, hex strings in: dump_batches writes it as it is."""


def dump_batches(batches: Iterable[list[Any]], out: IO[str], indent: int | None = None) -> None:
    """A JSON array written a batch of items at a time, one item a line (compact) or indented.

    Memory stays bounded by a batch however many items come, and each batch
    is flushed, so a reader at the end of a pipe gets answers as they are made.
    """
    sep = "\n" if indent is None else "\n" + " " * indent
    first = True
    out.write("[")
    for batch in batches:
        if not batch:
            continue
        texts = [(item if indent is None else encode(json.loads(item), indent)) if type(item) is Text
                 else encode(with_hex(item), indent) for item in batch]
        if indent is not None:
            texts = [t.replace("\n", sep) for t in texts]
        out.write(("," if not first else "") + sep + ("," + sep).join(texts))
        first = False
        out.flush()
    out.write("]\n" if first else "\n]\n")


def chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """Lists of up to `size` items, for writers that stream."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk

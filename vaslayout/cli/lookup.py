"""`vaslayout lookup`: addresses from the command line or stdin (`-`), answered as fast as they translate.

Addresses are answered a batch at a time: all the arguments at once, or
whatever stdin holds when it is read (a pipe of 10,000 lines comes in a few
reads, a person typing gets each answer after each line). Each batch is
written and flushed before the next is read, so memory stays bounded and
a reader at the other end of a pipe sees answers as they are made.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator

from vaslayout.cli import output
from vaslayout.cli.common import UsageError, load_target
from vaslayout.errors import UserError

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from typing import IO, Any

STDIN = "-"
READ_SIZE = 1 << 16  # bytes of stdin read at a time: about 3,000 addresses
RICH_MAX_ANSWERS = 16  # more answers than this are written as plain text even to a terminal


_BLANKS = " \t\n\r\x0b\x0c"  # what bytes.strip() strips: a line of other spaces is an address to read


def _stdin_batches(stream: IO[bytes]) -> Iterator[list[tuple[int, str]]]:
    """Batches of (line number, text) from stdin: one address a line; blank lines and # comments skipped."""
    read = getattr(stream, "read1", stream.read)
    pending = b""
    number = 0
    while True:
        data = read(READ_SIZE)
        if not data:
            break
        data = pending + data
        cut = data.rfind(b"\n") + 1  # whole lines are decoded at once; "\n" is never inside a UTF-8 sequence
        pending = data[cut:]
        lines = data[:cut].decode("utf-8", "replace").split("\n")[:-1]
        batch = []
        for i, line in enumerate(lines, number + 1):
            text = line.strip(_BLANKS)
            if text and not text.startswith("#"):
                batch.append((i, text))
        number += len(lines)
        yield batch
    text = pending.decode("utf-8", "replace").strip(_BLANKS)
    if text and not text.startswith("#"):
        yield [(number + 1, text)]


def address_batches(addresses: list[str]) -> Iterator[list[tuple[int, str]]]:
    """The command line's addresses as one batch (line 0); `-` among them is stdin's lines, batch by batch."""
    batch: list[tuple[int, str]] = []
    for text in addresses:
        if text != STDIN:
            batch.append((0, text))
            continue
        if batch:
            yield batch
            batch = []
        stdin = sys.stdin
        if stdin is None:
            raise UsageError("lookup -: there is no standard input to read addresses from")
        yield from _stdin_batches(stdin.buffer if hasattr(stdin, "buffer") else stdin)
    if batch:
        yield batch


def read_around(args: argparse.Namespace) -> tuple[Any, int]:
    """--pid: the process's layout as proc.live.Around, holding only the mappings asked about.

    The maps are read as `show --pid` reads them (cli.live): by column, the
    kernel writing them out while the modules an answer needs are imported.
    """
    from vaslayout.cli.live import _read_process

    pid, table, base, title = _read_process(args, "vaslayout.proc.live", "vaslayout.core.translate", "vaslayout.rows",
                                            "vaslayout.plain")
    from vaslayout.proc import live

    return live.Around(base, table, pid, title), pid


class Answers:
    """Translate batches of address texts for one layout (and one live process)."""

    def __init__(self, args: argparse.Namespace) -> None:
        from vaslayout.core.translate import layout_names

        if (args.pid is not None or args.capture is not None) and args.layout:  # `lookup --pid self ADDR`: an address
            args.addresses.insert(0, args.layout)
            args.layout = None
        self.around = None
        if args.pid is not None and args.capture is None and not args.layout:
            self.around, self.pid = read_around(args)  # a live process: only the mappings the answers need
            self.layout = self.around.layout
        else:
            self.layout, self.pid = load_target(args)
        if not args.addresses and not args.phys:
            raise UsageError("lookup needs at least one address, '-' to read them from stdin, or --phys PADDR")
        self.decimal = args.dec
        self.names = layout_names(self.layout)

    def parse(self, text: str, bits: int) -> int:
        from vaslayout.core.translate import parse_address

        return parse_address(text, bits, decimal=self.decimal, names=self.names)

    def virtual(self, batches: Iterable[list[tuple[int, str]]]) -> Iterator[list[Any]]:
        """Each batch translated; at a bad address, the answers before it and then the error."""
        from vaslayout.core.translate import AddressError, parse_address, translations

        layout, bits, decimal, names = self.layout, self.layout.address_bits, self.decimal, self.names
        for batch in batches:
            addresses: list[int] = []
            bad: UserError | None = None
            try:
                for _, text in batch:
                    addresses.append(parse_address(text, bits, decimal=decimal, names=names))
            except AddressError as exc:  # what came before the bad line is answered, then the error is reported
                line = batch[len(addresses)][0]
                bad = AddressError(f"<stdin>:{line}: {exc}") if line else exc
            if self.around is not None:
                layout = self.layout = self.around.at(addresses)
            results: list[Any] = []
            try:
                results.extend(translations(layout, addresses))
            except UserError:
                yield results
                raise
            yield results
            if bad is not None:
                raise bad

    def physical(self, texts: list[str]) -> list[Any]:
        from vaslayout.core.translate import phys_lookup

        pbits = self.layout.physical_bits or self.layout.address_bits
        return [phys_lookup(self.layout, self.parse(text, pbits)) for text in texts]

    def pages(self, results: list[Any]) -> dict[int, Any]:
        """pagemap entries for the addresses that fall in one of the process's own mappings."""
        if self.pid is None:
            return {}
        from vaslayout import proc
        from vaslayout.core.translate import Translation

        wanted = [r.address for r in results
                  if isinstance(r, Translation) and r.region is not None and r.region.mapping is not None
                  and r.region.kind != "vsyscall"]
        return {p.vaddr: p for p in proc.read_pagemap(self.pid, wanted)} if wanted else {}

    def with_pages(self, results: list[Any]) -> tuple[list[Any], dict[int, Any]]:
        """The results with the process's own page as phys where pagemap gives it, and the pages."""
        pages = self.pages(results)
        if not pages:
            return results, pages
        from vaslayout.core.translate import Translation, with_page

        return [with_page(self.layout, r, pages.get(r.address), self.pid) if isinstance(r, Translation) else r
                for r in results], pages


def answer_rows(answers: Answers, result: Any, pages: dict[int, Any]) -> list[list[Any]]:
    """The row groups of one answer: the translation, and for a live process its mapping and page."""
    from vaslayout import rows
    from vaslayout.core.translate import Translation

    if not isinstance(result, Translation):
        return [rows.phys_rows(answers.layout, result)]
    groups = [rows.translation_rows(answers.layout, result)]
    if answers.pid is not None:
        groups.append(rows.live_rows(result.region, pages.get(result.address)))
    return groups


def _json_items(answers: Answers, batches: Iterable[list[Any]], indent: int | None) -> Iterator[list[Any]]:
    from vaslayout.core.translate import Translation

    text = TranslationText(answers.layout) if answers.pid is None and indent is None else None
    for results in batches:
        if text is not None:
            from vaslayout.jsonout import Text

            yield [Text(text(r)) if type(r) is Translation else r.to_json() for r in results]
            continue
        results, pages = answers.with_pages(results)
        out = []
        for r in results:
            d = r.to_json()
            if answers.pid is not None and isinstance(r, Translation):
                from vaslayout.teach.export import mapping_json, page_json

                d["mapping"] = mapping_json(r.region)
                d["page"] = page_json(pages.get(r.address))
            out.append(d)
        yield out


def _text(answers: Answers, batches: Iterable[list[Any]], width: int | None) -> Iterator[str]:
    """Each batch's answers as plain text, a blank line between answers."""
    from vaslayout.core.translate import Translation
    from vaslayout.plain import TranslationLines, row_lines
    from vaslayout.rows import translation_rows

    layout, live = answers.layout, answers.pid is not None
    fast = TranslationLines(layout) if width is None and not live else None
    first = True
    for results in batches:
        results, pages = answers.with_pages(results) if live else (results, {})
        lines: list[str] = []
        for r in results:
            if not first:
                lines.append("")
            first = False
            if fast is not None and type(r) is Translation:  # the common case: a pipe
                lines += fast(r)
                continue
            if not live and type(r) is Translation:  # without a list of groups
                lines += row_lines(translation_rows(layout, r), width)
                continue
            for group in answer_rows(answers, r, pages):
                lines += row_lines(group, width)
        if lines:
            yield "\n".join(lines) + "\n"


def _rich(answers: Answers, results: list[Any]) -> None:
    from vaslayout.render import rows_view

    console = output.console()
    results, pages = answers.with_pages(results)
    for i, r in enumerate(results):
        if i:
            console.print()
        for group in answer_rows(answers, r, pages):
            console.print(rows_view(group))


def cmd_lookup(args: argparse.Namespace) -> int:
    answers = Answers(args)
    batches: Iterable[list[Any]] = answers.virtual(address_batches(args.addresses))
    if args.phys:
        batches = (*batches, answers.physical(args.phys))
    if args.json:
        from vaslayout import jsonout

        jsonout.dump_batches(_json_items(answers, batches, args.indent), sys.stdout, args.indent)
        return 0
    count = len(args.addresses) + len(args.phys)
    if STDIN not in args.addresses and count <= RICH_MAX_ANSWERS and output.interactive():
        _rich(answers, [r for batch in batches for r in batch])
        return 0
    width = output.terminal_width()
    for text in _text(answers, batches, width):
        sys.stdout.write(text)
        sys.stdout.flush()
    return 0


def add_parsers(sub: Any) -> None:
    """Register `lookup` (cli.layouts registers it among its own commands, for --help's order)."""
    from vaslayout.cli.common import add_indent, with_layout

    p = sub.add_parser("lookup", help="what is at these addresses?")
    with_layout(p)
    p.add_argument("addresses", nargs="*", metavar="ADDR",
                   help="hex (0x optional), K..E suffixes, or an expression over the layout's names; "
                        "'-' reads more from standard input, one a line")
    p.add_argument("--phys", nargs="+", metavar="PADDR", default=[],
                   help="physical addresses: list their virtual aliases")
    p.add_argument("--dec", action="store_true", help="plain numbers are decimal, not hex")
    p.add_argument("--json", action="store_true", help="a JSON array, one answer a line (see --indent)")
    add_indent(p)
    p.set_defaults(func=cmd_lookup)


_HALVES = {half: f'"{half}"' for half in ("user", "kernel", "non-canonical")}  # Translation.half as JSON


class TranslationText:
    """`jsonout.encode(jsonout.with_hex(t.to_json()))` for a layout's translations, written by hand.

    A batch of 10,000 lookups spends more on laying out dicts and encoding
    them than on translating; here each answer is one %-format. What depends
    only on the leaf (its region and path) is encoded once per leaf, what
    depends on a few values (the assumption) once per value, and the
    page-table indices, whose names are the layout's, go into the format
    itself; the KASAN decode, where there is one, goes the usual way.
    tests/test_lookup_cli.py holds the text equal to the usual way's.
    """

    def __init__(self, layout: Any) -> None:
        from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]

        from vaslayout import jsonout

        self.jsonout = jsonout
        self.string = encode_basestring_ascii
        self.leaves: dict[int, tuple[Any, str]] = {}  # id(leaf) -> (leaf, '"region":{...},"path":[...]')
        self.assumptions: dict[tuple[str, int, bool], str] = {}
        names = tuple(layout.paging.indices(0))  # every translation of the layout has these, in this order
        self.format = (
            '{"address":%d,"address_hex":"%s","canonical":%s,"half":%s,%s,"offset":%s,"offset_hex":%s,"indices":{'
            + ",".join(f"{encode_basestring_ascii(name)}:%d" for name in names)
            + '},"phys":%s,"phys_hex":%s,"phys_source":%s,"ram_covered":%s,"assumption":%s,"kasan":%s,"tag":%s,'
            '"explanation":%s}')

    def _value(self, value: Any) -> str:
        return self.jsonout.encode(self.jsonout.with_hex(value))

    def _where(self, t: Any) -> str:
        leaf = t.region
        known = self.leaves.get(id(leaf))
        if known is None or known[0] is not leaf:
            region = None if leaf is None else {"name": leaf.name, "id": leaf.id, "kind": leaf.kind,
                                                "start": leaf.start, "end": leaf.end}
            known = (leaf, f'"region":{self._value(region)},"path":{self._value([r.name for r in t.path])}')
            self.leaves[id(leaf)] = known
        return known[1]

    def _assumption(self, a: Any) -> str:
        if a is None:
            return "null"
        key = (a.param, a.value, a.is_default)
        text = self.assumptions.get(key)
        if text is None:
            text = self.assumptions[key] = self._value(a.to_json())
        return text

    def __call__(self, t: Any) -> str:
        # hex() writes an int as jsonout.hexed does, a negative one included
        offset, phys, covered = t.offset, t.phys, t.ram_covered
        return self.format % (
            t.address, hex(t.address), "true" if t.canonical else "false", _HALVES[t.half], self._where(t),
            "null" if offset is None else offset, "null" if offset is None else f'"{hex(offset)}"',
            *t.indices.values(), "null" if phys is None else phys,
            "null" if phys is None else f'"{hex(phys)}"',
            "null" if t.phys_source is None else self.string(t.phys_source),
            "null" if covered is None else "true" if covered else "false", self._assumption(t.assumption),
            "null" if t.kasan is None else self._value(t.kasan.to_json()), "null" if t.tag is None else t.tag,
            self.string(t.explanation))

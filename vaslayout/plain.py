"""Plain text output: rows and tables as lines without styles or trailing spaces. No rich.

The formatter for pipes, for big outputs (rich lays out a table by measuring
every cell, 0.3 ms a row) and for other modules that want an answer as
text: `answer_lines(rows.translation_rows(layout, t))` is the text of
`vaslayout lookup` for one address, as the terminal shows it without colour.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from vaslayout.core.model import Layout
from vaslayout.core.translate import Translation
from vaslayout.core.units import fmt_addr
from vaslayout.rows import LAYOUT_COLUMNS, Row, address_fields_text, layout_rows, param_text, phys_pieces

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from typing import Any

GAP = 2  # spaces between columns, as rich's grids and tables put them


_LEADS: dict[tuple[str, int, int], str] = {}


def row_lines(rows: Sequence[Row], width: int | None = None, gap: int = GAP) -> list[str]:
    """Labels on the left, each value's lines under its first; wrapped to `width` if given."""
    label_width = max([len(label) for label, _ in rows], default=0)
    indent = " " * (label_width + gap)
    out: list[str] = []
    leads = _LEADS
    for label, pieces in rows:
        text = "".join([p[0] for p in pieces])
        first = leads.get((label, label_width, gap))
        if first is None:
            first = label.ljust(label_width) + " " * gap if label or label_width else ""
            leads[(label, label_width, gap)] = first
        if width is None and "\n" not in text:
            out.append((first + text).rstrip())
            continue
        for line in text.split("\n"):
            if width is not None and len(first) + len(line) > width and width > len(indent) + 10:
                import textwrap  # only for a terminal narrower than the line: a pipe has no width

                wrapped = textwrap.wrap(line, width - len(indent), break_on_hyphens=False) or [""]
                out.append((first + wrapped[0]).rstrip())
                out.extend((indent + w).rstrip() for w in wrapped[1:])
            else:
                out.append((first + line).rstrip())
            first = indent
    return out


class TranslationLines:
    """`row_lines(rows.translation_rows(layout, t))` for a layout's translations (no width), written directly.

    A batch of 10,000 lookups spent more on rows of pieces than on
    translating. The lines are made here from the same words (the bit fields
    and phys from rows), each leaf's "region" line without its offset once.
    tests/test_lookup_cli.py holds them equal to row_lines(translation_rows(...)).
    """

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.leaves: dict[int, tuple[Any, str]] = {}  # id(leaf) -> (leaf, its "region" line up to the offset)
        labels = ("address", "region", "canonical", "bits", "phys", "kasan")
        self.indent = " " * (max(map(len, labels)) + GAP)
        self.lead = {label: label.ljust(len(self.indent) - GAP) + " " * GAP for label in labels}

    def _region(self, t: Translation) -> str:
        leaf = t.region
        known = self.leaves.get(id(leaf))
        if known is None or known[0] is not leaf:
            bits = self.layout.address_bits
            names = " > ".join(r.name for r in t.path)
            known = (leaf, f"{self.lead['region']}{names}  [{fmt_addr(leaf.start, bits)}-{fmt_addr(leaf.last, bits)}]")
            self.leaves[id(leaf)] = known
        return known[1] + f"  +{t.offset:#x}" if t.offset else known[1]

    def _add(self, out: list[str], lead: str, text: str) -> None:
        if "\n" not in text:
            out.append((lead + text).rstrip())
            return
        first, *rest = text.split("\n")
        out.append((lead + first).rstrip())
        out.extend([(self.indent + line).rstrip() for line in rest])

    def __call__(self, t: Translation) -> list[str]:
        layout = self.layout
        lead = self.lead
        out = [f"{lead['address']}{fmt_addr(t.address, layout.address_bits)}"]
        if t.region is not None:
            out.append(self._region(t).rstrip())
        out.append((f"{lead['canonical']}yes  {t.half} half" if t.canonical
                    else f"{lead['canonical']}no: {layout.paging.fault_name}").rstrip())
        self._add(out, lead["bits"], address_fields_text(layout, t.address, not t.canonical))
        out.append((lead["phys"] + "".join([p[0] for p in phys_pieces(layout, t)])).rstrip())
        if t.kasan is not None and t.kasan.line:
            self._add(out, lead["kasan"], t.kasan.line)
        self._add(out, self.indent, t.explanation)
        return out


def answer_text(rows: Sequence[Row], width: int | None = None) -> str:
    """One answer as text, ending in a newline."""
    return "\n".join(row_lines(rows, width)) + "\n"


def table_lines(header: Sequence[str], rows: Iterable[Sequence[str]], right: Sequence[int] = (),
                gap: int = GAP) -> list[str]:
    """Columns as wide as their widest cell, `right` ones right-justified, no trailing spaces."""
    body = [list(r) for r in rows]
    widths = [len(h) for h in header]
    for r in body:
        for i, cell in enumerate(r):
            if len(cell) > widths[i]:
                widths[i] = len(cell)
    sep = " " * gap
    out = []
    for r in (list(header), *body):
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        out.append(sep.join(cells).rstrip())
    return out


def layout_lines(layout: Layout, depth: int | None = None) -> list[str]:
    """`show LAYOUT` as plain lines: the header, the rows, the derived values and the sources."""
    lines = [f"{layout.title}  [{layout.id}]"]
    if layout.summary:
        lines += layout.summary.strip().split("\n")
    if layout.params:
        params = []
        for p in layout.params.values():
            text = f"{p.name}={param_text(p.name, p.value)}"
            if p.choice:
                text += f" ({p.choice})"
            if p.value != p.default:
                text += " *"
            params.append(text)
        lines.append("params: " + ", ".join(params))
    lines.append("")
    lines += table_lines(LAYOUT_COLUMNS, (r[:5] for r in layout_rows(layout, depth)), right=(2,))
    if layout.derived:
        lines.append("")
        lines += table_lines(("derived", "value", "meaning"),
                             ((d.name, param_text(d.name, d.value), d.description) for d in layout.derived.values()))
    if layout.sources:
        lines += ["", "sources " + ", ".join(f"{s.repo} {s.file}" for s in layout.sources)]
    return lines

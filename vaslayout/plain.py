"""Plain text output: rows and tables as lines without styles or trailing spaces. No rich.

The formatter for pipes, for big outputs (rich lays out a table by measuring
every cell, 0.3 ms a row) and for other modules that want an answer as
text: `answer_lines(rows.translation_rows(layout, t))` is the text of
`vaslayout lookup` for one address, as the terminal shows it without colour.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from vaslayout.core.model import Layout
from vaslayout.rows import LAYOUT_COLUMNS, Row, layout_rows, param_text

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

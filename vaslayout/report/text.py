"""The readable form of an explanation: the report's own lines, each address annotated under it.

Plain strings (no rich): a pasted 50 MB log must print as fast as it reads.
"""

from __future__ import annotations

from collections.abc import Iterator

from vaslayout.report import Explanation
from vaslayout.report.explain import Explained, ExplainedReport

_WIDTH = 160  # a report line is shown up to this many characters


def worth_showing(e: Explained) -> bool:
    """Small register values are counts and flags: shown only when something links them."""
    return e.address >= 0x10000 or e.role in ("fault", "cr2") or bool(e.links or e.names or e.kasan)


def short(e: Explained, digits: int) -> str:
    """One line on an address: role, canonical form and region, KASAN, names and links."""
    parts = [", ".join(e.roles)]
    if not e.canonical:
        parts.append("non-canonical")
    elif e.region is not None and e.region.kind:
        phys = f", phys 0x{e.region.phys:x}" if e.region.phys is not None else ""
        parts.append(f"{e.half}: {e.region.name} ({e.region.kind}{phys})")
        if e.region.kind == "vmemmap" and e.region.why:
            parts.append(e.region.why.split(": ", 1)[-1].rstrip("."))  # which page frame the struct page describes
    elif e.region is not None and e.region.candidates:
        parts.append(f"{e.half}: {' or '.join(e.region.candidates)} (bases unknown)")
    else:
        parts.append(f"{e.half}: region unknown (no layout for this kernel)")
    if e.kasan is not None:
        k = e.kasan
        verdict = {True: "= the kernel's line", False: "differs from the kernel's line", None: ""}[k.matches]
        parts.append(f"KASAN: {k.line.bug} in [0x{k.line.start:x}-0x{k.line.end:x}] {verdict}".rstrip())
    if e.shadow_of is not None:
        parts.append(f"KASAN shadow of 0x{e.shadow_of:0{digits}x}")
    parts += e.remarks + e.names + e.links
    return "; ".join(parts)


def _header(rep: ExplainedReport, index: int, count: int) -> Iterator[str]:
    ev = rep.evidence
    first = rep.chunk.first.number
    last = rep.lines[-1].number if rep.lines else first
    thread = f", thread {rep.chunk.first.thread}" if rep.chunk.first.thread else ""
    yield f"== Report {index + 1} of {count}: {rep.facts.title[:120]}"
    yield f"   lines {first}-{last}{thread}"
    kasan = (f"KASAN {ev.kasan.mode}, shadow offset 0x{ev.kasan.offset:016x} (scale shift {ev.kasan.scale_shift})"
             if ev.kasan else "no KASAN")
    layout = ev.layout_id or "none fits"
    sets = " ".join(f"{k}={v}" for k, v in ev.overrides.items())
    yield f"   layout {layout}{' (' + sets + ')' if sets else ''}; kernel {rep.facts.version or 'unknown'}; {kasan}"
    yield "   evidence:"
    for c in ev.clues:
        yield f"     - {c.text}" + (f" (line {c.line})" if c.line else "")
    if ev.bases:
        yield "   KASLR bases:"
        for b in ev.bases:
            value = f"0x{b.value:016x}" if b.value is not None else "unknown"
            yield f"     - {b.name}: {value}: {b.how}"
    yield ""


def _body(rep: ExplainedReport) -> Iterator[str]:
    digits = rep.digits
    at_line: dict[int, list[Explained]] = {}
    for e in rep.addresses:
        if worth_showing(e):
            at_line.setdefault(e.found.line, []).append(e)
    width = len(str(rep.lines[-1].number)) if rep.lines else 1
    for line in rep.lines:
        shown = line.raw[:_WIDTH] + (" ..." if len(line.raw) > _WIDTH or line.cut else "")
        yield f"{line.number:>{width}} | {shown}"
        for e in sorted(at_line.get(line.number, ()), key=lambda x: x.found.column):
            col = min(e.found.column, _WIDTH)
            yield f"{'':>{width}} | {' ' * col}^ {short(e, digits)}"


def _summary(rep: ExplainedReport) -> Iterator[str]:
    digits = rep.digits
    rows = [("address", "role", "canon", "region", "KASAN / note")]
    for e in rep.addresses:
        if not worth_showing(e):
            continue
        if e.region is not None and e.region.kind:
            region = e.region.kind
        elif e.region is not None and e.region.candidates:
            region = "/".join(e.region.candidates) + "?"
        else:
            region = "-"
        if not e.canonical:
            region = "non-canonical"
        if e.kasan is not None:
            k = e.kasan
            tick = {True: " (= kernel)", False: " (differs)", None: ""}[k.matches]
            extra = f"{k.line.bug} [0x{k.line.start:x}-0x{k.line.end:x}]{tick}"
        elif e.shadow_of is not None:
            extra = f"shadow of 0x{e.shadow_of:0{digits}x}"
        else:
            extra = "; ".join(e.remarks + e.names + e.links)
        rows.append((f"0x{e.address:0{digits}x}", e.role, "yes" if e.canonical else "no", region, extra[:100]))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    yield "   summary:"
    for r in rows:
        yield ("     " + "  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4]).rstrip()


def render(explanation: Explanation) -> Iterator[str]:
    """The whole readable output, line by line."""
    reports = explanation.reports
    for i, rep in enumerate(reports):
        if i:
            yield ""
        yield from _header(rep, i, len(reports))
        yield from _body(rep)
        yield ""
        yield from _summary(rep)
    sp = explanation.split
    if sp.reports_skipped:
        yield f"({sp.reports_skipped} more oopses in the input were not explained)"
    if sp.lines_cut:
        yield f"({sp.lines_cut} lines were longer than the reader's limit and were read only in part)"
    if explanation.cut_input:
        yield "(the input was cut at 64 Mi characters)"

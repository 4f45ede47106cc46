"""A crash report as a tour: one stop per address, so the map can step through them with n / p.

The map already plays tours (layout, params, cursor, caption per step); a
report's addresses become its steps, each captioned with what `explain`
says of it. Pure: builds teach.tours data, draws nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaslayout.report import Explanation, ReportError
from vaslayout.report.explain import Explained, ExplainedReport
from vaslayout.report.text import short, worth_showing
from vaslayout.teach.tours import MAX_STEPS, Step, Tour


@dataclass(frozen=True)
class Mark:
    """One report address drawn on the map: where, its role, and the step that stops there."""

    address: int
    role: str
    step: int


@dataclass(frozen=True)
class ReportTour(Tour):
    """A report's tour, which also knows every address's role, so the map can mark them all at once."""

    marks: tuple[Mark, ...] = ()

    def marks_at(self, index: int) -> tuple[Mark, ...]:
        """The marks that belong on step `index`'s map: the steps shown on the same layout and params."""
        here = self.steps[index]
        return tuple(m for m in self.marks
                     if self.steps[m.step].layout == here.layout and self.steps[m.step].params == here.params)


def _caption(rep: ExplainedReport, e: Explained) -> str:
    line = next((ln for ln in rep.lines if ln.number == e.found.line), None)
    quoted = line.body.strip()[:100] if line else ""
    return f"`{quoted}`\n\n{short(e, rep.digits)}" if quoted else short(e, rep.digits)


def report_steps(rep: ExplainedReport, only: int | None = None) -> list[Step]:
    """The report's addresses worth a stop (or only the one at value `only`), as tour steps."""
    ev = rep.evidence
    if ev.layout_id is None:
        raise ReportError(f"no layout of this tool fits the report's kernel ({rep.facts.version}); "
                          "give one with --layout")
    steps = []
    for e in rep.addresses:
        if (only is not None and e.address != only) or (only is None and not worth_showing(e)):
            continue
        steps.append(Step(title=f"{e.role}: 0x{e.address:0{rep.digits}x}", layout=ev.layout_id,
                          params=dict(ev.overrides), address=f"0x{e.address:x}", caption=_caption(rep, e)))
    return steps


def report_tour(explanation: Explanation, name: str) -> ReportTour:
    """Every report of the input, address after address (at most MAX_STEPS stops)."""
    steps: list[Step] = []
    roles: list[str] = []
    for rep in explanation.reports:
        steps += report_steps(rep)
        roles += [e.role for e in rep.addresses if worth_showing(e)]
    if not steps:
        raise ReportError(f"{name}: no address in the report to show on the map")
    first = explanation.reports[0]
    steps = steps[:MAX_STEPS]
    pairs = enumerate(zip(steps, roles, strict=False))
    marks = tuple(Mark(int(s.address or "0", 16), role, i) for i, (s, role) in pairs)
    return ReportTour(id="report", title=f"{name}: {first.facts.title[:80]}", summary="", steps=tuple(steps),
                      origin=name, marks=marks)


def report_fields(path: str, layout: str, params: dict[str, str], address: str | None,
                  caption: str) -> tuple[str, dict[str, str], str, str]:
    """A tour step's `report: FILE`: (layout, params, address, caption) with the report's evidence.

    The step's own layout and params win; without an address the stop is
    the report's fault address. The explanation of that address is added
    under the teacher's caption.
    """
    from vaslayout.report import explain_text, layout_loader

    try:
        with open(path, "rb") as f:
            text = f.read(64 << 20).decode("utf-8", errors="replace")
    except OSError as exc:
        raise ReportError(f"cannot read the report {path}: {exc.strerror or exc}") from None
    explanation = explain_text(text, layout_loader(), name=path, layout=layout or None)
    rep = explanation.reports[0]
    value = int(address, 16) if address and _is_hex(address) else None
    chosen = next((e for e in rep.addresses if e.address == value), None) if value is not None else \
        next((e for e in rep.addresses if e.role == "fault"), rep.addresses[0])
    if rep.evidence.layout_id is None:
        raise ReportError(f"{path}: no layout of this tool fits the report's kernel; give the step a layout")
    merged = {**rep.evidence.overrides, **params}
    if chosen is not None:
        caption = f"{caption}\n\n{_caption(rep, chosen)}"
    return rep.evidence.layout_id, merged, address or f"0x{chosen.address:x}", caption


def _is_hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True

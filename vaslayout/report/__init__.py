"""Crash reports: find the oopses in a log and explain every address in them.

Pure: no Textual, no rich, no I/O beyond what the caller hands in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vaslayout.core.model import Layout
from vaslayout.errors import UserError
from vaslayout.report.explain import ExplainedReport, explain_chunk, inherit
from vaslayout.report.parse import Split, split
from vaslayout.report.scan import scan

MAX_INPUT = 64 << 20  # characters read from one input; a longer log is cut there (and said so)


class ReportError(UserError):
    """Input that holds no crash report: str() is the one line to print."""


@dataclass
class Explanation:
    reports: list[ExplainedReport]
    split: Split
    cut_input: bool  # the input was longer than MAX_INPUT


def layout_loader() -> Callable[[str, dict[str, str]], Layout]:
    """Built-in layouts (or a layout file) by id and overrides, each resolved once."""
    from vaslayout import catalog

    cache: dict[tuple[str, tuple[tuple[str, str], ...]], Layout] = {}

    def load(layout_id: str, overrides: dict[str, str]) -> Layout:
        key = (layout_id, tuple(sorted(overrides.items())))
        if key not in cache:
            cache[key] = catalog.load(layout_id, overrides)
        return cache[key]

    return load


def to_json(explanation: Explanation, name: str) -> dict[str, object]:
    """The --json document: one object per oops, and what was left unread."""
    sp = explanation.split
    return {"input": name, "lines": sp.lines_total, "lines_cut": sp.lines_cut,
            "reports_not_explained": sp.reports_skipped, "input_cut": explanation.cut_input,
            "reports": [r.to_json(i) for i, r in enumerate(explanation.reports)]}


def looks_binary(text: str) -> bool:
    """Many control characters in the first 64 KiB: not a log."""
    head = text[:65536]
    if not head:
        return False
    bad = sum(1 for ch in head if ch < " " and ch not in "\n\r\t\f\x1b") + head.count("\ufffd")
    return bad > len(head) // 20


def explain_text(text: str, layout_for: Callable[[str, dict[str, str]], Layout], *, name: str = "input",
                 layout: str | None = None, sets: dict[str, str] | None = None) -> Explanation:
    """Every oops in text, explained. Raises ReportError when there is nothing to explain."""
    cut = len(text) > MAX_INPUT
    if cut:
        text = text[:MAX_INPUT]
    if not text.strip():
        raise ReportError(f"{name}: empty input, no crash report to explain")
    if looks_binary(text):
        raise ReportError(f"{name}: binary data, not a kernel log")
    sp = split(text)
    if not sp.chunks:
        raise ReportError(f"{name}: no crash report found (no oops, page fault, #GP or register dump lines)")
    scanned = [scan(c) for c in sp.chunks]
    all_facts = [facts for _, facts in scanned]
    for facts in all_facts:
        inherit(facts, all_facts)
    reports = [explain_chunk(c, layout_for, layout, s, sets) for c, s in zip(sp.chunks, scanned, strict=True)]
    if not any(r.addresses for r in reports):
        raise ReportError(f"{name}: {len(reports)} oops line(s) but no addresses in them to explain")
    reports = [r for r in reports if r.addresses]  # a line that only quotes an oops's words
    return Explanation(reports, sp, cut)

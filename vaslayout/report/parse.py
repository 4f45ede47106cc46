"""Read a kernel log the way people paste it, and find the oopses and their addresses.

Real logs carry dmesg timestamps, syzkaller caller ids ("[ T1234]"), syslog or
journal prefixes and mail quoting; other CPUs' lines interleave; one log may
hold several oopses. The whole text is scanned once for the lines that start
an oops (a C-level regex search, so a 50 MB log costs well under a second);
only a bounded window after each start is read line by line, and a line is
read no further than MAX_LINE characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_LINE = 4096  # characters of a line that are read; the rest is ignored (and said so)
MAX_REPORT_LINES = 400  # lines after an oops's first line that may still belong to it
MAX_REPORTS = 50  # oopses explained per input; more are counted, not explained

# Lines that open an oops. "Oops:" and "Internal error:" only open one when no
# other start came just before them in the same thread (they follow the first line).
_PRIMARY = (r"general protection fault|BUG: unable to handle|BUG: kernel NULL pointer dereference"
            r"|Unable to handle kernel |BUG: KASAN: |kernel BUG at |WARNING: CPU: \d+ PID: ")
_SECONDARY = r"Internal error: Oops|\bOops: [0-9a-f]{4}"
START = re.compile(rf"(?:{_PRIMARY})|(?P<second>{_SECONDARY})")
_END = re.compile(r"---\[ end trace|Kernel panic - not syncing|---\[ end Kernel panic")

_PREFIX = re.compile(
    r"(?:\s*>)+ ?"  # mail quoting
    r"|<\d>"  # printk level
    r"|[A-Z][a-z]{2} [ 0-3]\d \d\d:\d\d:\d\d \S+ kernel: "  # syslog / journalctl short
    r"|\d{4}-\d\d-\d\d[T ][\d:.,]+(?:Z|[+-]\d\d:?\d\d)? \S+ kernel: "  # ISO syslog / journal short-iso
    r"|kernel: "
    r"|\s*\[\s*\d+\.\d+\] ?"  # dmesg timestamp (the whole line may be indented, in a mail or a doc)
    r"|\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\] ?"  # dmesg -T
)
_CALLER = re.compile(r"\[\s*([TC]\d+)\] ?")


@dataclass(frozen=True)
class Line:
    """One input line: where it was, what it said, and the kernel's text without prefixes."""

    number: int  # 1-based, in the whole input
    raw: str  # at most MAX_LINE characters
    body_at: int  # column where the kernel's own text starts in raw
    thread: str | None  # syzkaller/printk caller id (T1234 task, C1 CPU), if the log has them
    cut: bool = False  # the line was longer than MAX_LINE

    @property
    def body(self) -> str:
        return self.raw[self.body_at:]


def strip_prefix(raw: str) -> tuple[int, str | None]:
    """(column of the kernel's text, caller id) after quoting, syslog, timestamps and caller ids."""
    at, thread = 0, None
    for _ in range(8):  # each prefix at most once or twice; bounded whatever the line holds
        m = _PREFIX.match(raw, at)
        if m and m.end() > at:
            at = m.end()
            continue
        m = _CALLER.match(raw, at)
        if m:
            thread, at = m.group(1), m.end()
            continue
        break
    return at, thread


@dataclass
class Chunk:
    """The lines of one oops (its own thread's lines only, when the log names threads)."""

    first: Line
    offset: int  # where the first line begins in the text
    lines: list[Line] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.first.body.strip()[:200]


@dataclass(frozen=True)
class Split:
    chunks: tuple[Chunk, ...]
    lines_total: int
    lines_cut: int
    reports_skipped: int  # oopses beyond MAX_REPORTS


def _line_at(text: str, start: int, number: int) -> tuple[Line, int]:
    """The line beginning at start, and where the next one begins."""
    nl = text.find("\n", start)
    end = len(text) if nl < 0 else nl
    stop = min(end, start + MAX_LINE)
    raw = text[start:stop].rstrip("\r")
    at, thread = strip_prefix(raw)
    return Line(number, raw, at, thread, cut=end - start > MAX_LINE), (end + 1 if nl >= 0 else len(text) + 1)


_PRIMARY_WORDS = ("general protection fault", "BUG: unable to handle", "BUG: kernel NULL pointer dereference",
                  "Unable to handle kernel ", "BUG: KASAN: ", "kernel BUG at ", "WARNING: CPU: ")
_SECONDARY_WORDS = ("Internal error: Oops", "Oops: ")
_REGISTER_WORDS = ("RIP: ", "EIP: ", "pc : ", "epc : ", "RAX: ", "x29: ")
_PER_WORD = 1000  # occurrences of one marker word looked at; enough for MAX_REPORTS oopses


def _positions(text: str, words: tuple[str, ...], cap: int) -> tuple[list[int], int]:
    """Where the words occur (str.find: C speed), each at most cap times, and up to where that is complete."""
    out: list[int] = []
    complete_to = len(text)
    for word in words:
        at, n = text.find(word), 0
        while at >= 0 and n < cap:
            out.append(at)
            n += 1
            at = text.find(word, at + 1)
        if at >= 0:
            complete_to = min(complete_to, at)
    out.sort()
    return [p for p in out if p < complete_to], complete_to


def _starts(text: str) -> tuple[list[tuple[int, bool]], int]:
    """(offset of the line, is a secondary marker) for lines holding a start marker; and where it stopped."""
    out: list[tuple[int, bool]] = []
    last_line = -1
    positions, complete_to = _positions(text, _PRIMARY_WORDS + _SECONDARY_WORDS, _PER_WORD)
    for pos in positions:
        line_start = text.rfind("\n", 0, pos) + 1
        if pos - line_start > MAX_LINE or line_start == last_line:
            continue
        end = text.find("\n", pos)
        m = START.search(text, line_start, min(end if end >= 0 else len(text), line_start + MAX_LINE))
        if m is None:
            continue
        last_line = line_start
        out.append((line_start, m.group("second") is not None))
    return out, complete_to


def split(text: str) -> Split:
    """Find the oopses in text; each keeps its own thread's lines up to its end."""
    lines_total = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    starts, complete_to = _starts(text)
    if not starts:
        regs, _ = _positions(text, _REGISTER_WORDS, 1)
        if not regs:
            return Split((), lines_total, 0, 0)
        begin = text.rfind("\n", 0, regs[0]) + 1
        for _ in range(3):  # a few lines of context above the first register line
            if begin == 0:
                break
            begin = text.rfind("\n", 0, begin - 1) + 1
        starts = [(begin, False)]
    chunks: list[Chunk] = []
    skipped = 0
    cut_lines: set[int] = set()
    # Line numbers: counted incrementally between starts (text.count is C speed).
    number, pos = 1, 0
    open_by_thread: dict[str | None, tuple[Chunk, int]] = {}
    for offset, secondary in starts:
        number += text.count("\n", pos, offset)
        pos = offset
        first, _ = _line_at(text, offset, number)
        prev = open_by_thread.get(first.thread)
        if secondary and prev is not None and number - prev[1] <= 40:
            continue  # "Oops:" / "Internal error:" after the first line of the same oops
        if len(chunks) >= MAX_REPORTS:
            skipped += 1
            continue
        chunk = Chunk(first, offset)
        chunks.append(chunk)
        open_by_thread[first.thread] = (chunk, number)
    # Now read each chunk's window.
    starts_by_number = {c.first.number for c in chunks}
    for chunk in chunks:
        _fill(text, chunk, starts_by_number, cut_lines)
    if complete_to < len(text):  # markers beyond the scanned part: counted, not read
        skipped += sum(text.count(w, complete_to) for w in _PRIMARY_WORDS)
    return Split(tuple(chunks), lines_total, len(cut_lines), skipped)


def _fill(text: str, chunk: Chunk, starts: set[int], cut_lines: set[int]) -> None:
    """Up to MAX_REPORT_LINES lines from the chunk's first line, same thread, until its end."""
    first = chunk.first
    offset = chunk.offset
    number = first.number
    thread = first.thread
    for i in range(MAX_REPORT_LINES):
        if offset > len(text):
            break
        line, offset = _line_at(text, offset, number)
        number += 1
        if line.cut:
            cut_lines.add(line.number)
        if thread is not None and line.thread is not None and line.thread != thread:
            continue  # another task's or CPU's line interleaved
        if thread is not None and line.thread is None and line.raw.strip():
            continue  # console noise between the kernel's lines ("executing program")
        if i and line.number in starts and (thread is None or line.thread == thread):
            break  # the next oops of this thread
        chunk.lines.append(line)
        if i and _END.search(line.body):
            break

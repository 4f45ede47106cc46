"""/proc/iomem: System RAM, the kernel image, and whether the addresses are hidden."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from vaslayout.proc.maps import _is_hex, _shown
from vaslayout.proc.reader import ProcError, _read_file, proc_path

# --------------------------------------------------------------------------- iomem


@dataclass(frozen=True)
class IomemEntry:
    """One /proc/iomem line; end is exclusive (the file prints it inclusive)."""

    start: int
    end: int
    name: str
    depth: int
    children: tuple[IomemEntry, ...] = ()

    @property
    def size(self) -> int:
        return self.end - self.start


def parse_iomem(text: str, origin: str) -> list[IomemEntry]:
    """Build the iomem tree; each level is indented two more spaces than its parent."""
    # Each frame: (depth, start, end, name, children-so-far); frozen bottom-up when closed.
    top: list[IomemEntry] = []
    stack: list[tuple[int, int, int, str, list[IomemEntry]]] = []

    def close_to(depth: int) -> None:
        while stack and stack[-1][0] >= depth:
            d, s, e, n, kids = stack.pop()
            entry = IomemEntry(s, e, n, d, tuple(kids))
            (stack[-1][4] if stack else top).append(entry)

    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        rng, sep, name = body.partition(" : ")
        a, dash, b = rng.partition("-")
        if indent % 2 or not (sep and dash and _is_hex(a) and _is_hex(b)):
            raise ProcError(f"{origin}:{i}: malformed line: {_shown(line)}")
        depth = indent // 2
        close_to(depth)
        parent_depth = stack[-1][0] if stack else -1
        if depth != parent_depth + 1:
            raise ProcError(f"{origin}:{i}: indented {depth - parent_depth - 1} levels too deep: {_shown(line)}")
        stack.append((depth, int(a, 16), int(b, 16) + 1, name, []))
    close_to(0)
    return top


def read_iomem(root: str = "/") -> list[IomemEntry]:
    """Read /proc/iomem as a tree. Without root the kernel prints every range as 0-0: see iomem_hidden."""
    path = proc_path(root, "iomem")
    try:
        data = _read_file(path)
    except PermissionError:
        raise ProcError(f"permission denied reading {path}") from None
    except OSError as exc:
        raise ProcError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_iomem(data.decode("utf-8", "backslashreplace"), path)


def walk_iomem(entries: Sequence[IomemEntry]) -> Iterator[IomemEntry]:
    """Every entry, parents before children, in file order."""
    for e in entries:
        yield e
        yield from walk_iomem(e.children)


def iomem_hidden(entries: Sequence[IomemEntry]) -> bool:
    """True when the kernel zeroed every address (a reader without CAP_SYS_ADMIN)."""
    seen = False
    for e in walk_iomem(entries):
        if e.start != 0 or e.end != 1:
            return False
        seen = True
    return seen


def system_ram(entries: Sequence[IomemEntry]) -> list[tuple[int, int]]:
    """The "System RAM" ranges [start, end), in address order; empty when the addresses are hidden."""
    if iomem_hidden(entries):
        return []
    out: list[tuple[int, int]] = []

    def visit(es: Sequence[IomemEntry]) -> None:
        for e in es:
            if e.name == "System RAM":
                out.append((e.start, e.end))
            else:
                visit(e.children)

    visit(entries)
    return sorted(out)


def kernel_image(entries: Sequence[IomemEntry]) -> dict[str, tuple[int, int]]:
    """Physical ranges of "Kernel code", "Kernel rodata", "Kernel data", "Kernel bss" (those present)."""
    if iomem_hidden(entries):
        return {}
    out: dict[str, tuple[int, int]] = {}
    for e in walk_iomem(entries):
        if e.name in ("Kernel code", "Kernel rodata", "Kernel data", "Kernel bss") and e.name not in out:
            out[e.name] = (e.start, e.end)
    return out

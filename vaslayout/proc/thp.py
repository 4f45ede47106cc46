"""Which transparent huge page sizes the kernel uses for anonymous memory without being asked.

With THP 'always', the first fault in an anonymous mapping may bring in a
whole folio (2 MiB on x86-64, or with multi-size THP since Linux 6.8 a
smaller one: 16 KiB to 1 MiB), so more is resident than was written.
Documentation/admin-guide/mm/transhuge.rst: the top-level
sys/kernel/mm/transparent_hugepage/enabled, and per size
hugepages-<size>kB/enabled, where 'inherit' follows the top level.
"""

from __future__ import annotations

import os

from vaslayout.proc.reader import read_text

_THP = "sys/kernel/mm/transparent_hugepage"


def _mode(path: str) -> str | None:
    """The bracketed choice of a THP 'enabled' file, or None when it is not there."""
    text = read_text(path) or ""
    start, end = text.find("["), text.find("]")
    return text[start + 1:end] if 0 <= start < end else None


def anon_thp_always(root: str = "/") -> tuple[int, ...]:
    """The folio sizes (bytes, ascending) the kernel may fault in whole in any anonymous mapping.

    Empty when THP is 'madvise' or 'never' at every size, or when the kernel
    has no THP at all.
    """
    base = os.path.join(root, _THP)
    try:
        names = os.listdir(base)
    except OSError:
        return ()
    top = _mode(os.path.join(base, "enabled"))
    per_size = {n: n[len("hugepages-"):-2] for n in names if n.startswith("hugepages-") and n.endswith("kB")}
    if not per_size:  # before 6.8: one size, the PMD's
        pmd = (read_text(os.path.join(base, "hpage_pmd_size")) or "").strip() if top == "always" else ""
        return (int(pmd),) if pmd.isdigit() else ()
    faulted_whole = {"always", "inherit"} if top == "always" else {"always"}  # 'inherit' follows the top level
    return tuple(sorted(int(kb) * 1024 for name, kb in per_size.items()
                        if kb.isdigit() and _mode(os.path.join(base, name, "enabled")) in faulted_whole))

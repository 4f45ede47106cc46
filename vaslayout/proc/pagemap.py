"""/proc/PID/pagemap: which physical page backs a virtual address, and what the kernel hides."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from vaslayout.proc.process import _check_same, _pid_dir
from vaslayout.proc.reader import ProcError

# --------------------------------------------------------------------------- pagemap

_PM_PRESENT = 1 << 63
_PM_SWAPPED = 1 << 62
_PM_FILE_OR_SHARED = 1 << 61
_PM_EXCLUSIVE = 1 << 56
_PM_SOFT_DIRTY = 1 << 55
_PM_PFN_MASK = (1 << 55) - 1  # bits 0-54


@dataclass(frozen=True)
class PageInfo:
    """One pagemap entry (Documentation/admin-guide/mm/pagemap.rst).

    pfn is None when the page is absent or swapped, and when the kernel hides
    PFNs (pfn_hidden: present, but the PFN field zeroed for a reader without
    CAP_SYS_ADMIN) - so nobody prints a made-up physical address 0.
    """

    vaddr: int
    present: bool
    swapped: bool
    file_or_shared: bool
    exclusive: bool
    soft_dirty: bool
    pfn: int | None
    pfn_hidden: bool
    phys: int | None
    raw: int = 0

    @property
    def swap_type(self) -> int | None:
        return self.raw & 0x1F if self.swapped else None

    @property
    def swap_offset(self) -> int | None:
        return (self.raw & _PM_PFN_MASK) >> 5 if self.swapped else None


def page_info(vaddr: int, raw: int, page_size: int = 4096) -> PageInfo:
    """Decode one 64-bit pagemap entry for vaddr."""
    present = bool(raw & _PM_PRESENT)
    field_pfn = raw & _PM_PFN_MASK
    pfn = field_pfn if present and field_pfn else None
    return PageInfo(
        vaddr=vaddr,
        present=present,
        swapped=bool(raw & _PM_SWAPPED),
        file_or_shared=bool(raw & _PM_FILE_OR_SHARED),
        exclusive=bool(raw & _PM_EXCLUSIVE),
        soft_dirty=bool(raw & _PM_SOFT_DIRTY),
        pfn=pfn,
        pfn_hidden=present and not field_pfn,
        phys=None if pfn is None else pfn * page_size + vaddr % page_size,
        raw=raw,
    )


def read_pagemap(pid: int, vaddrs: Sequence[int], root: str = "/",
                 page_size: int | None = None, *, started: int | None = None) -> list[PageInfo]:
    """Read the pagemap entry of each address: 8 bytes at (vaddr / page size) * 8.

    An address the kernel has no entry for (beyond the user range) reads as
    absent, as the kernel reports it. With `started`, entries are only
    returned while the pid still names the process that started then.
    """
    ps = page_size or os.sysconf("SC_PAGE_SIZE")
    for v in vaddrs:
        if not 0 <= v < 1 << 64:
            raise ProcError(f"{v:#x} is not a 64-bit address" if v >= 0 else f"negative address {v}")
    piddir = _pid_dir(root, pid)
    path = os.path.join(piddir, "pagemap")
    if pid <= 0:
        raise ProcError(f"no process {pid}")
    before = _check_same(pid, root, started)
    out: list[PageInfo] = []
    try:
        fd = os.open(path, os.O_RDONLY)
    except PermissionError:
        raise ProcError(f"permission denied reading {path}") from None
    except FileNotFoundError:
        if not os.path.isdir(piddir):
            raise ProcError(f"no process {pid}") from None
        raise ProcError(f"cannot read {path}: no such file") from None
    except OSError as exc:
        raise ProcError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        for v in vaddrs:
            try:
                data = os.pread(fd, 8, (v // ps) * 8)
            except (ProcessLookupError, FileNotFoundError):
                raise ProcError(f"process {pid} exited while its pagemap was read") from None
            except PermissionError:
                raise ProcError(f"permission denied reading {path}") from None
            except OSError as exc:
                if exc.errno == errno.ESRCH:
                    raise ProcError(f"process {pid} exited while its pagemap was read") from None
                raise ProcError(f"cannot read {path}: {exc.strerror or exc}") from None
            if len(data) < 8 and not os.path.isdir(piddir):
                raise ProcError(f"process {pid} exited while its pagemap was read")
            raw = int.from_bytes(data, sys.byteorder) if len(data) == 8 else 0
            out.append(page_info(v, raw, ps))
    finally:
        os.close(fd)
    _check_same(pid, root, before)
    return out

"""/proc/slabinfo: the slab caches, their object sizes and how many objects share a slab.

Format 2.1 (mm/slab_common.c cache_show): `name active_objs num_objs objsize
objperslab pagesperslab : tunables ... : slabdata active_slabs num_slabs
sharedavail`. The file is mode 0400 (root only) since 2.6.x; an unprivileged
read gets "permission denied", said plainly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vaslayout.proc.reader import ProcError, _read_file, proc_path

_LINE = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*:\s*tunables(?:\s+\d+){3}\s*:\s*slabdata"
                   r"\s+(\d+)\s+(\d+)\s+(\d+)\s*$")
# kmalloc-N, and the typed copies (include/linux/slab.h enum kmalloc_cache_type):
# kmalloc-cg-N (__GFP_ACCOUNT), kmalloc-rcl-N (__GFP_RECLAIMABLE), dma-kmalloc-N (GFP_DMA),
# kmalloc-rnd-NN-N (CONFIG_RANDOM_KMALLOC_CACHES).
_KMALLOC = re.compile(r"^(dma-)?kmalloc-(?:(cg|rcl|rnd-\d+)-)?(\d+)(k?)$")


@dataclass(frozen=True)
class SlabCache:
    name: str
    active_objs: int
    num_objs: int
    objsize: int
    objperslab: int
    pagesperslab: int
    active_slabs: int
    num_slabs: int

    @property
    def kmalloc(self) -> tuple[str, int] | None:
        """(type, size) for a kmalloc cache: type "normal", "cg", "rcl", "dma" or "rnd-NN"."""
        m = _KMALLOC.match(self.name)
        if not m:
            return None
        size = int(m.group(3)) * (1024 if m.group(4) else 1)
        return ("dma" if m.group(1) else m.group(2) or "normal"), size

    def memory(self, page_size: int = 4096) -> int:
        return self.num_slabs * self.pagesperslab * page_size


def parse_slabinfo(text: str, origin: str) -> list[SlabCache]:
    lines = text.splitlines()
    if not lines or not lines[0].startswith("slabinfo - version:"):
        raise ProcError(f"{origin}:1: not a slabinfo file (it starts 'slabinfo - version: 2.1')")
    out = []
    for lineno, line in enumerate(lines[1:], 2):
        if not line.strip() or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            raise ProcError(f"{origin}:{lineno}: not a slabinfo 2.1 line: {line[:60]!r}")
        g = m.groups()
        out.append(SlabCache(g[0], *(int(x) for x in g[1:6]), int(g[6]), int(g[7])))
    return out


def read_slabinfo(root: str = "/") -> list[SlabCache]:
    path = proc_path(root, "slabinfo")
    try:
        data = _read_file(path)
    except PermissionError:
        raise ProcError(f"{path} is readable by root only: run as root to see the slab caches") from None
    except FileNotFoundError:
        raise ProcError(f"{path} is missing: this kernel was built without slabinfo (CONFIG_SLUB_DEBUG)") from None
    except OSError as exc:
        raise ProcError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_slabinfo(data.decode("ascii", "replace"), path)

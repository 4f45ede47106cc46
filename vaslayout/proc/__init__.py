"""Reading what Linux exposes under a proc root: maps, pagemap, iomem, the running kernel.

Pure reading layer: stdlib only, no UI. Every reader takes `root` so tests
and captures point it at a copied tree. Every user-facing failure is a
ProcError whose str() is one line naming the input.
"""

from vaslayout.proc.iomem import IomemEntry, iomem_hidden, kernel_image, parse_iomem, read_iomem, system_ram, walk_iomem
from vaslayout.proc.kernel import USER_4LEVEL_LIMIT, KernelInfo, detect
from vaslayout.proc.maps import (
    MAPS_ATTEMPTS,
    Mapping,
    MapsTable,
    parse_maps,
    parse_maps_table,
    read_maps,
    read_maps_table,
)
from vaslayout.proc.pagemap import PageInfo, page_info, read_pagemap
from vaslayout.proc.process import comm, resolve_pid, start_time
from vaslayout.proc.reader import ChildRead, ProcError

__all__ = [
    "ChildRead",
    "IomemEntry",
    "KernelInfo",
    "MAPS_ATTEMPTS",
    "Mapping",
    "MapsTable",
    "PageInfo",
    "ProcError",
    "USER_4LEVEL_LIMIT",
    "comm",
    "detect",
    "iomem_hidden",
    "kernel_image",
    "page_info",
    "parse_iomem",
    "parse_maps",
    "parse_maps_table",
    "read_iomem",
    "read_maps",
    "read_maps_table",
    "read_pagemap",
    "resolve_pid",
    "start_time",
    "system_ram",
    "walk_iomem",
]

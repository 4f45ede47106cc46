"""Reading what Linux exposes under a proc root: maps, pagemap, iomem, the running kernel.

Pure reading layer: stdlib only, no UI. Every reader takes `root` so tests
and captures point it at a copied tree. Every user-facing failure is a
ProcError whose str() is one line naming the input.

The names below are imported when first used: `show --pid` starts copying
the maps (ChildRead) before the kernel readers it needs later are imported.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from vaslayout.proc.iomem import (  # noqa: F401
        IomemEntry,
        iomem_hidden,
        kernel_image,
        parse_iomem,
        read_iomem,
        system_ram,
        walk_iomem,
    )
    from vaslayout.proc.kernel import USER_4LEVEL_LIMIT, KernelInfo, detect  # noqa: F401
    from vaslayout.proc.maps import (  # noqa: F401
        MAPS_ATTEMPTS,
        Mapping,
        MapsTable,
        parse_maps,
        parse_maps_table,
        read_maps,
        read_maps_table,
    )
    from vaslayout.proc.pagemap import PageInfo, page_info, read_pagemap  # noqa: F401
    from vaslayout.proc.process import comm, resolve_pid, start_time  # noqa: F401
    from vaslayout.proc.reader import ChildRead, ProcError  # noqa: F401

_HOME = {  # name -> the module of this package that holds it
    **dict.fromkeys(("IomemEntry", "iomem_hidden", "kernel_image", "parse_iomem", "read_iomem", "system_ram",
                     "walk_iomem"), "iomem"),
    **dict.fromkeys(("USER_4LEVEL_LIMIT", "KernelInfo", "detect"), "kernel"),
    **dict.fromkeys(("MAPS_ATTEMPTS", "Mapping", "MapsTable", "parse_maps", "parse_maps_table", "read_maps",
                     "read_maps_table"), "maps"),
    **dict.fromkeys(("PageInfo", "page_info", "read_pagemap"), "pagemap"),
    **dict.fromkeys(("comm", "resolve_pid", "start_time"), "process"),
    **dict.fromkeys(("ChildRead", "ProcError"), "reader"),
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(__import__(f"{__name__}.{home}", fromlist=[name]), name)  # importlib costs a start-up ~1 ms
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME])

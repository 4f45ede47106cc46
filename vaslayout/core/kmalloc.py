"""Which kmalloc cache serves a size, and how SLUB lays its slabs out: the kernel's own rules as arithmetic.

kmalloc() rounds a request up to one of a fixed set of caches (kmalloc-8 ...
kmalloc-8k with 4 KiB pages, plus kmalloc-96 and kmalloc-192); anything larger
goes straight to the page allocator. The rules are copied from the kernel:

- include/linux/slab.h `__kmalloc_index()`: sizes up to KMALLOC_MIN_SIZE use
  the smallest cache; 65..96 bytes the 96-byte cache when KMALLOC_MIN_SIZE <=
  32; 129..192 the 192-byte cache when KMALLOC_MIN_SIZE <= 64; otherwise the
  next power of two. mm/slab_common.c `kmalloc_size_index[]` and
  `setup_kmalloc_cache_index_table()` give the same answer for sizes <= 192
  decided at run time.
- include/linux/slab.h: with SLUB, KMALLOC_SHIFT_HIGH = PAGE_SHIFT + 1, so
  KMALLOC_MAX_CACHE_SIZE is two pages (8 KiB with 4 KiB pages); a larger
  request is `kmalloc_large()`: whole pages of order get_order(size).
- KMALLOC_MIN_SIZE is ARCH_KMALLOC_MINALIGN: 8 (the alignment of a long long)
  unless the architecture's DMA alignment demands more (ARCH_DMA_MINALIGN > 8
  without DMA bouncing); see ARCH_MIN_SIZE below.
- mm/slub.c `calculate_order()` / `calc_slab_order()`: a slab holds at least
  slub_min_objects = 4 * (fls(nr_cpus) + 1) objects where that fits in
  slub_max_order (PAGE_ALLOC_COSTLY_ORDER, 3), and the smallest order whose
  leftover is at most 1/16 (then 1/8, 1/4, 1/2) of the slab is taken.

Checked against a real 6.18 kernel's /proc/slabinfo (tests/data/proc/real-6.18).
"""

from __future__ import annotations

from dataclasses import dataclass

PAGE_ALLOC_COSTLY_ORDER = 3  # include/linux/mmzone.h; mm/slub.c: slub_max_order defaults to it
MAX_OBJS_PER_PAGE = 32767  # mm/slub.c: objects in a slab must fit in the 15-bit slab->objects

# KMALLOC_MIN_SIZE by architecture (ARCH_KMALLOC_MINALIGN), with where it comes from.
ARCH_MIN_SIZE: dict[str, tuple[int, str]] = {
    "x86_64": (8, "include/linux/slab.h: __alignof__(unsigned long long); x86 sets no ARCH_DMA_MINALIGN"),
    "x86": (8, "include/linux/slab.h: __alignof__(unsigned long long)"),
    "arm64": (8, "arch/arm64/include/asm/cache.h: ARCH_KMALLOC_MINALIGN 8 since 6.5 "
                 "(CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC); 128 (ARCH_DMA_MINALIGN) before 6.5"),
    "arm": (64, "arch/arm/include/asm/cache.h: ARCH_DMA_MINALIGN = L1_CACHE_BYTES (64 with ARM_L1_CACHE_SHIFT 6)"),
    "riscv": (8, "arch/riscv/include/asm/cache.h: ARCH_KMALLOC_MINALIGN 8"),
}


def kmalloc_index(size: int, min_size: int = 8) -> int:
    """`__kmalloc_index()`: 0 for a zero-size request, 1 for the 96-byte cache, 2 for 192, else log2 of the cache."""
    if size < 0:
        raise ValueError("size must not be negative")
    if size == 0:
        return 0
    if size <= min_size:
        return (min_size - 1).bit_length()  # KMALLOC_SHIFT_LOW = ilog2(KMALLOC_MIN_SIZE)
    if min_size <= 32 and 64 < size <= 96:
        return 1
    if min_size <= 64 and 128 < size <= 192:
        return 2
    return (size - 1).bit_length()  # the next power of two: 2^(n-1)+1 .. 2^n -> n


def cache_size(index: int) -> int:
    """`kmalloc_size()`: the object size of cache `index`."""
    return {0: 0, 1: 96, 2: 192}.get(index, 1 << index)


def cache_name(index: int) -> str:
    """The name /proc/slabinfo shows: kmalloc-8 ... kmalloc-512, kmalloc-1k ... kmalloc-8k."""
    size = cache_size(index)
    return f"kmalloc-{size // 1024}k" if size >= 1024 else f"kmalloc-{size}"


def get_order(size: int, page_size: int = 4096) -> int:
    """`get_order()`: the smallest order whose 2^order pages hold `size` bytes."""
    return max(0, (size - 1) // page_size).bit_length() if size > 0 else 0


def slub_min_objects(nr_cpus: int) -> int:
    """mm/slub.c: 4 * (fls(nr_cpus) + 1) when slub_min_objects is not set on the command line."""
    return 4 * (max(nr_cpus, 1).bit_length() + 1)


def slab_order(size: int, page_size: int = 4096, nr_cpus: int = 2, max_order: int = PAGE_ALLOC_COSTLY_ORDER) -> int:
    """`calculate_order()` for an object of `size` bytes (no debug metadata, as kmalloc caches have)."""
    def objects(order: int) -> int:
        return (page_size << order) // size

    min_objects = min(slub_min_objects(nr_cpus), max(objects(max_order), 1))
    min_order = get_order(min_objects * size, page_size)
    if objects(min_order) > MAX_OBJS_PER_PAGE:
        return get_order(size * MAX_OBJS_PER_PAGE, page_size) - 1
    fraction = 16
    while fraction > 1:
        for order in range(min_order, max_order + 1):
            slab = page_size << order
            if slab % size <= slab // fraction:
                return order
        fraction //= 2
    return get_order(size, page_size)


@dataclass(frozen=True)
class KmallocAnswer:
    """Where kmalloc(size) gets its memory, and why."""

    size: int
    min_size: int
    page_size: int
    nr_cpus: int
    index: int  # 0: ZERO_SIZE_PTR; -1: kmalloc_large (the page allocator)
    cache: str | None
    object_size: int
    slab_order: int  # pages per slab = 1 << slab_order; for kmalloc_large, the order of the pages
    objects_per_slab: int

    @property
    def pages_per_slab(self) -> int:
        return 1 << self.slab_order

    @property
    def wasted(self) -> int:
        """Bytes of the object the request does not use (internal fragmentation)."""
        return self.object_size - self.size if self.size else 0

    def sentence(self) -> str:
        if self.index == 0:
            return ("kmalloc(0) returns ZERO_SIZE_PTR (16), a pointer that faults when used; "
                    "no memory is allocated (include/linux/slab.h).")
        if self.index < 0:
            return (f"{self.size} bytes is more than KMALLOC_MAX_CACHE_SIZE ({2 * self.page_size} bytes, two pages "
                    f"with SLUB), so kmalloc_large() takes {self.pages_per_slab} contiguous page(s) (order "
                    f"{self.slab_order}) straight from the page allocator; like every slab page they are "
                    "reached through the direct map, so the pointer is a direct-map address.")
        why = ""
        if self.index in (1, 2):
            why = f" (the {self.object_size}-byte cache, kept for sizes between two powers of two)"
        elif self.size <= self.min_size:
            why = f" (KMALLOC_MIN_SIZE is {self.min_size} on this architecture)"
        return (f"kmalloc({self.size}) is served by {self.cache}{why}: objects of {self.object_size} bytes, "
                f"{self.wasted} of them unused; SLUB packs {self.objects_per_slab} objects into a slab of "
                f"{self.pages_per_slab} page(s) (order {self.slab_order}, with {self.nr_cpus} CPUs). Slab pages "
                "come from the page allocator and are used through the direct map, so the pointer is a "
                "direct-map address; vmalloc() memory is different: it is mapped page by page into the vmalloc "
                "area and never comes from a kmalloc cache.")


def kmalloc(size: int, min_size: int = 8, page_size: int = 4096, nr_cpus: int = 2) -> KmallocAnswer:
    """Which cache serves kmalloc(size), with the slab geometry SLUB gives it."""
    index = 0 if size == 0 else (-1 if size > 2 * page_size else kmalloc_index(size, min_size))
    if index == 0:
        return KmallocAnswer(size, min_size, page_size, nr_cpus, 0, None, 0, 0, 0)
    if index < 0:
        order = get_order(size, page_size)
        return KmallocAnswer(size, min_size, page_size, nr_cpus, -1, None, page_size << order, order, 1)
    obj = cache_size(index)
    order = slab_order(obj, page_size, nr_cpus)
    return KmallocAnswer(size, min_size, page_size, nr_cpus, index, cache_name(index), obj, order,
                         (page_size << order) // obj)


def caches(min_size: int = 8, page_size: int = 4096) -> list[int]:
    """The kmalloc cache indices that exist, smallest object first."""
    out = sorted({kmalloc_index(s, min_size) for s in range(1, 2 * page_size + 1)}, key=cache_size)
    return out

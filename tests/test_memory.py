"""Where memory comes from: kmalloc's caches, smaps, buddyinfo, slabinfo and the malloc demo.

The /proc files are a real 6.18 kernel's (tests/data/proc/real-6.18/README.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaslayout.core.kmalloc import ARCH_MIN_SIZE, cache_name, kmalloc, kmalloc_index, slab_order
from vaslayout.proc.buddyinfo import parse_buddyinfo, read_buddyinfo
from vaslayout.proc.reader import ProcError
from vaslayout.proc.slabinfo import parse_slabinfo, read_slabinfo
from vaslayout.proc.smaps import parse_smaps, read_rollup, totals
from vaslayout.teach.malloc_demo import PAGE

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "data" / "proc" / "real-6.18"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vaslayout", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


# -- kmalloc: the kernel's own tables --------------------------------------------------------

# mm/slab_common.c, kmalloc_size_index[24]: the cache index for sizes 1..192, in steps of 8 bytes
# ((size - 1) / 8), as the kernel initialises it before setup_kmalloc_cache_index_table().
KERNEL_SIZE_INDEX = [3, 4, 5, 5, 6, 6, 6, 6, 1, 1, 1, 1, 7, 7, 7, 7, 2, 2, 2, 2, 2, 2, 2, 2]


@pytest.mark.parametrize("size", range(1, 193))
def test_small_sizes_follow_the_kernels_size_index_table(size: int) -> None:
    assert kmalloc_index(size, 8) == KERNEL_SIZE_INDEX[(size - 1) // 8]


@pytest.mark.parametrize("size", [193, 255, 256, 257, 511, 512, 513, 1000, 1024, 1025, 2048, 2049, 4096, 4097, 8192])
def test_larger_sizes_take_the_next_power_of_two(size: int) -> None:
    """mm/slab_common.c kmalloc_slab(): fls(size - 1) above 192 bytes."""
    assert kmalloc_index(size, 8) == (size - 1).bit_length()


def test_every_size_from_1_byte_to_8_kib_fits_its_cache() -> None:
    for size in range(1, 8193):
        a = kmalloc(size)
        assert a.cache is not None and size <= a.object_size, size
        smaller = [s for s in (8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096) if s < a.object_size]
        assert not smaller or size > max(smaller), size  # the smallest cache that fits


def test_min_size_64_drops_the_96_byte_cache_and_128_the_192() -> None:
    """setup_kmalloc_cache_index_table(): 72..96 go to kmalloc-128 when KMALLOC_MIN_SIZE >= 64, 136..192 to 256."""
    assert [cache_name(kmalloc_index(s, 64)) for s in (64, 65, 96, 97, 136, 192)] == \
        ["kmalloc-64", "kmalloc-128", "kmalloc-128", "kmalloc-128", "kmalloc-192", "kmalloc-192"]
    assert [cache_name(kmalloc_index(s, 128)) for s in (1, 100, 128, 136, 192, 193)] == \
        ["kmalloc-128", "kmalloc-128", "kmalloc-128", "kmalloc-256", "kmalloc-256", "kmalloc-256"]


def test_zero_and_large_requests() -> None:
    assert kmalloc(0).index == 0 and "ZERO_SIZE_PTR" in kmalloc(0).sentence()
    big = kmalloc(8193)
    assert big.index == -1 and big.cache is None and big.slab_order == 2  # 12 KiB -> 4 pages
    assert kmalloc(8192).cache == "kmalloc-8k"
    assert kmalloc(16385, page_size=16384).cache == "kmalloc-32k"  # two 16 KiB pages


def test_slab_geometry_matches_a_real_kernels_slabinfo() -> None:
    """calculate_order() with 2 CPUs gives every kmalloc cache's objperslab and pagesperslab of the 6.18 machine."""
    caches = {c.name: c for c in read_slabinfo(str(REAL))}
    checked = 0
    for size in (8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192):
        a = kmalloc(size, nr_cpus=2)
        real = caches[a.cache]
        assert (a.objects_per_slab, a.pages_per_slab) == (real.objperslab, real.pagesperslab), a.cache
        assert real.objsize == a.object_size
        checked += 1
    assert checked == 13


def test_more_cpus_mean_bigger_slabs() -> None:
    """slub_min_objects = 4 * (fls(nr_cpus) + 1): 64 CPUs want 28 objects, so kmalloc-512 needs order 2."""
    assert slab_order(512, nr_cpus=2) == 1 and slab_order(512, nr_cpus=64) == 2


def test_every_architecture_names_its_source() -> None:
    for arch, (size, source) in ARCH_MIN_SIZE.items():
        assert size >= 8 and size & (size - 1) == 0 and "asm" in source or "slab.h" in source, arch


# -- smaps ------------------------------------------------------------------------------------


def test_smaps_of_a_real_process_sums_to_its_rollup() -> None:
    rows = parse_smaps((REAL / "proc" / "4242" / "smaps").read_text(), "smaps")
    assert len(rows) == len((REAL / "proc" / "4242" / "maps").read_text().splitlines())
    rollup = parse_smaps((REAL / "proc" / "4242" / "smaps_rollup").read_text(), "smaps_rollup")[0]
    t = totals(rows)
    assert (t.rss, t.anonymous, t.swap) == (rollup.rss, rollup.anonymous, rollup.swap)
    # the kernel sums Pss in fractions of a page for the rollup, and truncates it to kB per mapping in smaps
    assert 0 <= rollup["Pss"] - t.pss < 1024 * len(rows)


def test_a_1_mib_malloc_is_an_anonymous_mapping_of_its_own() -> None:
    rows = parse_smaps((REAL / "proc" / "4243" / "smaps").read_text(), "smaps")
    block = [b for b in rows if b["Size"] == 1028 * 1024 and not b.mapping.path]
    assert len(block) == 1 and block[0].backing == "anonymous" and block[0].rss == 1028 * 1024
    text = next(b for b in rows if "x" in b.mapping.perms and b.mapping.path.endswith("libc.so.6"))
    assert text.backing == "page cache" and text.anonymous == 0 and "ex" in text.vmflags
    assert {b.backing for b in rows} >= {"anonymous", "page cache", "untouched"}


def test_smaps_errors_name_the_line() -> None:
    with pytest.raises(ProcError, match=r"^x:2: expected a number of kB"):
        parse_smaps("1000-2000 rw-p 00000000 00:00 0\nRss: lots kB\n", "x")
    with pytest.raises(ProcError, match=r"^x:1: a counter before any mapping line"):
        parse_smaps("Rss: 4 kB\n", "x")


def test_rollup_is_none_where_the_kernel_has_none(tmp_path: Path) -> None:
    (tmp_path / "proc" / "77").mkdir(parents=True)
    assert read_rollup(77, str(tmp_path)) is None


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789abcdef-: rwxpkBRsSizeAnonVmFlags\n[]", max_size=300))
def test_smaps_parser_raises_only_its_one_line_error(text: str) -> None:
    try:
        parse_smaps(text, "x")
    except ProcError as exc:
        assert "\n" not in str(exc)


# -- buddyinfo, zoneinfo, pagetypeinfo, slabinfo ---------------------------------------------------


def test_buddyinfo_zoneinfo_and_pagetypeinfo_of_a_real_kernel() -> None:
    zones = {z.zone: z for z in read_buddyinfo(str(REAL))}
    assert list(zones) == ["DMA", "DMA32", "Normal"]
    dma = zones["DMA"]
    assert dma.free == (0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3) and dma.max_order == 10
    assert dma.free_pages() == 256 + 512 + 3 * 1024
    assert dma.watermarks == (34, 42, 50) and dma.managed == 3840
    by_type = dict(dma.by_type)
    assert tuple(map(sum, zip(*by_type.values(), strict=True))) == dma.free  # the types add up to buddyinfo
    assert zones["Normal"].watermarks == (9832, 12290, 14748)


def test_buddyinfo_errors_name_the_line() -> None:
    with pytest.raises(ProcError, match=r"^b:2: expected 'Node N, zone NAME count...'"):
        parse_buddyinfo("Node 0, zone DMA 1 2\nnonsense\n", "b")


def test_slabinfo_of_a_real_kernel() -> None:
    caches = read_slabinfo(str(REAL))
    kinds = {c.kmalloc for c in caches if c.kmalloc}
    assert ("normal", 8192) in kinds and ("cg", 96) in kinds and ("dma", 192) in kinds and ("rcl", 8) in kinds
    assert next(c for c in caches if c.name == "kmalloc-96").objperslab == 42
    with pytest.raises(ProcError, match=r"^s:1: not a slabinfo file"):
        parse_slabinfo("hello\n", "s")


def test_slabinfo_unreadable_is_said_plainly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(path: str) -> bytes:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr("vaslayout.proc.slabinfo._read_file", denied)
    with pytest.raises(ProcError, match="readable by root only"):
        read_slabinfo(str(tmp_path))


# -- the CLI ------------------------------------------------------------------------------------


def test_kmalloc_command_json() -> None:
    p = run("kmalloc", "100", "0x1000", "96", "9K", "--cpus", "2", "--json", "--capture", str(REAL))
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert [o["cache"] for o in out] == ["kmalloc-128", "kmalloc-4k", "kmalloc-96", None]
    assert out[0]["objects_per_slab"] == 32 and out[0]["this_machine"]["objperslab"] == 32
    assert out[3]["large"] and out[3]["pages_per_slab"] == 4


def test_kmalloc_command_text_states_what_it_assumed() -> None:
    p = run("kmalloc", "100", "--cpus", "2", "--capture", str(REAL))
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("assumed: x86_64, KMALLOC_MIN_SIZE 8")
    assert "kmalloc-128" in p.stdout and "direct-map address" in p.stdout and "the kernel's" in p.stdout
    p = run("kmalloc", "100", "--arch", "arm", "--cpus", "2", "--capture", str(REAL))
    assert "KMALLOC_MIN_SIZE 64" in p.stdout


@pytest.mark.parametrize("args, message", [
    (["kmalloc", "lots"], "vaslayout: size 'lots': "),
    (["kmalloc", "4", "--min-size", "12"], "vaslayout: --min-size 12: expected a power of two"),
    (["show", "--backing", "x86_64-4level"], "vaslayout: --backing reads a process's smaps: give --pid PID"),
    (["show", "--buddy"], "vaslayout: --buddy goes with --physical"),
])
def test_memory_commands_refuse_bad_input_in_one_line(args: list[str], message: str) -> None:
    p = run(*args)
    assert p.returncode == 2 and p.stderr.startswith(message) and p.stderr.count("\n") == 1, p.stderr


def test_show_backing_of_a_captured_process() -> None:
    p = run("show", "--pid", "4243", "--backing", "--capture", str(REAL))
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "4243:   python3" and "Backing" in lines[1]
    assert any(" anonymous  [heap]" in line for line in lines)
    assert lines[-1].startswith("~17.36 MiB mapped") and "anonymous" in lines[-1] and "page cache" in lines[-1]
    assert all(line == line.rstrip() for line in lines)
    j = json.loads(run("show", "--pid", "4243", "--backing", "--json", "--capture", str(REAL)).stdout)
    assert j["totals"]["anonymous"] + j["totals"]["page_cache"] == j["totals"]["rss"]
    assert sum(m["backing"] == "anonymous" for m in j["mappings"]) > 10


def test_show_buddy_from_a_real_kernel() -> None:
    p = run("show", "--physical", "--buddy", "--capture", str(REAL))
    assert p.returncode == 0, p.stderr
    assert "4 MiB" in p.stdout.splitlines()[1] and "0:DMA32" in p.stdout and "watermarks min" in p.stdout
    j = json.loads(run("show", "--physical", "--buddy", "--json", "--capture", str(REAL)).stdout)
    assert j[0]["zone"] == "DMA" and j[0]["watermarks"] == {"min": 34, "low": 42, "high": 50}


# -- the malloc demo on a live process ---------------------------------------------------------------

needs_glibc_linux = pytest.mark.skipif(not os.path.isdir("/proc/self") or sys.platform != "linux"
                                       or os.confstr("CS_GNU_LIBC_VERSION") is None, reason="needs glibc Linux")


@needs_glibc_linux
def test_malloc_demo_shows_brk_then_mmap() -> None:
    from vaslayout.teach.malloc_demo import run_demo

    steps = list(run_demo())
    assert [s.step for s in steps] == list(range(8))
    start, small, medium, large, touched, freed = steps[:6]
    assert small.mapping is not None and small.mapping.path == "[heap]"
    assert medium.mapping is not None and medium.mapping.path == "[heap]" and medium.heap_growth > 0
    assert large.mapping is not None and large.mapping.path == "" and large.mapping.end - large.mapping.start > 1 << 20
    assert touched.mapping_rss is not None and touched.mapping_rss >= 1 << 20
    # How much of the block is resident before memset is the kernel's call (THP, fault-around): measured,
    # and said in words whenever it is more than the page glibc wrote.
    if touched.block_resident is not None:
        assert large.block_resident is not None and PAGE <= large.block_resident <= touched.block_resident
        assert touched.block_resident >= 1 << 20
        assert (large.block_resident > PAGE) == any("more than the page glibc wrote" in li for li in large.lines())
    assert freed.mapping is None  # munmap: no mapping holds the address any more


def _mmapped_step(resident: int, mapping_size: int, thp: tuple[int, ...] = ()) -> list[str]:
    from vaslayout.proc.maps import Mapping
    from vaslayout.teach.malloc_demo import COMMANDS, Snapshot

    start = 0x7F0000000000
    mapping = Mapping(start, start + mapping_size, "rw-p", 0, "00:00", 0, "")
    return Snapshot(3, COMMANDS[2], start + 16, None, 0, mapping, resident, COMMANDS[2].caption,
                    resident, thp).lines()


def test_the_demo_says_why_more_than_a_page_is_resident() -> None:
    """Demand paging, THP 'always' and a merged neighbour each read differently (what CI's kernel showed)."""
    plain = _mmapped_step(PAGE, (1 << 20) + PAGE)
    pages = -(-((1 << 20) + 16) // PAGE)  # the block starts 16 bytes into its first page
    assert any(f"resident: {PAGE // 1024} KiB of its {pages} pages ({pages * PAGE // 1024} KiB), by the pagemap" in li
               for li in plain)
    assert not any("more than the page" in li or "merged" in li for li in plain)
    thp = _mmapped_step(1 << 20, (1 << 20) + PAGE, (64 * 1024, 2 << 20))
    assert any("'always' here for 64 KiB, 2 MiB folios" in li for li in thp)
    eager = _mmapped_step(1 << 20, (1 << 20) + PAGE)
    assert any("brought in more than the faulting page" in li for li in eager)
    merged = _mmapped_step(PAGE, (1 << 20) + 9 * PAGE)
    assert any("merged it with the anonymous mapping beside it" in li for li in merged)


def _thp_tree(root: Path, top: str | None, sizes: dict[int, str], pmd: int | None = None) -> str:
    base = root / "sys/kernel/mm/transparent_hugepage"
    base.mkdir(parents=True)
    choices = lambda mode, all_: " ".join(f"[{m}]" if m == mode else m for m in all_)  # noqa: E731
    if top is not None:
        (base / "enabled").write_text(choices(top, ("always", "madvise", "never")) + "\n")
    for kb, mode in sizes.items():
        (base / f"hugepages-{kb}kB").mkdir()
        (base / f"hugepages-{kb}kB" / "enabled").write_text(choices(mode, ("always", "inherit", "madvise", "never")))
    if pmd is not None:
        (base / "hpage_pmd_size").write_text(f"{pmd}\n")
    return str(root)


@pytest.mark.parametrize(("top", "sizes", "pmd", "want"), [
    ("madvise", {64: "never", 2048: "inherit"}, 2 << 20, ()),  # Debian's default
    ("always", {64: "never", 2048: "inherit"}, 2 << 20, (2 << 20,)),
    ("madvise", {64: "always", 1024: "inherit", 2048: "madvise"}, 2 << 20, (64 << 10,)),
    ("always", {16: "always", 2048: "inherit"}, 2 << 20, (16 << 10, 2 << 20)),
    ("always", {}, 2 << 20, (2 << 20,)),  # before Linux 6.8: no per-size folders, the PMD size
    ("never", {}, 2 << 20, ()),
    (None, {}, None, ()),
])
def test_anon_thp_always_reads_the_top_level_and_each_size(tmp_path: Path, top, sizes, pmd, want) -> None:
    from vaslayout.proc.thp import anon_thp_always

    assert anon_thp_always(_thp_tree(tmp_path, top, sizes, pmd)) == want


def test_anon_thp_always_without_thp_at_all(tmp_path: Path) -> None:
    from vaslayout.proc.thp import anon_thp_always

    assert anon_thp_always(str(tmp_path)) == ()


@needs_glibc_linux
def test_demo_command_prints_every_step() -> None:
    p = run("demo", "malloc", "--print")
    assert p.returncode == 0, p.stderr
    assert p.stdout.count("\nstep ") == 7 and "grew by" in p.stdout and "no mapping holds it any more" in p.stdout


def test_kmalloc_caches_from_a_real_slabinfo() -> None:
    p = run("kmalloc", "--caches", "--capture", str(REAL))
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[2].split()[:2] == ["kmalloc-8", "8"] and lines[2].split()[5] == "512"
    assert any(line.startswith("kmalloc-cg-96 ") for line in lines)
    assert lines[-1].startswith("235 caches,")


CAPTURES = ROOT / "tests" / "data" / "captures"


@pytest.mark.parametrize("capture", sorted(p.name for p in CAPTURES.iterdir() if (p / "proc" / "slabinfo").is_file()))
def test_captured_kernels_slabs_follow_slubs_rule(capture: str) -> None:
    """Each QEMU-booted kernel (-smp 2) lays out its kmalloc caches as calculate_order() says."""
    caches = {c.name: c for c in read_slabinfo(str(CAPTURES / capture))}
    # KMALLOC_MIN_SIZE as this kernel has it: arm64 before 6.5 starts at kmalloc-128 (ARCH_DMA_MINALIGN)
    smallest = min(c.objsize for c in caches.values() if c.kmalloc and c.kmalloc[0] == "normal")
    checked = 0
    for size in (8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192):
        a = kmalloc(size, min_size=smallest, nr_cpus=2)
        real = caches.get(a.cache or "")
        if real is None:
            continue
        assert (a.objects_per_slab, a.pages_per_slab) == (real.objperslab, real.pagesperslab), (capture, a.cache)
        checked += 1
    assert checked >= 8

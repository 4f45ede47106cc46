"""A capture: the kernel's own files about its address space, at their own paths, in one tar.gz.

A capture is a system root: proc/iomem, proc/kallsyms, ... as the kernel wrote
them, plus three files at the top: capture.json (what was taken, what could
not be read and why), dmesg (the kernel log's memory lines) and
kcore-vars.json (the layout variables read through /proc/kcore, root only).
Every reader that takes a root reads an unpacked capture the same way it reads
"/". Nothing unreadable is fatal: it is listed in capture.json.
"""

from __future__ import annotations

import atexit
import errno
import gzip
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from vaslayout.errors import UserError
from vaslayout.proc import kcore
from vaslayout.proc.real import KERNEL_MAP_WORDS, LAYOUT_SYMBOLS, VARS_FILE

FORMAT = "vaslayout-capture 1"
MANIFEST = "capture.json"
DMESG_FILE = "dmesg"
PROC_FILES = ("iomem", "kallsyms", "cpuinfo", "meminfo", "zoneinfo", "vmallocinfo", "buddyinfo", "slabinfo",
              "cmdline", "version", "config.gz", "sys/kernel/osrelease", "sys/kernel/kptr_restrict")
DMESG_KEEP = re.compile(
    r"Linux version|Command line|e820|BIOS-|Zone ranges|Movable zone|Early memory node|node +\d+: \[mem|"
    r"Initmem setup|Memory: |[Vv]irtual kernel memory layout|[Hh]igh[Mm]em|[Ll]ow[Mm]em|vmalloc|KASLR|"
    r"page tables isolation|5-level|paging|NX \(Execute|x86/mm|percpu|Reserving|crashkernel|reserved mem|"
    r"NUMA|memblock|On node|zone|software IO TLB|SATP|satp|sv39|sv48|sv57|Kernel/User|OF: fdt|"
    r"CPU features: detected: .*(VA|Address|LPA)|52-bit|kernel memory|Freeing|mem auto-init|DMA"
)
_TEMP_DIRS: list[tempfile.TemporaryDirectory[str]] = []


class CaptureError(UserError):
    """A capture that cannot be written or opened; str() names the file."""


def memory_lines(dmesg: str) -> str:
    """The kernel log's memory lines, with the indented lines that continue a kept one (zone ranges, tables)."""
    kept: list[str] = []
    keeping = False
    for line in dmesg.splitlines():
        message = re.sub(r"^\[ *\d+\.\d+\] ?", "", line)
        if DMESG_KEEP.search(message) or (keeping and message.startswith("  ")):
            kept.append(line)
            keeping = True
        else:
            keeping = False
    return "".join(f"{line}\n" for line in kept)


def read_kmsg(path: str = "/dev/kmsg") -> str:
    """The kernel log as dmesg prints it ("[    0.000000] message"), read without blocking."""
    lines = []
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        while True:
            try:
                record = os.read(fd, 8192)
            except OSError as exc:
                if exc.errno == errno.EPIPE:  # the ring overwrote what we were about to read: go on
                    continue
                if exc.errno == errno.EAGAIN:
                    break
                raise
            if not record:
                break
            head, _, message = record.decode("utf-8", "replace").partition(";")
            fields = head.split(",")
            micros = int(fields[2]) if len(fields) > 2 and fields[2].isdigit() else 0
            text = message.split("\n", 1)[0]
            lines.append(f"[{micros // 1_000_000:5d}.{micros % 1_000_000:06d}] {text}")
    finally:
        os.close(fd)
    return "\n".join(lines) + "\n"


def kernel_symbols(text: str) -> str:
    """kallsyms without module symbols (their lines end in [module])."""
    return "".join(line + "\n" for line in text.splitlines() if not line.rstrip().endswith("]"))


def first_cpu(text: str) -> str:
    """cpuinfo's first processor block: the flags without a copy per CPU."""
    return text.split("\n\n", 1)[0].rstrip("\n") + "\n"


def symbol_addresses(kallsyms: str, names: tuple[str, ...]) -> dict[str, int]:
    """Address of each wanted symbol that kallsyms shows with a non-zero address."""
    wanted = set(names)
    found: dict[str, int] = {}
    for line in kallsyms.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2] in wanted and parts[2] not in found:
            try:
                addr = int(parts[0], 16)
            except ValueError:
                continue
            if addr:
                found[parts[2]] = addr
    return found


def vars_json(values: dict[str, tuple[int, bytes]], word_bytes: int) -> dict[str, object]:
    """kcore-vars.json: each variable's address, raw bytes and words as read."""
    variables = {}
    for name, (addr, data) in sorted(values.items()):
        ws = kcore.words(data, word_bytes)
        variables[name] = {"address": f"{addr:#x}", "bytes": data.hex(), "value": f"{ws[0]:#x}",
                           "words": [f"{w:#x}" for w in ws]}
    return {"word_bytes": word_bytes, "read_from": "proc/kcore", "variables": variables}


@dataclass
class CaptureReport:
    """What a capture holds and what it could not read (path -> why)."""

    files: dict[str, bytes] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)

    def take(self, path: str, read: Callable[[], bytes]) -> bytes | None:
        """Add one file; an error becomes a line in capture.json, never an exception."""
        try:
            data = read()
        except OSError as exc:
            self.unreadable[path] = exc.strerror or str(exc)
            return None
        except (ValueError, kcore.KcoreError) as exc:
            self.unreadable[path] = str(exc)
            return None
        self.files[path] = data
        return data


def _reader(path: str) -> Callable[[], bytes]:
    def read() -> bytes:
        with open(path, "rb") as f:
            return f.read()
    return read


def collect(root: str = "/", pid: int | None = None) -> CaptureReport:
    """Read everything a capture holds from the system at `root` (the files stay in memory)."""
    report = CaptureReport()
    proc = os.path.join(root, "proc")
    pid = os.getpid() if pid is None else pid
    for name in PROC_FILES:
        data = report.take(f"proc/{name}", _reader(os.path.join(proc, name)))
        if data is not None and name == "kallsyms":
            report.files["proc/kallsyms"] = kernel_symbols(data.decode("utf-8", "replace")).encode()
        elif data is not None and name == "cpuinfo":
            report.files["proc/cpuinfo"] = first_cpu(data.decode("utf-8", "replace")).encode()
    for name in ("maps", "smaps"):
        report.take(f"proc/{pid}/{name}", _reader(os.path.join(proc, str(pid), name)))
    release = report.files.get("proc/sys/kernel/osrelease", os.uname().release.encode()).decode().strip()
    if "proc/config.gz" not in report.files:
        config = report.take(f"boot/config-{release}", _reader(os.path.join(root, "boot", f"config-{release}")))
        if config is not None:
            report.unreadable.pop("proc/config.gz", None)
    report.take(DMESG_FILE, lambda: memory_lines(read_kmsg(os.path.join(root, "dev", "kmsg"))).encode())
    head = report.take("proc/kcore", lambda: kcore.read_head(os.path.join(proc, "kcore")))
    if head is not None:
        _read_vars(report, proc, head)
    report.files[MANIFEST] = json.dumps({
        "format": FORMAT, "release": release, "pid": pid, "unreadable": report.unreadable,
        "origin": {"made_by": "vaslayout capture", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
    }, indent=1).encode() + b"\n"
    return report


def _read_vars(report: CaptureReport, proc: str, head: bytes) -> None:
    """kcore-vars.json, or the reason it is missing, from the kcore head just read."""
    kallsyms = report.files.get("proc/kallsyms", b"").decode()
    symbols = symbol_addresses(kallsyms, LAYOUT_SYMBOLS)
    if not symbols:
        report.unreadable[VARS_FILE] = "kallsyms shows no addresses: the variables cannot be found"
        return
    try:
        headers = kcore.parse_headers(head, "proc/kcore", symbol_addresses(kallsyms, ("_text",)).get("_text"))
        path = os.path.join(proc, "kcore")
        plain = {n: a for n, a in symbols.items() if n != "kernel_map"}
        got = kcore.read_words(path, headers, plain)
        if "kernel_map" in symbols:
            got.update(kcore.read_words(path, headers, {"kernel_map": symbols["kernel_map"]}, KERNEL_MAP_WORDS))
    except (OSError, kcore.KcoreError) as exc:
        report.unreadable[VARS_FILE] = str(getattr(exc, "strerror", None) or exc)
        return
    data = vars_json({n: (symbols[n], b) for n, b in got.items()}, headers.word_bytes)
    report.files[VARS_FILE] = json.dumps(data, indent=1).encode() + b"\n"


def write_tar(report: CaptureReport, out: str) -> None:
    """The capture as a tar.gz, each file at its own path."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path, data in sorted(report.files.items()):
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
            tar.addfile(info, io.BytesIO(data))
    try:
        with open(out, "wb") as f:
            f.write(gzip.compress(buffer.getvalue()))
    except OSError as exc:
        raise CaptureError(f"cannot write {out}: {exc.strerror or exc}") from None


def write_dir(report: CaptureReport, out: str) -> None:
    """The capture as an unpacked directory of the same shape."""
    try:
        for path, data in report.files.items():
            dest = os.path.join(out, path)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as f:
                f.write(data)
    except OSError as exc:
        raise CaptureError(f"cannot write {out}: {exc.strerror or exc}") from None


def open_capture(path: str) -> str:
    """The system root a capture stands for: the directory itself, or a tar.gz unpacked to a temporary one."""
    if os.path.isdir(path):
        if not (os.path.isdir(os.path.join(path, "proc")) or os.path.isfile(os.path.join(path, MANIFEST))):
            raise CaptureError(f"{path}: not a capture (no proc/ and no {MANIFEST})")
        return path
    holder = tempfile.TemporaryDirectory(prefix="vaslayout-capture-")
    _TEMP_DIRS.append(holder)
    try:
        _unpack(path, holder.name)
    except FileNotFoundError:
        raise CaptureError(f"{path}: no such capture") from None
    except OSError as exc:
        raise CaptureError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (EOFError, tarfile.TarError, zlib.error):
        raise CaptureError(f"{path}: not a capture (neither a tar.gz nor a directory)") from None
    return holder.name


def _unpack(path: str, into: str) -> None:
    """Plain files at relative paths only: a capture holds nothing else."""
    with tarfile.open(path, "r:*") as tar:
        for member in tar.getmembers():
            name = os.path.normpath(member.name)
            if not member.isfile() or name.startswith(("/", "..")):
                continue  # a capture holds plain files at relative paths only
            dest = os.path.join(into, name)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            source = tar.extractfile(member)
            if source is not None:
                with open(dest, "wb") as f:
                    shutil.copyfileobj(source, f)


@atexit.register
def _cleanup() -> None:
    for holder in _TEMP_DIRS:
        holder.cleanup()


def manifest(root: str) -> dict[str, object]:
    """capture.json of a capture root ({} for a live system or a capture without one)."""
    try:
        with open(os.path.join(root, MANIFEST), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}

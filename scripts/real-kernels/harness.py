"""Boot Debian's own kernels in QEMU (TCG, no KVM) and write one vaslayout capture per kernel.

Not part of the test run: it installs packages (as root, with apt) and takes
about ten minutes. The captures it writes are committed under
tests/data/captures/ and the tests check every layout against them.

    python3 scripts/real-kernels/harness.py setup            # QEMU, architectures, the trixie suite (pinned low)
    python3 scripts/real-kernels/harness.py run [NAME...]    # fetch, boot, write tests/data/captures/NAME/
    python3 scripts/real-kernels/harness.py run --timeout 7200 riscv64-6.12-sv57   # seconds per boot
    python3 scripts/real-kernels/harness.py list

The guest's /init (init.sh beside this file) collects the kernel's files and
prints them as base64 on the serial console; the host decodes them and trims
them to the layout-relevant part (see trim.py) so the committed set stays small.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]  # targets and trim; the vaslayout package

from targets import TARGETS, Kernel, Target  # noqa: E402
from trim import trim_capture  # noqa: E402

ROOT = HERE.parent.parent
OUT = ROOT / "tests" / "data" / "captures"
CACHE = Path(os.environ.get("VASLAYOUT_KERNEL_CACHE", "/var/tmp/vaslayout-real-kernels"))
BEGIN, END = "=====VASLAYOUT-CAPTURE-BEGIN=====", "=====VASLAYOUT-CAPTURE-END====="
BOOT_TIMEOUT_S = 3600  # a TCG boot of riscv64 Sv57 took up to 6 minutes on two shared cores; --timeout changes it
CONSOLE_TAIL_LINES = 20

SOURCES = """Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
PIN = "Package: *\nPin: release n=trixie\nPin-Priority: 1\n"
HOST_PACKAGES = ["qemu-system-x86", "qemu-system-arm", "qemu-system-misc", "busybox-static"]


def sh(*cmd: str, cwd: Path | None = None) -> str:
    """Run a command, fail loudly, hand back its output."""
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=cwd).stdout


def setup() -> None:
    """Foreign architectures for the kernel packages, trixie for 6.12 and riscv64 (pinned so nothing upgrades)."""
    for arch in sorted({t.kernel.debian_arch for t in TARGETS} - {sh("dpkg", "--print-architecture").strip()}):
        sh("dpkg", "--add-architecture", arch)
    Path("/etc/apt/sources.list.d/vaslayout-real-kernels.sources").write_text(SOURCES)
    Path("/etc/apt/preferences.d/vaslayout-real-kernels").write_text(PIN)
    subprocess.run(["apt-get", "update", "-q"], check=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "-q", *HOST_PACKAGES], check=True, env=env)


def resolve(package: str, suite: str) -> tuple[str, str]:
    """The versioned package a metapackage points at, and its version: ("linux-image-6.1.0-57-amd64", "6.1.192-3")."""
    spec = f"{package}/{suite}" if suite else package
    info = sh("apt-cache", "show", "--no-all-versions", spec)
    depends = re.search(r"^Depends: (\S+) \(= ([^)]+)\)", info, re.M)
    if not depends:
        raise SystemExit(f"{spec}: no versioned image in its Depends")
    return depends.group(1), depends.group(2)


def download(package: str, arch: str, version: str) -> Path:
    """The .deb in the cache, fetched with apt-get download when missing."""
    CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(CACHE.glob(f"{package.split(':')[0]}_*_{arch}.deb"))
    found = [p for p in found if version.replace(":", "%3a") in p.name]
    if not found:
        sh("apt-get", "download", f"{package.split(':')[0]}:{arch}={version}", cwd=CACHE)
        found = [p for p in sorted(CACHE.glob(f"{package.split(':')[0]}_*_{arch}.deb"))
                 if version.replace(":", "%3a") in p.name]
    return found[-1]


def extract(deb: Path, member: str) -> Path:
    """Unpack only MEMBER (a folder of the package's tree) next to the .deb."""
    dest = CACHE / deb.stem
    if not (dest / member).exists():
        dest.mkdir(parents=True, exist_ok=True)
        tarball = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], check=True, capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(tarball)) as tar:
            wanted = [m for m in tar.getmembers() if m.name.lstrip("./").startswith(member)]
            tar.extractall(dest, members=wanted, filter="tar")
    return dest / member


def fetch_kernel(kernel: Kernel) -> tuple[Path, Path, str, str]:
    """(vmlinuz, config, package, version) for one Debian kernel, with a gzip-compressed image unpacked."""
    package, version = resolve(kernel.metapackage, kernel.suite)
    deb = download(package, kernel.debian_arch, version)
    boot = extract(deb, "boot")
    vmlinuz = next(p for pattern in ("vmlinuz-*", "vmlinux-*") for p in boot.glob(pattern))  # riscv64: vmlinux
    config = next(boot.glob("config-*"))
    raw = vmlinuz.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # riscv64 and arm64 ship Image.gz; QEMU's riscv loader wants the Image
        unpacked = vmlinuz.with_suffix(".Image")
        if not unpacked.exists():
            unpacked.write_bytes(gzip.decompress(raw))
        vmlinuz = unpacked
    return vmlinuz, config, package, version


def fetch_busybox(arch: str, suite: str) -> Path:
    """A static busybox for the guest's architecture."""
    spec = f"busybox-static:{arch}/{suite}" if suite else f"busybox-static:{arch}"
    version = re.search(r"^Version: (\S+)", sh("apt-cache", "show", "--no-all-versions", spec), re.M)
    assert version
    deb = download("busybox-static", arch, version.group(1))
    for folder in ("bin", "usr/bin"):  # trixie's package is merged into /usr
        if (extract(deb, folder) / "busybox").is_file():
            return extract(deb, folder) / "busybox"
    raise SystemExit(f"{deb}: no busybox in bin/ or usr/bin/")


def newc(entries: list[tuple[str, int, bytes, tuple[int, int]]]) -> bytes:
    """A cpio "newc" archive: (path, mode, data, (rdev major, minor)) entries, owned by root."""
    out = io.BytesIO()

    def pad(n: int) -> None:
        out.write(b"\0" * ((4 - n % 4) % 4))

    for ino, (path, mode, data, (major, minor)) in enumerate([*entries, ("TRAILER!!!", 0, b"", (0, 0))], 1):
        name = path.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, major, minor, len(name), 0]
        out.write(b"070701" + b"".join(b"%08X" % f for f in fields))
        out.write(name)
        pad(110 + len(name))
        out.write(data)
        pad(len(data))
    return out.getvalue()


def initramfs(busybox: Path, dest: Path) -> Path:
    """The guest's whole userland: busybox, /init and a console node so /init has stdout."""
    entries = [(d, 0o040755, b"", (0, 0)) for d in ("bin", "dev", "proc", "sys", "c")]
    entries += [
        ("dev/console", 0o020600, b"", (5, 1)),
        ("bin/busybox", 0o100755, busybox.read_bytes(), (0, 0)),
        ("init", 0o100755, (HERE / "init.sh").read_bytes(), (0, 0)),
    ]
    dest.write_bytes(gzip.compress(newc(entries), mtime=0))
    return dest


def console_tail(log: Path) -> str:
    """The last lines the guest printed, for a boot that failed or never finished."""
    try:
        lines = log.read_text(errors="replace").replace("\r", "").splitlines()
    except OSError:
        return "(no console log)"
    return "\n".join(lines[-CONSOLE_TAIL_LINES:]) or "(the console stayed empty)"


def boot(target: Target, vmlinuz: Path, initrd: Path, log: Path, timeout: float) -> tuple[list[str], float]:
    """Boot once under TCG with the serial console into LOG; the command line and seconds taken."""
    append = f"console={target.console} no_hash_pointers quiet {target.cmdline}".strip()
    cmd = [*target.qemu, "-m", target.memory, "-smp", "2", "-kernel", str(vmlinuz), "-initrd", str(initrd),
           "-append", append, "-display", "none", "-monitor", "none", "-serial", f"file:{log}", "-no-reboot"]
    started = time.monotonic()
    try:
        subprocess.run(cmd, check=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        tail = console_tail(log)
        raise SystemExit(f"no power-off within {timeout:.0f} s (--timeout); console tail:\n{tail}") from None
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"QEMU exited with {exc.returncode}; console tail:\n{console_tail(log)}") from None
    return cmd, time.monotonic() - started


def decode(log: Path) -> bytes:
    """The guest's tar.gz, from the base64 lines between the markers on its console."""
    text = log.read_text(errors="replace").replace("\r", "")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{log}: the guest printed no capture; console tail:\n{console_tail(log)}") from None
    body = text.split(BEGIN, 1)[1].split(END, 1)[0]
    return base64.b64decode("".join(line.strip() for line in body.splitlines()))


def run(target: Target, timeout: float = BOOT_TIMEOUT_S) -> Path:
    """Fetch, boot and write tests/data/captures/NAME/ for one target, allowing the boot TIMEOUT seconds."""
    vmlinuz, config, package, version = fetch_kernel(target.kernel)
    busybox = fetch_busybox(target.kernel.debian_arch, "trixie" if target.kernel.debian_arch == "riscv64" else "")
    work = CACHE / "boots" / target.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    initrd = initramfs(busybox, work / "initrd.gz")
    cmd, seconds = boot(target, vmlinuz, initrd, work / "console.log", timeout)
    raw = work / "raw"
    with tarfile.open(fileobj=io.BytesIO(decode(work / "console.log"))) as tar:
        tar.extractall(raw, filter="data")
    dest = OUT / target.name
    shutil.rmtree(dest, ignore_errors=True)
    origin = {
        "made_by": "scripts/real-kernels/harness.py (QEMU TCG boot, busybox /init)",
        "kernel_package": f"{package}:{target.kernel.debian_arch} {version}",
        "debian_suite": target.kernel.suite or "bookworm",
        "qemu": " ".join(Path(c).name if c.startswith("/") else c for c in cmd).replace(str(work) + "/", ""),
        "boot_seconds": round(seconds, 1),
    }
    trim_capture(raw, dest, config, origin)
    print(f"{target.name}: {version} booted in {seconds:.0f} s -> {dest.relative_to(ROOT)}")
    return dest


def main(argv: list[str] | None = None) -> int:
    """setup | list | run [NAME...]."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup")
    sub.add_parser("list")
    run_parser = sub.add_parser("run")
    run_parser.add_argument("names", nargs="*")
    run_parser.add_argument("--timeout", type=float, default=BOOT_TIMEOUT_S, metavar="SECONDS",
                            help=f"how long one boot may take before it counts as hung (default {BOOT_TIMEOUT_S})")
    args = parser.parse_args(argv)
    if args.command == "setup":
        setup()
    elif args.command == "list":
        for t in TARGETS:
            print(f"{t.name:28} {t.kernel.metapackage:32} {t.kernel.suite or 'bookworm':9} {' '.join(t.qemu)}")
    else:
        unknown = sorted(set(args.names) - {t.name for t in TARGETS})
        if unknown:
            print(f"harness.py: unknown target {', '.join(unknown)} (see: harness.py list)", file=sys.stderr)
            return 2
        chosen = [t for t in TARGETS if not args.names or t.name in args.names]
        failed = []
        for target in chosen:
            try:
                run(target, args.timeout)
            except (subprocess.SubprocessError, SystemExit, OSError) as exc:
                failed.append(target.name)
                print(f"{target.name}: FAILED: {exc}", file=sys.stderr)
        print(json.dumps({"captured": len(chosen) - len(failed), "failed": failed}))
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

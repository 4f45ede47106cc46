"""The real kernels the harness boots: which Debian package, which QEMU machine, which command line.

Each target becomes one capture under tests/data/captures/NAME/. The machine
facts come from trial boots under TCG (QEMU 7.2, no KVM): qemu-system-i386 hangs
after "Run /init" with more than ~3.5 GiB, so the 686-pae kernel boots in
qemu-system-x86_64; arm64 -cpu cortex-a57 has 48-bit VAs and -cpu max 52-bit;
bookworm has no riscv64 kernel, trixie has; /proc/vmallocinfo shows addresses
only with no_hash_pointers. -cpu max emulates the architected pointer
authentication (QARMA) slowly; pauth-impdef=on takes QEMU's own cheap one,
which changes nothing in the address space.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kernel:
    """One Debian kernel package: the flavour's metapackage in one suite, for one architecture."""

    debian_arch: str  # dpkg architecture: amd64, i386, arm64, armhf, riscv64
    flavour: str  # the metapackage suffix: linux-image-FLAVOUR
    suite: str  # "" = the default candidate (bookworm, 6.1), or "trixie" (6.12)

    @property
    def metapackage(self) -> str:
        """The package name apt resolves to the current versioned image."""
        return f"linux-image-{self.flavour}:{self.debian_arch}"


@dataclass(frozen=True)
class Target:
    """One boot: a kernel, the emulator and its flags, and what the kernel's command line adds."""

    name: str
    kernel: Kernel
    qemu: list[str]
    console: str
    cmdline: str = ""
    memory: str = "4G"


BOOKWORM_AMD64 = Kernel("amd64", "amd64", "")
TRIXIE_AMD64 = Kernel("amd64", "amd64", "trixie")
BOOKWORM_686PAE = Kernel("i386", "686-pae", "")
BOOKWORM_ARM64 = Kernel("arm64", "arm64", "")
TRIXIE_ARM64 = Kernel("arm64", "arm64", "trixie")
BOOKWORM_ARMHF_LPAE = Kernel("armhf", "armmp-lpae", "")
TRIXIE_RISCV64 = Kernel("riscv64", "riscv64", "trixie")

X86_4LEVEL = ["qemu-system-x86_64", "-M", "pc", "-cpu", "max,-la57"]
X86_5LEVEL = ["qemu-system-x86_64", "-M", "pc", "-cpu", "max,+la57"]
ARM64_48 = ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a57"]
ARM64_MAX = ["qemu-system-aarch64", "-M", "virt", "-cpu", "max,pauth-impdef=on"]  # QEMU's cheap pointer auth
ARMHF = ["qemu-system-arm", "-M", "virt,highmem=on", "-cpu", "cortex-a15"]
RISCV64 = ["qemu-system-riscv64", "-M", "virt"]

TARGETS: list[Target] = [
    Target("x86_64-6.1-4level-nokaslr", BOOKWORM_AMD64, X86_4LEVEL, "ttyS0", "nokaslr"),
    Target("x86_64-6.1-4level-kaslr", BOOKWORM_AMD64, X86_4LEVEL, "ttyS0"),
    Target("x86_64-6.1-5level-kaslr", BOOKWORM_AMD64, X86_5LEVEL, "ttyS0"),
    Target("x86_64-6.12-4level-nokaslr", TRIXIE_AMD64, X86_4LEVEL, "ttyS0", "nokaslr"),
    Target("x86_64-6.12-4level-kaslr", TRIXIE_AMD64, X86_4LEVEL, "ttyS0"),
    Target("x86_64-6.12-5level-nokaslr", TRIXIE_AMD64, X86_5LEVEL, "ttyS0", "nokaslr"),
    Target("x86_64-6.12-5level-kaslr", TRIXIE_AMD64, X86_5LEVEL, "ttyS0"),
    Target("i386-6.1-pae-2g", BOOKWORM_686PAE, X86_4LEVEL, "ttyS0", memory="2G"),
    Target("i386-6.1-pae-4g", BOOKWORM_686PAE, X86_4LEVEL, "ttyS0", memory="4G"),
    Target("arm64-6.1-48bit", BOOKWORM_ARM64, ARM64_48, "ttyAMA0"),
    Target("arm64-6.1-max", BOOKWORM_ARM64, ARM64_MAX, "ttyAMA0"),
    Target("arm64-6.12-48bit", TRIXIE_ARM64, ARM64_48, "ttyAMA0"),
    Target("arm64-6.12-52bit", TRIXIE_ARM64, ARM64_MAX, "ttyAMA0"),
    Target("armhf-6.1-lpae", BOOKWORM_ARMHF_LPAE, ARMHF, "ttyAMA0", memory="2G"),
    Target("riscv64-6.12-sv39", TRIXIE_RISCV64, RISCV64, "ttyS0", "no4lvl", memory="2G"),
    Target("riscv64-6.12-sv48", TRIXIE_RISCV64, RISCV64, "ttyS0", "no5lvl", memory="2G"),
    Target("riscv64-6.12-sv57", TRIXIE_RISCV64, RISCV64, "ttyS0", memory="2G"),
]

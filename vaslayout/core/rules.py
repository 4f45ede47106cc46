"""Translation rules (`maps_to:`), registered once: their keys, their wording and what they compute.

The loader checks a `maps_to` against the rule's keys, the details panel and
the JSON export describe it with the rule's own words, and the translator
asks the rule for the physical address, so no module dispatches on a rule's
name. A rule that only the page tables could answer is no rule at all: the
region has no `maps_to`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from vaslayout.core.model import Rule
from vaslayout.core.units import fmt_addr, fmt_size

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from typing import Any

_U64 = (1 << 64) - 1


def _no_phys(rule: Rule, offset: int) -> int | None:
    return None


def _linear_phys(rule: Rule, offset: int) -> int | None:
    """phys = addr - start + phys: the rule's answer; whether RAM backs it (`limit`) is the caller's other fact.

    The kernel computes it in an unsigned long (__phys_addr_nodebug: x - __START_KERNEL_map +
    phys_base), so a KASLR kernel loaded below its link address, whose phys_base is negative
    (0xfffffffff7e00000 as a u64), still lands on its real page: the sum wraps at 2^64.
    """
    return (rule.phys + offset) & _U64


@dataclass(frozen=True)
class RuleKind:
    name: str
    keys: tuple[str, ...]  # what maps_to may hold besides `rule`
    required: tuple[str, ...]
    summary: str  # one line for the docs
    describe: Callable[[Rule, int], str]  # the rule in words, for the details panel
    fields: Callable[[Rule], dict[str, Any]]  # what the JSON export shows of it
    phys: Callable[[Rule, int], int | None] = field(default=_no_phys)  # offset in the region -> phys


def _linear_text(r: Rule, bits: int) -> str:
    backed = f", first {fmt_size(r.limit)} backed" if r.limit is not None else ""
    return f"linear: phys = address - start + {fmt_addr(r.phys, bits)}{backed}"


_RULES = (
    RuleKind("linear", ("phys", "limit"), ("phys",),
             "phys = addr - start + phys; with `limit`, only the first `limit` bytes are backed",
             _linear_text, lambda r: {"phys": r.phys, "limit": r.limit}, _linear_phys),
    RuleKind("struct-page", ("struct_size", "first_pfn"), (),
             "vmemmap: the struct page at addr describes pfn first_pfn + (addr - start) / struct_size",
             lambda r, bits: f"struct page ({r.struct_size} bytes) per pfn",
             lambda r: {"struct_size": r.struct_size, "first_pfn": r.first_pfn}),
    RuleKind("kasan-shadow", (), (),
             "the shadow byte at addr covers the 2^scale_shift bytes at (addr - kasan.offset) << scale_shift",
             lambda r, bits: "KASAN shadow: 1 byte per 8 bytes", lambda r: {}),
)

RULES: dict[str, RuleKind] = {r.name: r for r in _RULES}


def rule_kind(rule: Rule) -> RuleKind:
    return RULES[rule.name]

"""What a layout file says, as read: values still as text, every item with where it was written.

The loader builds these, `extends:` merges them, the engine evaluates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vaslayout.core.positions import Pos


@dataclass(frozen=True)
class Value:
    """An integer expression as written, with where it was written."""

    text: str
    pos: Pos
    quote: int = 0  # columns between pos and the first character of text
    exact: bool = True  # text sits on one line as written, so a column in it maps onto the file


@dataclass(frozen=True)
class NamedSpec:
    name: str
    value: Value
    description: str = ""
    source: str = ""
    choices: dict[int, str] = field(default_factory=dict)
    pos: Pos | None = None


@dataclass(frozen=True)
class RuleSpec:
    name: str
    pos: Pos
    phys: Value | None = None
    limit: Value | None = None
    struct_size: Value | None = None
    first_pfn: Value | None = None


@dataclass(frozen=True)
class RegionSpec:
    name: str
    kind: str
    start: Value
    pos: Pos
    end: Value | None = None
    size: Value | None = None
    last: Value | None = None
    id: str | None = None
    description: str = ""
    source: str = ""
    rule: RuleSpec | None = None
    children: tuple[RegionSpec, ...] = ()
    present: Value | None = None  # `present: EXPR`: the row is left out when it is 0


@dataclass(frozen=True)
class SourceSpec:
    file: str
    repo: str = "torvalds/linux"
    commit: str = ""
    note: str = ""


@dataclass(frozen=True)
class LayoutSpec:
    id: str
    title: str
    arch: str
    address_bits: int
    paging: str
    regions: tuple[RegionSpec, ...]
    origin: str
    summary: str = ""
    sources: tuple[SourceSpec, ...] = ()
    params: tuple[NamedSpec, ...] = ()
    derived: tuple[NamedSpec, ...] = ()
    kasan_offset: Value | None = None
    kasan_scale_shift: Value | None = None
    physical_bits: int | None = None
    physical: tuple[RegionSpec, ...] = ()
    zones: tuple[RegionSpec, ...] = ()
    # `paging: {param: pae, choices: {0: x86-32, 1: x86-32-pae}}`: a param picks the mode
    paging_param: str | None = None
    paging_choices: dict[int, str] = field(default_factory=dict)
    physical_bits_value: Value | None = None  # `bits:` written as an expression
    checks: tuple[CheckSpec, ...] = ()
    roles: tuple[RoleSpec, ...] = ()
    compare: tuple[str, ...] = ()  # layouts to show beside this one
    extends: str = ""  # the base it was built from, if any


@dataclass(frozen=True)
class NamedPatch:
    """A variant's param or derived value: the fields it replaces, or all of a new one."""

    name: str
    pos: Pos
    fields: dict[str, Any]


@dataclass(frozen=True)
class RegionPatch:
    """`regions: {KEY: {...}}` in a variant: KEY is a region id, or a name no other region has."""

    key: str
    pos: Pos
    fields: dict[str, Any]


@dataclass(frozen=True)
class RoleSpec:
    """`roles: {NAME: TEXT}`: a region id (region roles) or an expression (value roles)."""

    name: str
    value: Value
    pos: Pos


@dataclass(frozen=True)
class CheckSpec:
    """`checks: [{require: EXPR, message: TEXT}]`: a combination the kernel refuses."""

    require: Value
    message: str
    pos: Pos

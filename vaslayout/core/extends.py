"""`extends:` - a layout that states only what differs from its base.

A variant names its base (a built-in id, or a file beside it) and gives
top-level keys that replace the base's; params and derived values merged by
name (the fields it gives replace the base's, new names are added at the
end); checks and sources added after the base's; roles merged by name; and
regions patched by id, or by a name no other region of the base carries,
with the fields to replace. All it does not mention is the base's, positions
included, so an error in an inherited row still names the base file's line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from vaslayout.core.spec import (
    CheckSpec,
    LayoutSpec,
    NamedPatch,
    NamedSpec,
    RegionPatch,
    RegionSpec,
    RoleSpec,
    SourceSpec,
)
from vaslayout.core.yamldoc import LayoutError, Pos, close_matches


@dataclass(frozen=True)
class Variant:
    base: str
    pos: Pos
    top: Mapping[str, Any] = field(default_factory=dict)  # LayoutSpec fields that replace the base's
    params: tuple[NamedPatch, ...] = ()
    derived: tuple[NamedPatch, ...] = ()
    checks: tuple[CheckSpec, ...] = ()
    sources: tuple[SourceSpec, ...] = ()
    regions: tuple[RegionPatch, ...] = ()
    roles: tuple[RoleSpec, ...] = ()


def _named(base: tuple[NamedSpec, ...], patches: tuple[NamedPatch, ...], what: str) -> tuple[NamedSpec, ...]:
    items = list(base)
    index = {item.name: i for i, item in enumerate(items)}
    for patch in patches:
        if patch.name in index:
            i = index[patch.name]
            items[i] = replace(items[i], **patch.fields)
        elif "value" not in patch.fields:
            hint = close_matches(patch.name, index)
            tip = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise LayoutError(f"the base has no {what} {patch.name!r} to change{tip}; a new one needs 'value'",
                              patch.pos)
        else:
            index[patch.name] = len(items)
            items.append(NamedSpec(patch.name, pos=patch.pos, **patch.fields))
    return tuple(items)


def _walk(regions: tuple[RegionSpec, ...]):
    for r in regions:
        yield r
        yield from _walk(r.children)


def _target(base: tuple[RegionSpec, ...], patch: RegionPatch) -> RegionSpec:
    everything = list(_walk(base))
    by_id = [r for r in everything if r.id == patch.key]
    if by_id:
        return by_id[0]
    by_name = [r for r in everything if r.name == patch.key]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        raise LayoutError(f"{len(by_name)} regions of the base are named {patch.key!r}; give it an id to change it",
                          patch.pos)
    hint = close_matches(patch.key, [r.id for r in everything if r.id] + [r.name for r in everything])
    tip = f" (did you mean {hint[0]!r}?)" if hint else ""
    raise LayoutError(f"the base has no region with id or name {patch.key!r}{tip}", patch.pos)


def _patched(regions: tuple[RegionSpec, ...], changes: dict[int, Mapping[str, Any]]) -> tuple[RegionSpec, ...]:
    out = []
    for r in regions:
        fields = changes.get(id(r))  # looked up before the children are rebuilt: that makes a new object
        kids = _patched(r.children, changes)
        if kids != r.children:
            r = replace(r, children=kids)
        if fields is not None:
            fields = dict(fields)
            if {"end", "size", "last"} & fields.keys():  # a new end replaces whichever form the base used
                fields = {"end": None, "size": None, "last": None, **fields}
            r = replace(r, **fields)
        out.append(r)
    return tuple(out)


def merge(base: LayoutSpec, variant: Variant, origin: str) -> LayoutSpec:
    """The base with the variant's changes: a complete LayoutSpec, as if written out in full."""
    changes: dict[int, Mapping[str, Any]] = {}
    for patch in variant.regions:
        target = _target(base.regions, patch)
        if id(target) in changes:
            raise LayoutError(f"region {patch.key!r} is changed twice", patch.pos)
        changes[id(target)] = patch.fields
    roles = {r.name: r for r in base.roles}
    roles.update({r.name: r for r in variant.roles})
    return replace(
        base,
        origin=origin,
        extends=variant.base,
        params=_named(base.params, variant.params, "param"),
        derived=_named(base.derived, variant.derived, "derived value"),
        checks=base.checks + variant.checks,
        sources=base.sources + variant.sources,
        regions=_patched(base.regions, changes),
        roles=tuple(roles.values()),
        **variant.top,
    )

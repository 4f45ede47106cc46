"""Questions drawn from a layout, for a class: multiple choice, scored, printable.

`make_quiz(layout, seed, count)` is deterministic: it draws only from
`random.Random(seed)`, never from the global generator, so the same seed
gives the same quiz on every machine. Four kinds of question:

- "region": which region holds this address? (the leaf's name and three
  other leaf names of the layout)
- "phys": what is the physical address of this address? (in a region with
  a linear rule; distractors: the virtual address itself, a page off, the
  region's base added instead of subtracted)
- "canonical": is this address canonical? (yes / no; only for paging modes
  that sign-extend, near the edges of the canonical halves)
- "pgd": which index into the top-level table does this address use?

Every answer comes from `translate()`, the same code that answers a lookup.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from dataclasses import dataclass

from vaslayout.core.model import Layout, Region
from vaslayout.core.translate import linear_regions, translate
from vaslayout.core.units import fmt_addr

KINDS = ("region", "phys", "canonical", "pgd")
INTERESTING = (
    "direct-map", "vmalloc", "kernel-text", "stack", "heap", "fixmap", "pkmap",
    "vsyscall", "modules", "non-canonical",
)
YES_NO = ("yes", "no")
_TRIES = 200  # draws per question before a kind is given up for this slot


@dataclass(frozen=True)
class Question:
    kind: str  # "region" | "phys" | "canonical" | "pgd"
    text: str
    options: tuple[str, ...]
    answer: int  # index into options
    address: int
    explanation: str

    @property
    def answer_text(self) -> str:
        return self.options[self.answer]


def _named_leaves(layout: Layout) -> list[Region]:
    return [leaf for leaf in layout.leaves if not leaf.synthetic]


def _address_in(rng: random.Random, start: int, end: int) -> int:
    """An address in [start, end), 8-byte aligned where the range allows."""
    size = end - start
    if size >= 8:
        return start + (rng.randrange(size >> 3) << 3)
    return start + rng.randrange(size)


def _pick_leaf(rng: random.Random, leaves: list[Region]) -> Region:
    weights = [4 if leaf.kind in INTERESTING else 1 for leaf in leaves]
    return rng.choices(leaves, weights=weights, k=1)[0]


def _with_answer(rng: random.Random, right: str, wrong: Sequence[str]) -> tuple[tuple[str, ...], int]:
    options = [right, *wrong]
    rng.shuffle(options)
    return tuple(options), options.index(right)


def _region_question(layout: Layout, rng: random.Random) -> Question | None:
    leaves = _named_leaves(layout)
    names = sorted({leaf.name for leaf in leaves})
    if len(names) < 4:
        return None
    leaf = _pick_leaf(rng, leaves)
    addr = _address_in(rng, leaf.start, leaf.end)
    t = translate(layout, addr)
    assert t.region is leaf
    others = rng.sample([n for n in names if n != leaf.name], 3)
    options, answer = _with_answer(rng, leaf.name, others)
    return Question("region", f"Which region holds {fmt_addr(addr, layout.address_bits)}?",
                    options, answer, addr, t.explanation)


def _phys_question(layout: Layout, rng: random.Random) -> Question | None:
    regions = [r for r in linear_regions(layout) if r.rule is not None]
    if not regions:
        return None
    bits = layout.address_bits
    page = 1 << layout.paging.page_shift
    owner = rng.choice(regions)
    assert owner.rule is not None
    backed = owner.size if owner.rule.limit is None else min(owner.size, owner.rule.limit)
    if backed <= 0:
        return None
    addr = _address_in(rng, owner.start, owner.start + backed)
    t = translate(layout, addr)
    if t.phys is None:  # a child region with a rule of its own
        return None
    mask = layout.size - 1
    # One mistake of understanding, one of arithmetic, then whatever else is left.
    concept = [addr, (addr + owner.start - owner.rule.phys) & mask]  # virt as phys; base added, not subtracted
    arithmetic = [t.phys + page, t.phys - page]  # a page off
    rest = [t.phys + 2 * page, t.phys - 2 * page, t.phys + (page << 4), *concept, *arithmetic]
    rng.shuffle(concept)
    rng.shuffle(arithmetic)
    rng.shuffle(rest)
    wrong: list[int] = []
    for c in concept[:1] + arithmetic[:1] + concept[1:] + arithmetic[1:] + rest:
        if 0 <= c < layout.size and c != t.phys and c not in wrong:
            wrong.append(c)
    if len(wrong) < 3:
        return None
    order = [wrong[0], wrong[1], rng.choice(wrong[2:])]
    options, answer = _with_answer(rng, fmt_addr(t.phys, bits), [fmt_addr(w, bits) for w in order])
    return Question("phys", f"What is the physical address of {fmt_addr(addr, bits)}?",
                    options, answer, addr, t.explanation)


def _canonical_question(layout: Layout, rng: random.Random) -> Question | None:
    mode = layout.paging
    if not mode.sign_extended:
        return None
    edge = 1 << mode.upper_lo  # the first non-canonical address above the lower half
    top = layout.size - edge  # the first canonical address of the upper half
    page = 1 << mode.page_shift
    near = rng.randrange(1, 4096) * page + rng.randrange(page >> 3) * 8
    choice = rng.randrange(5)
    if choice == 0:
        addr = edge - near  # the top of the lower half
    elif choice == 1:
        addr = edge + near - page  # just past it
    elif choice == 2:
        addr = top - near  # just below the upper half
    elif choice == 3:
        addr = top + near - page  # inside the upper half
    else:  # somewhere in the middle of the hole, with plausible-looking top bits
        addr = _address_in(rng, edge, top)
    addr &= layout.size - 1
    t = translate(layout, addr)
    rule = mode.canonical_rule()
    explanation = f"Canonical: {rule}, and they are. {t.explanation}" if t.canonical else t.explanation
    bits = layout.address_bits
    return Question("canonical", f"Is {fmt_addr(addr, bits)} canonical?",
                    YES_NO, 0 if t.canonical else 1, addr, explanation)


def _pgd_question(layout: Layout, rng: random.Random) -> Question | None:
    levels = layout.paging.levels
    if not levels or levels[0].folded:
        return None
    top = levels[0]
    leaves = [leaf for leaf in _named_leaves(layout) if layout.paging.canonical(leaf.start)]
    if not leaves:
        return None
    leaf = _pick_leaf(rng, leaves)
    addr = _address_in(rng, leaf.start, leaf.end)
    t = translate(layout, addr)
    if not t.canonical:
        return None
    index = t.indices[top.name]
    candidates = [index + 1, index - 1, index ^ (1 << (top.bits - 1)), index + 2, index - 2]
    lower = next((lv for lv in levels[1:] if not lv.folded), None)
    if lower is not None:
        candidates.append(lower.index(addr))  # the next level's index, read from the wrong bits
    rng.shuffle(candidates)
    candidates += list(range(top.entries))  # tiny tables (PAE's 4 entries) need every value
    wrong: list[int] = []
    for c in candidates:
        if 0 <= c < top.entries and c != index and c not in wrong:
            wrong.append(c)
        if len(wrong) == 3:
            break
    if len(wrong) < 3:
        return None
    options, answer = _with_answer(rng, str(index), [str(w) for w in wrong])
    bits = layout.address_bits
    explanation = (f"Bits {top.hi}..{top.lo} of the address are {index} "
                   f"({top.entries} entries in the {top.name}). {t.explanation}")
    return Question("pgd", f"Which {top.name.upper()} index does {fmt_addr(addr, bits)} use?",
                    options, answer, addr, explanation)


_MAKERS = {
    "region": _region_question,
    "phys": _phys_question,
    "canonical": _canonical_question,
    "pgd": _pgd_question,
}


def available_kinds(layout: Layout) -> list[str]:
    """The kinds of question this layout can give (each tried once with a throwaway generator)."""
    out = []
    for kind in KINDS:
        rng = random.Random(0)
        if any(_MAKERS[kind](layout, rng) is not None for _ in range(20)):
            out.append(kind)
    return out


def make_quiz(layout: Layout, seed: int, count: int) -> list[Question]:
    """count questions (fewer only if the layout cannot give that many different ones)."""
    if count < 0:
        raise ValueError(f"count must be 0 or more, not {count}")
    rng = random.Random(seed)
    kinds = available_kinds(layout)
    if not kinds or count == 0:
        return []
    order = list(kinds)
    rng.shuffle(order)
    seen: set[tuple[str, int]] = set()
    out: list[Question] = []
    slot = 0
    while len(out) < count and slot < count + _TRIES:
        kind = order[slot % len(order)]
        slot += 1
        for _ in range(_TRIES):
            q = _MAKERS[kind](layout, rng)
            if q is not None and (q.kind, q.address) not in seen:
                seen.add((q.kind, q.address))
                out.append(q)
                break
    return out


def _index(answer: int | str | None) -> int | None:
    if isinstance(answer, str):
        a = answer.strip().upper()
        return string.ascii_uppercase.index(a) if len(a) == 1 and a in string.ascii_uppercase else None
    return answer


def score(questions: Sequence[Question], answers: Sequence[int | str | None]) -> tuple[int, int]:
    """(right, total): an answer is an option index or its letter; a missing one is wrong."""
    right = sum(1 for q, a in zip(questions, answers, strict=False) if _index(a) == q.answer)
    return right, len(questions)


def letter(i: int) -> str:
    return string.ascii_uppercase[i]


def to_markdown(layout: Layout, questions: Sequence[Question]) -> str:
    """A paper handout: numbered questions with lettered options, then the answer key."""
    lines = [f"# Quiz: {layout.title}", "", f"Layout `{layout.id}`, {len(questions)} questions.", ""]
    for n, q in enumerate(questions, 1):
        lines.append(f"{n}. {q.text}")
        lines.append("")
        lines.extend(f"   - {letter(i)}. {opt}" for i, opt in enumerate(q.options))
        lines.append("")
    lines += ["## Answer key", ""]
    for n, q in enumerate(questions, 1):
        lines.append(f"{n}. **{letter(q.answer)}** ({q.answer_text}): {' '.join(q.explanation.split())}")
    lines.append("")
    return "\n".join(lines)

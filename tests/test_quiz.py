"""make_quiz: deterministic per seed, every answer checked again against translate()."""

from __future__ import annotations

import re

import pytest

from vaslayout.catalog import builtin_ids, load
from vaslayout.core.translate import translate
from vaslayout.core.units import fmt_addr
from vaslayout.teach.quiz import KINDS, Question, make_quiz, score, to_markdown


def check(layout, q: Question) -> None:
    """The marked option is the right one, recomputed here from translate()."""
    t = translate(layout, q.address)
    bits = layout.address_bits
    assert q.kind in KINDS
    assert len(set(q.options)) == len(q.options)
    assert 0 <= q.answer < len(q.options)
    assert fmt_addr(q.address, bits) in q.text
    assert q.explanation
    right = q.options[q.answer]
    if q.kind == "region":
        assert len(q.options) == 4
        assert right == t.region.name
        leaf_names = {leaf.name for leaf in layout.leaves if not leaf.synthetic}
        assert set(q.options) <= leaf_names
        assert not t.region.synthetic
        assert t.explanation == q.explanation
    elif q.kind == "phys":
        assert len(q.options) == 4
        assert t.phys is not None
        assert right == fmt_addr(t.phys, bits)
        assert t.explanation == q.explanation
    elif q.kind == "canonical":
        assert layout.paging.sign_extended
        assert q.options == ("yes", "no")
        assert right == ("yes" if t.canonical else "no")
        assert q.explanation.endswith(t.explanation)
    else:
        assert len(q.options) == 4
        top = layout.paging.levels[0]
        assert int(right) == t.indices[top.name] == (q.address >> top.lo) & (top.entries - 1)
        assert all(0 <= int(o) < top.entries for o in q.options)
        assert q.explanation.endswith(t.explanation)


@pytest.mark.parametrize("layout_id", builtin_ids())
@pytest.mark.parametrize("seed", [0, 1, 2024])
def test_every_answer_is_right(layout_id, seed):
    layout = load(layout_id)
    quiz = make_quiz(layout, seed, 16)
    assert len(quiz) == 16
    for q in quiz:
        check(layout, q)
    assert len({(q.kind, q.address) for q in quiz}) == len(quiz)


def test_same_seed_same_quiz_other_seed_other_quiz():
    layout = load("x86_64-4level")
    a = make_quiz(layout, 42, 10)
    assert a == make_quiz(load("x86_64-4level"), 42, 10)
    assert a != make_quiz(layout, 43, 10)
    assert to_markdown(layout, a) == to_markdown(layout, make_quiz(layout, 42, 10))


def test_count_is_respected_and_kinds_are_mixed():
    layout = load("x86_64-5level")
    for count in (0, 1, 3, 7, 25):
        assert len(make_quiz(layout, 5, count)) == count
    assert {q.kind for q in make_quiz(layout, 5, 8)} == set(KINDS)
    with pytest.raises(ValueError):
        make_quiz(layout, 5, -1)


def test_no_canonical_questions_without_sign_extension():
    layout = load("x86_32-vmsplit-3g")
    kinds = {q.kind for q in make_quiz(layout, 3, 30)}
    assert kinds == {"region", "phys", "pgd"}


def test_canonical_questions_have_both_answers_near_the_edges():
    layout = load("x86_64-4level")
    qs = [q for q in make_quiz(layout, 11, 80) if q.kind == "canonical"]
    assert {q.options[q.answer] for q in qs} == {"yes", "no"}
    edges = (1 << 47, (1 << 64) - (1 << 47))
    near = [q for q in qs if min(abs(q.address - e) for e in edges) < 1 << 30]
    assert len(near) >= len(qs) // 2


def test_phys_distractors_are_plausible():
    layout = load("x86_64-4level")
    qs = [q for q in make_quiz(layout, 9, 40) if q.kind == "phys"]
    assert qs
    for q in qs:
        phys = translate(layout, q.address).phys
        wrong = [int(o, 16) for i, o in enumerate(q.options) if i != q.answer]
        # one mistake of understanding (the virtual address, or the base added) and one a page off
        assert any(w == q.address or w == (q.address + (q.address - phys)) % (1 << 64) for w in wrong)
        assert any(abs(w - phys) == 4096 for w in wrong)


def test_score():
    layout = load("x86_64-4level")
    quiz = make_quiz(layout, 1, 4)
    right = [q.answer for q in quiz]
    assert score(quiz, right) == (4, 4)
    assert score(quiz, [(a + 1) % len(q.options) for q, a in zip(quiz, right, strict=True)]) == (0, 4)
    assert score(quiz, right[:2]) == (2, 4)
    assert score(quiz, ["ABCD"[a] for a in right[:3]] + [None]) == (3, 4)
    assert score(quiz, ["abcd"[a] for a in right]) == (4, 4)
    assert score([], []) == (0, 0)


def test_handout_has_questions_options_and_answer_key():
    layout = load("x86_64-4level")
    quiz = make_quiz(layout, 7, 6)
    md = to_markdown(layout, quiz)
    head, key = md.split("\n## Answer key\n")
    assert head.startswith("# Quiz: x86-64 Linux, 4-level paging")
    for n, q in enumerate(quiz, 1):
        assert f"\n{n}. {q.text}\n" in head
        for i, option in enumerate(q.options):
            assert f"   - {'ABCD'[i]}. {option}\n" in head
    key_lines = [line for line in key.splitlines() if line]
    assert len(key_lines) == len(quiz)
    for n, (line, q) in enumerate(zip(key_lines, quiz, strict=True), 1):
        m = re.fullmatch(r"(\d+)\. \*\*([A-D])\*\* \((.+?)\): (.+)", line)
        assert m, line
        assert int(m.group(1)) == n
        assert "ABCD".index(m.group(2)) == q.answer
        assert m.group(3) == q.options[q.answer]
        assert m.group(4) == q.explanation

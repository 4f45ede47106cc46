"""A class's quiz answers: one small file per follower, beside the follow channel, counted by the teacher.

Each follower writes only its own slot, `answers/SLOT.json` (SLOT: 16 random
hex digits it draws once), atomically, holding the question's id and the
option it chose; no name, nothing else. The teacher counts at most
MAX_SLOTS slots, reads at most MAX_ANSWER_BYTES of each, and ignores
anything that is not an answer to the question on screen, so a follower
cannot flood the tally, vote twice or make the teacher read a large file.
Pure: no Textual.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from pathlib import Path

from vaslayout.state import write_json

MAX_SLOTS = 500  # a class, not a stadium: slots past this many are not read
MAX_ANSWER_BYTES = 256
_SLOT = re.compile(r"^[0-9a-f]{16}\.json$")


def answers_dir(channel: Path) -> Path:
    """Where the answers to the quiz shared on `channel` go: a folder beside the view file."""
    return channel.parent / "answers"


def new_slot() -> str:
    return secrets.token_hex(8)


def write_answer(folder: Path, slot: str, question: str, choice: int) -> None:
    """This follower's answer, all or nothing, in its own slot (the slot name is checked, never a path)."""
    if not _SLOT.match(f"{slot}.json"):
        raise ValueError(f"not a slot: {slot!r}")
    write_json(folder / f"{slot}.json", {"question": question, "choice": choice})


def _answer(path: Path, question: str, options: int) -> int | None:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_ANSWER_BYTES + 1)
        data = json.loads(raw) if len(raw) <= MAX_ANSWER_BYTES else None
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("question") != question:
        return None
    choice = data.get("choice")
    if not isinstance(choice, int) or isinstance(choice, bool) or not 0 <= choice < options:
        return None
    return choice


def tally(folder: Path, question: str, options: int) -> list[int]:
    """How many slots chose each option of `question` (one vote per slot; malformed slots count nothing)."""
    counts = [0] * options
    try:
        entries = os.scandir(folder)
    except OSError:
        return counts
    with entries:
        seen = 0
        for entry in entries:
            if not _SLOT.match(entry.name) or not entry.is_file(follow_symlinks=False):
                continue
            seen += 1
            if seen > MAX_SLOTS:
                break
            choice = _answer(Path(entry.path), question, options)
            if choice is not None:
                counts[choice] += 1
    return counts


def clear(folder: Path) -> None:
    """Forget the last question's answers (the teacher starts a quiz)."""
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if _SLOT.match(entry.name):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)

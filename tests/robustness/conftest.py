"""Shared helpers for the robustness tests: the real CLI, and a private state folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A process that maps and unmaps memory without pause, so its maps change between any two reads.
CHURN = """
import mmap, random
rng = random.Random(1)
held = []
print("ready", flush=True)
while True:
    held.append(mmap.mmap(-1, 4096 * rng.randint(1, 64)))
    if len(held) > 50:
        held.pop(rng.randrange(len(held))).close()
"""


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings and history go to a fresh folder, never the user's own."""
    folder = tmp_path / "state"
    monkeypatch.setenv("VASLAYOUT_STATE_DIR", str(folder))
    return folder


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def cli(*args: str, cwd: Path) -> Run:
    """`python -m vaslayout ARGS` from this checkout, timed from spawn to exit."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "vaslayout", *args], cwd=cwd, env=env,
                       capture_output=True, text=True, errors="backslashreplace", timeout=60)
    return Run(tuple(args), p.returncode, p.stdout, p.stderr, time.perf_counter() - t0)


def one_user_error(run: Run) -> str:
    """Exit 2, nothing on stdout, exactly one line on stderr, no traceback; the line."""
    assert run.returncode == 2, run
    assert "Traceback" not in run.stderr, run.stderr
    assert run.stdout == "", run.stdout
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert run.stderr.endswith("\n")
    return lines[0]

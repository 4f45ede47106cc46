"""Time budgets for hostile input, measured here instead of asserted inside tests. Prints figures.

The tests check what vaslayout does with a broken file, a huge expression or
a FIFO; how long it takes depends on how busy the machine is, so those
budgets live here: every case of tests/robustness/test_corpus.py and
test_cli_inputs.py through the real CLI (budget WALL_LIMIT, interpreter
start included), and the in-process cases the unit tests once timed. Each
line prints the time, the budget and their ratio.

    python benchmarks/limits.py [--tiny]

Exit status 1 if a case is over its budget (with --tiny: a few cases, never judged).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WALL_LIMIT = 2.0  # seconds per CLI process, interpreter start included (about 0.3 s of it)
WORK_LIMIT = 1.0  # seconds of vaslayout's own work per corpus file, in this process


def timed(fn: Callable[[], object]) -> float:
    """Seconds the call took; a call that times its own parts returns the figure itself (a float)."""
    t0 = time.perf_counter()
    try:
        got = fn()
    except Exception:  # noqa: BLE001  the cases are errors by design; the tests check which
        got = None
    return got if isinstance(got, float) else time.perf_counter() - t0


def in_process_cases(tmp: Path) -> dict[str, tuple[Callable[[], object], float]]:
    """name -> (the call, its budget in seconds): what the unit tests once timed."""
    from tests.test_procfs import generated_maps
    from vaslayout import proc
    from vaslayout.core import expr
    from vaslayout.core.loader import MAX_FILE_BYTES, load_file, load_text

    laughs = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    laughs += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    big = tmp / "big.yaml"
    big.write_text("# " + "x" * MAX_FILE_BYTES + "\n")
    maps_root = tmp / "proc"
    (maps_root / "777").mkdir(parents=True)
    (maps_root / "777" / "maps").write_text(generated_maps())
    cases: dict[str, tuple[Callable[[], object], float]] = {
        "billion laughs": (lambda: load_text("\n".join(laughs) + "\n"), 0.5),
        "a file over 1 MiB": (lambda: load_file(big), 0.2),
        "[[[ 200,000 deep": (lambda: load_text("[" * 200_000 + "]" * 200_000), 1.0),
        "{a: 50,000 deep": (lambda: load_text("a: " + "{a: " * 50_000 + "1" + "}" * 50_000), 1.0),
        "- 5,000 deep": (lambda: load_text("- " * 5000 + "x"), 1.0),
        "a 1 MB number": (lambda: expr.evaluate_text("1" * 1_000_000, {}), 0.1),
        "10,000 parentheses": (lambda: expr.evaluate_text("(" * 10_000 + "1" + ")" * 10_000, {}), 0.1),
        "10,000 min( calls": (lambda: expr.evaluate_text("min(" * 10_000 + "1" + ")" * 10_000, {}), 0.1),
        "65,530 maps lines": (lambda: proc.read_maps(777, root=str(maps_root)), 2.0),
    }
    if os.path.exists("/dev/zero"):
        cases["/dev/zero as a layout"] = (lambda: load_file("/dev/zero"), 0.5)
    if hasattr(os, "mkfifo"):
        fifo = tmp / "fifo.yaml"
        os.mkfifo(fifo)
        cases["a FIFO nobody writes to"] = (lambda: load_file(fifo), WORK_LIMIT)
    rng = random.Random(1)
    alphabet = list("0123456789abcdefxKMGTPE_ +-*/%()<>&|^~,.") + ["<<", ">>", "**", "min(", "max(", "1 << 128"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(60))) for _ in range(300)]

    def slowest_expression() -> float:
        return max(timed(lambda t=text: expr.evaluate_text(t, {"a": 1 << 64, "b.end": 4096})) for text in texts)

    cases["the slowest of 300 random expressions"] = (slowest_expression, 0.5)
    return cases


def cli_cases(tmp: Path, tiny: bool) -> dict[str, list[str]]:
    """name -> the CLI arguments: every corpus, generated and good file, and the hostile values."""
    from tests.robustness.test_cli_inputs import CASES
    from tests.robustness.test_corpus import CORPUS, CORPUS_DIR, GENERATED, GOOD

    out = {f"validate {name}": ["validate", str(CORPUS_DIR / name)] for name in sorted(CORPUS)}
    if not tiny:
        for name, (write, _) in GENERATED.items():
            write(tmp / name)
            out[f"validate {name!r}"] = ["validate", str(tmp / name)]
        for name, write in GOOD.items():
            write(tmp / name)
            out[f"validate {name}"] = ["validate", str(tmp / name)]
    out.update({case: args for case, (args, _) in sorted(CASES.items())})
    return dict(list(out.items())[:4]) if tiny else out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true", help="a few cases, to check that the script runs")
    args = ap.parse_args()
    from tests.robustness.conftest import cli

    over = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        print(f"{'case':<58}{'seconds':>9}{'budget':>8}{'ratio':>7}")
        cases = in_process_cases(tmp)
        for name, (fn, budget) in (list(cases.items())[:3] if args.tiny else cases.items()):
            enabled = gc.isenabled()
            seconds = timed(fn)
            if enabled:
                gc.enable()
            print(f"{name:<58}{seconds:9.3f}{budget:8.2f}{seconds / budget:7.2f}")
            over += [name] if seconds > budget else []
        work = tmp / "work"
        work.mkdir()
        for name, argv in cli_cases(tmp, args.tiny).items():
            run = cli(*argv, cwd=work)
            shown = name if len(name) <= 57 else name[:54] + "..."
            print(f"{shown:<58}{run.seconds:9.3f}{WALL_LIMIT:8.2f}{run.seconds / WALL_LIMIT:7.2f}")
            over += [name] if run.seconds > WALL_LIMIT else []
    print(f"{len(over)} over budget" + (": " + ", ".join(over) if over else ""))
    return 1 if over and not args.tiny else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The `vaslayout` command. Non-interactive commands never import Textual."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence

from vaslayout.cli import interactive, layouts, live
from vaslayout.cli.common import EXIT_USER_ERROR
from vaslayout.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vaslayout",
        description="See and query Linux virtual address-space layouts.",
        epilog="With no command, opens the interactive map on x86_64-4level.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (layouts, live, interactive):
        module.add_parsers(sub)
    return parser


EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a writer killed by SIGPIPE, as `yes | head` does


def _drop_stdout() -> None:
    """Point stdout at /dev/null: what is still buffered for a closed pipe or a full disk is dropped
    instead of failing again in the interpreter's last flush."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "lookup" and not any(e.startswith("-") and not e[1:2].isdigit() for e in extra):
        args.addresses += extra  # addresses after an option: lookup LAYOUT --set ram=4G ADDR
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        args = parser.parse_args(["open", "x86_64-4level"])
    elif args.command == "open" and args.layout is None and args.pid is None:
        args.layout = "x86_64-4level"
    if args.command == "compare" and not 2 <= len(args.layouts) <= 3:
        parser.error("compare takes two or three layouts")
    if args.command == "show" and args.depth is not None and args.depth < 1:
        parser.error("--depth must be at least 1")
    collect = gc.isenabled()
    if args.command not in ("screenshot", "serve", "export"):
        # a short run, or an app's start-up: many new objects and no garbage cycles
        # (apps resume the collector after their first frame: run_app)
        gc.disable()
    try:
        status = args.func(args)
        sys.stdout.flush()  # a full disk shows here, not in the interpreter's last flush (exit 120)
        return status
    except UserError as exc:
        print(f"vaslayout: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _drop_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as exc:  # the output: stdout on a full disk, -o naming a directory or a missing folder
        _drop_stdout()
        where = f"{exc.filename}: " if exc.filename else "cannot write the output: "
        print(f"vaslayout: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except Exception:
        import traceback

        from vaslayout.crashlog import report_crash

        return report_crash(traceback.format_exc())
    finally:
        if collect:
            gc.enable()  # callers in the same process (tests) get their collector back


if __name__ == "__main__":
    raise SystemExit(main())

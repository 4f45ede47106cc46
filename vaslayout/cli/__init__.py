"""The `vaslayout` command. Non-interactive commands never import Textual."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from vaslayout import __version__
from vaslayout.cli.common import EXIT_USER_ERROR
from vaslayout.core import collector
from vaslayout.errors import UserError

TYPE_CHECKING = False  # typing is for the checker only: importing it costs a short command's start-up
if TYPE_CHECKING:
    from typing import Any, NoReturn


class Formatter(argparse.HelpFormatter):
    """argparse's formatter, told the width: its own asks shutil, whose import (bz2, lzma) costs
    more than the rest of argparse, and it makes one formatter for every argument added."""

    def __init__(self, prog: str, **kwargs: Any) -> None:
        kwargs.setdefault("width", _columns() - 2)
        super().__init__(prog, **kwargs)


def _columns() -> int:
    """What shutil.get_terminal_size() says: $COLUMNS, else the terminal's, else 80."""
    if os.environ.get("COLUMNS", "").isdigit() and int(os.environ["COLUMNS"]) > 0:
        return int(os.environ["COLUMNS"])
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class Parser(argparse.ArgumentParser):
    """argparse, with each error one line that names the sub-command and gives its usage; exit 2.

    argparse prints the usage on lines of its own, then "PROG: error: ...";
    sub-parsers are made from this class too (add_subparsers uses the
    parent's class), so `vaslayout show --depth x` names show's usage, not
    the top level's.
    """

    commands: dict[str, Parser]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", Formatter)  # sub-parsers too: add_parser passes no formatter
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        usage = " ".join(self.format_usage().split())
        self.exit(EXIT_USER_ERROR, f"{self.prog}: {message} ({usage})\n")

    def command(self, name: str | None) -> Parser:
        """The sub-command's own parser, for errors found after parsing."""
        return self.commands.get(name or "", self)


# The modules that register the commands, in the order `vaslayout --help` lists them.
MODULES = ("layouts", "live", "capture", "report", "memory", "interactive", "serve", "completion")
# Which module registers each command: `vaslayout lookup ...` imports and builds only cli.lookup's
# parser, not the other seventeen (about a third of a short command's start-up).
# tests/test_cli_startup.py holds this equal to what MODULES register.
COMMANDS = {
    "list": "layouts", "show": "layouts", "lookup": "lookup", "validate": "layouts", "export": "layouts",
    "diff": "layouts", "detect": "live", "capture": "capture", "explain": "report", "kmalloc": "memory",
    "demo": "memory", "open": "interactive", "compare": "interactive", "tour": "interactive",
    "quiz": "interactive", "screenshot": "interactive", "serve": "serve", "completion": "completion",
}


def build_parser(command: str | None = None) -> Parser:
    """The whole parser, or, given a known command, one with only the commands of its module."""
    import importlib

    parser = Parser(
        prog="vaslayout",
        description="See and query Linux virtual address-space layouts.",
        epilog="With no command, opens the interactive map on x86_64-4level.",
    )
    parser.add_argument("--version", action="version", version=f"vaslayout {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in (COMMANDS[command],) if command in COMMANDS else MODULES:
        importlib.import_module(f"vaslayout.cli.{name}").add_parsers(sub)
    parser.commands = sub.choices
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
    argv = list(sys.argv[1:] if argv is None else argv)
    completing = "_ARGCOMPLETE" in os.environ
    parser = build_parser(None if completing or not argv else argv[0])
    if completing:  # a shell asks for completions (vaslayout completion SHELL set it up)
        import argcomplete

        argcomplete.autocomplete(parser)
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "lookup" and not any(e.startswith("-") and e != "-" and not e[1:2].isdigit()
                                                      for e in extra):
        args.addresses += extra  # addresses after an option: lookup LAYOUT --set ram=4G ADDR (or - for stdin)
    elif extra:
        parser.command(args.command).error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        args = parser.parse_args(["open", "x86_64-4level"])
    elif (args.command == "open" and args.layout is None and args.pid is None and args.capture is None
          and not args.report):
        args.layout = "x86_64-4level"
    if args.command == "compare" and not 2 <= len(args.layouts) <= 3:
        parser.command("compare").error("compare takes two or three layouts")
    if args.command == "show" and args.depth is not None and args.depth < 1:
        parser.command("show").error("--depth must be at least 1")
    # a short run, or an app's start-up: many new objects and no garbage cycles
    # (the app resumes the collector after its first frame)
    quick = args.command not in ("screenshot", "serve", "export")
    try:
        with collector.paused() if quick else contextlib.nullcontext():
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


if __name__ == "__main__":
    raise SystemExit(main())

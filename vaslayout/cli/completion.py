"""`vaslayout completion SHELL`: tab completion for bash, zsh and fish, by argcomplete.

The script a shell sources runs `vaslayout` with _ARGCOMPLETE set at each
Tab; main() then hands the parser to argcomplete before parsing, so
completion knows every command and option without a hand-kept list. LAYOUT
arguments complete to the built-in ids and YAML files (common.complete_layout).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

SHELLS = ("bash", "zsh", "fish")


def cmd_completion(args: argparse.Namespace) -> int:
    import argcomplete

    sys.stdout.write(argcomplete.shellcode(["vaslayout"], shell=args.shell))
    return 0


def add_parsers(sub: Any) -> None:
    """Register `completion`."""
    p = sub.add_parser("completion", help="print a shell's tab-completion script (bash, zsh, fish)",
                       description="bash/zsh: eval \"$(vaslayout completion bash)\" in ~/.bashrc or ~/.zshrc; "
                                   "fish: vaslayout completion fish > ~/.config/fish/completions/vaslayout.fish")
    p.add_argument("shell", choices=SHELLS)
    p.set_defaults(func=cmd_completion)

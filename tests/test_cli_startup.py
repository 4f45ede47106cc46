"""A command names its module in cli.COMMANDS, so `vaslayout lookup ...` builds only lookup's parser."""

from __future__ import annotations

import pytest

from vaslayout import cli


def test_the_command_table_is_what_the_modules_register() -> None:
    assert list(cli.build_parser().commands) == list(cli.COMMANDS)


@pytest.mark.parametrize("command", list(cli.COMMANDS))
def test_a_commands_own_parser_is_the_one_of_the_whole(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    alone = cli.build_parser(command)
    assert command in alone.commands and len(alone.commands) < len(cli.COMMANDS)
    assert alone.commands[command].format_help() == cli.build_parser().commands[command].format_help()


def test_help_is_as_wide_as_columns_says(monkeypatch: pytest.MonkeyPatch) -> None:
    """argparse's own formatter asks shutil.get_terminal_size; ours reads the same $COLUMNS."""
    monkeypatch.setenv("COLUMNS", "60")
    narrow = cli.build_parser("lookup").commands["lookup"].format_help()
    monkeypatch.setenv("COLUMNS", "200")
    wide = cli.build_parser("lookup").commands["lookup"].format_help()
    assert max(map(len, narrow.splitlines())) <= 58 < max(map(len, wide.splitlines()))

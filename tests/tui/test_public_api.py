"""vaslayout/tui uses Textual's public API only: no override, call or read of a Textual private name."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import textual

import vaslayout.tui

TUI = Path(vaslayout.tui.__file__).parent
OWN = re.compile(r"(?:\bdef\s+|\bself\.)(_[a-z][a-z0-9_]*)")  # a class's own private names
OTHER = re.compile(r"(?:(?<!\bself)\.|getattr\([^,]+,\s*[\"'])(_[a-z][a-z0-9_]*)")  # on what is not self


def project_classes() -> list[type]:
    """The classes vaslayout/tui defines."""
    found = []
    for path in sorted(TUI.glob("*.py")):
        module = importlib.import_module(f"vaslayout.tui.{path.stem}")
        found += [c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__]
    return found


def private_names(cls: type) -> set[str]:
    """The private names a Textual class defines or sets on itself (`def _x`, `self._x`)."""
    if not Path(inspect.getfile(cls)).is_relative_to(Path(textual.__file__).parent):
        return set()
    return {n for n in OWN.findall(inspect.getsource(cls)) if not n.startswith("__")}


def textual_names(cls: type) -> set[str]:
    return set().union(*(private_names(b) for b in cls.__mro__ if b.__module__.startswith("textual")))


def test_the_scan_would_see_a_private_name() -> None:
    from textual.app import App
    from textual.widgets import OptionList

    assert {"_on_key"} <= textual_names(App) and {"_move_page", "_index_to_line"} <= textual_names(OptionList)


def test_no_class_of_the_tui_overrides_or_shadows_a_private_textual_name() -> None:
    clashes = {f"{cls.__module__}.{cls.__name__}": sorted(own & textual_names(cls))
               for cls in project_classes()
               if (own := set(OWN.findall(inspect.getsource(cls)))) & textual_names(cls)}
    assert not clashes, clashes


def test_no_private_textual_name_is_reached_on_another_object() -> None:
    """`super()._x(`, `widget._x`, `getattr(widget, "_x")`: none names a Textual private."""
    names = set().union(*(textual_names(cls) for cls in project_classes()))
    found = [f"{path.name}:{number}: {name}"
             for path in sorted(TUI.glob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             for name in OTHER.findall(line.split("#", 1)[0]) if name in names]
    assert not found, found

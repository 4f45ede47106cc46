"""Every key of the map, declared once: bindings, footer, palette and help are built from here.

A key is added by adding one `Action` row. `where` says which bindings it
joins ("app": the App's, "map": the map's, "split": the split view's);
`footer` whether the footer shows it; `group` folds neighbouring footer
keys under one label (Textual's Binding.Group); `palette` whether the
command palette offers it. Users remap keys in keymap.toml by binding id
(see `keymap_path`).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from textual.binding import Binding

# Footer groups: neighbouring keys under one label, so ? Help and q Quit fit in 80 columns.
ZOOM = Binding.Group("Zoom")
LIVE = Binding.Group("Re-read")
TOUR = Binding.Group("Step")
KMAP = Binding.Group("kmap()/local")


@dataclass(frozen=True)
class Action:
    id: str  # the binding id a keymap file names
    keys: str  # Textual key names, comma separated
    action: str  # the action string the binding runs, with its arguments
    label: str  # the footer's few words
    help: str  # the help screen's and the palette's sentence
    where: str = "app"  # whose bindings: "app", "map", "split"
    footer: bool = True
    palette: str = ""  # the palette's title; "" keeps it out of the palette
    group: Binding.Group | None = None
    shown_keys: str = ""  # how help writes the keys, when not simply the key names


ACTIONS: tuple[Action, ...] = (
    # a tour's n / p come first: while a tour plays, p steps back instead of editing params
    Action("tour.next", "n", "tour_step(1)", "Next step", "a tour: the next step", group=TOUR,
           palette="Next tour step"),
    Action("tour.prev", "p", "tour_step(-1)", "Previous step", "a tour: the previous step", group=TOUR,
           palette="Previous tour step"),
    Action("map.up", "up,k", "move(-1)", "Up", "previous region", where="map", footer=False),
    Action("map.down", "down,j", "move(1)", "Down", "next region", where="map", footer=False),
    Action("map.pageup", "pageup", "page(-1)", "Page up", "a page up", where="map", footer=False),
    Action("map.pagedown", "pagedown", "page(1)", "Page down", "a page down", where="map", footer=False),
    Action("map.home", "home", "edge(-1)", "Top", "the top region", where="map", footer=False),
    Action("map.end", "end", "edge(1)", "Bottom", "the bottom region", where="map", footer=False),
    Action("map.zoom_in", "enter", "zoom_in", "Zoom in", "zoom into the selected region (its children fill the view)",
           where="map", palette="Zoom in", group=ZOOM),
    Action("map.zoom_out", "backspace,escape", "zoom_out", "Zoom out", "zoom out to the parent region",
           where="map", palette="Zoom out", group=ZOOM),
    Action("map.window_in", "plus,equals_sign", "window(4)", "Linear +/-",
           "zoom in linearly around the cursor, down to single pages", where="map", footer=False,
           palette="Zoom in linearly"),
    Action("map.window_out", "minus", "window(0.25)", "Zoom -", "zoom out linearly around the cursor",
           where="map", footer=False, palette="Zoom out linearly"),
    Action("map.reset", "0", "reset", "Reset", "reset the zoom to the whole address space", where="map",
           footer=False, palette="Reset zoom"),
    Action("map.scale", "s", "cycle_scale", "Scale", "scale: logarithmic, proportional, equal", where="map",
           footer=False, palette="Cycle scale"),
    Action("app.lookup", "slash,g", "lookup", "Lookup", "look up an address (↑ ↓ walk the history)",
           palette="Look up an address"),
    Action("app.layout", "l", "pick_layout", "Layout", "switch layout", palette="Switch layout"),
    Action("app.params", "p", "edit_params", "Params", "edit params (RAM size, KASLR bases, ...)",
           palette="Edit params"),
    Action("app.compare", "c", "compare", "Compare", "compare layouts side by side on one address axis",
           footer=False, palette="Compare layouts"),
    Action("app.split", "v", "split", "Split",
           "split view: virtual beside physical, a band for every 1:1 mapping", footer=False,
           palette="Split view"),
    Action("app.physical", "m", "physical", "Physical",
           "physical memory (a live process: the machine's /proc/iomem) and the virtual aliases of each range",
           footer=False, palette="Physical memory"),
    Action("app.reload", "r", "reload", "Re-read", "a live process: read its maps again", group=LIVE,
           palette="Re-read the maps"),
    Action("app.auto_reload", "R", "auto_reload", "Auto", "a live process: read its maps every 2 s", group=LIVE,
           palette="Re-read the maps every 2 s"),
    Action("app.backing", "b", "backing", "Backing",
           "a live process: shade each mapping by what backs it (anonymous, page cache, swap, untouched)",
           footer=False),
    Action("app.report", "o", "report_box", "Report",
           "paste a crash report: every address marked on the map, n / p step through them", footer=False,
           palette="Explain a crash report"),
    Action("app.present", "f5", "present", "Present", "presenter mode: big blocks, names and sizes, high contrast",
           footer=False, palette="Presenter mode"),
    Action("app.follow", "F", "follow_toggle", "Follow",
           "following a teacher (serve --follow): explore on your own, or snap back", footer=False),
    Action("app.help", "question_mark", "help", "Help", "this help: every key", palette="Help"),
    Action("app.quit", "q", "quit", "Quit", "quit", palette="Quit"),
    # the footer shows ctrl+p at its right end (Textual's Footer does, for the command palette's key)
    Action("app.palette", "ctrl+p", "command_palette", "palette", "command palette (every action, and themes)",
           footer=False),
    Action("split.up", "up", "move(-1)", "Up", "previous region on this side", where="split", footer=False),
    Action("split.down", "down", "move(1)", "Down", "next region on this side", where="split", footer=False),
    Action("split.side", "tab,left,right", "switch_side", "Other side", "switch between virtual and physical",
           where="split"),
    Action("split.zoom_in", "enter", "zoom_in", "Zoom in", "zoom into the selected region on this side",
           where="split", group=ZOOM),
    Action("split.zoom_out", "backspace", "zoom_out", "Zoom out", "zoom out on this side", where="split", group=ZOOM),
    Action("split.kmap", "k", "kmap", "kmap()", "on a highmem page: map it with kmap() (the pkmap window)",
           where="split", group=KMAP),
    Action("split.kmap_local", "K", "kmap_local", "kmap_local",
           "on a highmem page: map it with kmap_local_page() (a fixmap slot)", where="split",
           group=KMAP),
    Action("split.unmap", "u", "unmap", "Unmap", "drop the temporary mapping", where="split", footer=False),
)

BY_ID = {a.id: a for a in ACTIONS}


def bindings(where: str) -> list[Binding]:
    """The BINDINGS of one widget, from the table."""
    return [Binding(a.keys, a.action, a.label, show=a.footer, id=a.id, tooltip=a.help, group=a.group)
            for a in ACTIONS if a.where == where]


_KEY_NAMES = {"slash": "/", "question_mark": "?", "plus": "+", "equals_sign": "=", "minus": "-",
              "up": "↑", "down": "↓", "pageup": "PgUp", "pagedown": "PgDn", "home": "Home", "end": "End",
              "enter": "Enter", "backspace": "Backspace", "escape": "Esc", "f5": "F5", "tab": "Tab",
              "left": "←", "right": "→", "ctrl+p": "Ctrl+P"}


def key_text(keys: str) -> str:
    """Textual's key names as a person writes them: `slash,g` -> `/` `g`."""
    return " ".join(f"`{_KEY_NAMES.get(k, k)}`" for k in keys.split(","))


HELP_SECTIONS = (("map", ""), ("app", ""), ("split", "In the split view (`v`)"))
KEYS_MARK = "<!-- keys: the table is built from tui/actions.py -->"


def help_table() -> str:
    """The help screen's key tables, in Markdown: the map's keys, then each view's own."""
    parts = []
    for where, title in HELP_SECTIONS:
        rows = [f"| {key_text(a.keys)} | {a.help} |" for a in ACTIONS if a.where == where]
        if title or not parts:
            parts.append((f"**{title}**\n\n" if title else "") + "| key | does |\n|---|---|")
        parts[-1] += "\n" + "\n".join(rows)
    return "\n\n".join(parts)


def help_markdown() -> str:
    """What `?` shows: help.md's prose around the key tables."""
    prose = (Path(__file__).parent / "help.md").read_text(encoding="utf-8")
    return prose.replace(KEYS_MARK, help_table())


def keymap_path() -> Path:
    """keymap.toml in the user's config directory (state.config_dir: $VASLAYOUT_CONFIG_DIR or platformdirs')."""
    from vaslayout.state import config_dir

    return config_dir() / "keymap.toml"


MAX_KEYMAP_BYTES = 64 * 1024


def parse_keymap(text: str, origin: str) -> tuple[dict[str, str], list[str]]:
    """`binding-id = "keys"` lines (a TOML subset, so 3.10 needs no TOML library) -> keymap, problems."""
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, value = (part.strip() for part in line.partition("="))
        name, value = name.strip("\"'"), value.strip("\"'").replace(" ", "")
        if not sep or not name or not value:
            problems.append(f"{origin}:{number}: expected binding-id = \"keys\"")
        elif name not in BY_ID:
            problems.append(f"{origin}:{number}: no action {name!r} (ids: app.lookup, map.zoom_in, ...)")
        else:
            keymap[name] = value
    return keymap, problems


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], str | None]:
    """The user's keymap and one line saying what in it was ignored (None: nothing)."""
    path = path or keymap_path()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO in its place must not hang the app
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return {}, f"{path}: the keymap is not a regular file; ignored"
            data = f.read(MAX_KEYMAP_BYTES + 1)
    except FileNotFoundError:
        return {}, None
    except OSError as exc:
        return {}, f"{path}: cannot read the keymap: {exc.strerror or exc}"
    if len(data) > MAX_KEYMAP_BYTES:
        return {}, f"{path}: the keymap is over {MAX_KEYMAP_BYTES // 1024} KiB; ignored"
    keymap, problems = parse_keymap(data.decode("utf-8", "replace"), str(path))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return keymap, problems[0] + more
    return keymap, None

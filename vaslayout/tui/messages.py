"""What screens over the map tell the App: small messages, so no screen calls into the App.

A modal posts one of these and the App turns it into a session call; the
modal never needs to know what the App is (no duck typing on self.app).
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.message import Message

from vaslayout.core.model import Layout


class ParamsChanged(Message):
    """The param editor resolved a new layout from these overrides: show it."""

    def __init__(self, layout: Layout, overrides: Mapping[str, str]) -> None:
        super().__init__()
        self.layout = layout
        self.overrides = dict(overrides)


class ShowAddress(Message):
    """Put the map's cursor on this address (a quiz answer)."""

    def __init__(self, address: int) -> None:
        super().__init__()
        self.address = address

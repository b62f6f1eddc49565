"""The footer of the console's screens: every key of the screen, and F1, q and Esc never cut off."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

KEPT = ("f1", "q", "escape")  # help, quit and back: whatever else a narrow terminal hides, these stay


class ConsoleFooter(Footer):
    """Footer keys run left to right and a narrow terminal cuts the end of the row, where help and quit
    come: when the row does not fit, those two go on the right, with the command palette's key, and the
    row cuts the others. (The console's bindings have no groups: the keys come flat.)"""

    DEFAULT_CSS = """
    ConsoleFooter #kept { dock: right; width: auto; height: 1; background: $footer-background; }
    ConsoleFooter #kept FooterKey.-command-palette { dock: none; }
    """

    _tight = False  # as the last compose found it

    def compose(self) -> ComposeResult:
        keys = list(super().compose())
        self._tight = sum(_width(k) for k in keys if isinstance(k, FooterKey)) > self.size.width
        if not self._tight:
            yield from keys
            return
        kept = [k for k in keys if isinstance(k, FooterKey) and (k.key in KEPT or k.has_class("-command-palette"))]
        yield from (k for k in keys if k not in kept)
        # One group docked right: widgets docked to the same edge one by one would overlap.
        with HorizontalGroup(id="kept"):
            yield from kept

    def on_resize(self) -> None:
        keys = [k for k in self.query(FooterKey)]
        if keys and (sum(_width(k) for k in keys) > self.size.width) != self._tight:
            self.call_after_refresh(self.recompose)


def _width(key: FooterKey) -> int:
    """The cells a key takes in the footer: its key and description, padded (the palette's, with its
    border, a little more)."""
    return cell_len(key.key_display) + cell_len(key.description) + (5 if key.has_class("-command-palette") else 3)

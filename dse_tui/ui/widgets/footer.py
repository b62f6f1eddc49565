"""The footer of the console's screens: every key of the screen, and F1, q and Esc never cut off."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from dse_tui.i18n import tr

KEPT = ("f1", "q", "escape")  # help, quit and back: whatever else a narrow terminal hides, these stay


class ConsoleFooter(Footer):
    """Footer keys run left to right and a narrow terminal cuts the end of the row, where help and quit
    come: when the row does not fit, those two go on the right, with the command palette's key, and the
    row shows as many of the others as fit whole. (The console's bindings have no groups: the keys come flat.)"""

    DEFAULT_CSS = """
    ConsoleFooter #kept { dock: right; width: auto; height: 1; background: $footer-background; }
    ConsoleFooter #kept FooterKey.-command-palette { dock: none; }
    """

    _tight = False  # as the last compose found it
    _shown: tuple | None = None  # the keys the last compose drew: what the screen's bindings looked like
    _rebuild_waits = False  # a rebuild for changed keys is to come after the next refresh

    def _keys(self) -> tuple:
        """(key, shown key, description, action, enabled, tooltip) of each key to draw, the palette's last
        (None when it has none). The console's bindings have no groups: Textual's grouping is not needed."""
        active = self.screen.active_bindings
        keys: dict[str, tuple] = {}  # one key per action, its first, in the order of the actions
        for _, b, enabled, tooltip in active.values():
            if b.show:
                keys.setdefault(b.action, (b.key, self.app.get_key_display(b), b.description, b.action, enabled,
                                           tooltip))
        palette = None
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            found = active.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _, b, enabled, _tooltip = found
                name = tr("footer.palette", getattr(self.app, "language", "en"))  # Textual's says "palette"
                palette = (b.key, self.app.get_key_display(b), name, b.action, enabled, b.tooltip or name)
        return tuple(keys.values()), palette

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        self._shown = shown = self._keys()
        keys = [_footer_key(*k) for k in shown[0]]
        if shown[1] is not None:
            key, display, description, action, enabled, tooltip = shown[1]  # compact, as Textual's has it
            keys.append(FooterKey(key, display, description, action, classes="-command-palette",
                                  disabled=not enabled, tooltip=tooltip))
        self._tight = sum(_width(k) for k in keys) > self.size.width
        if not self._tight:
            yield from keys
            return
        kept = [k for k in keys if k.key in KEPT or k.has_class("-command-palette")]
        # Whole keys only, as many as fit beside the kept ones: a key cut in the middle ("l Lab") reads
        # as another key; the ones left out are in F1's help and the palette.
        room = self.size.width - sum(_width(k) for k in kept)
        for k in (k for k in keys if k not in kept):
            room -= _width(k)
            if room < 0:
                break
            yield k
        # One group docked right: widgets docked to the same edge one by one would overlap.
        with HorizontalGroup(id="kept"):
            yield from kept

    def bindings_changed(self, screen) -> None:
        """Textual's footer is built anew whenever the screen's bindings are looked at again (focus moved, a
        check_action refreshed, the screen shown again), which costs a widget and a style pass per key: here
        only when what it shows would change."""
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        if self._shown is None or self._keys() != self._shown:
            if not self._rebuild_waits:  # several changes before it is built (a screen starting): built once
                self._rebuild_waits = True
                self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_waits = False
        if self.is_attached and (self._shown is None or self._keys() != self._shown):
            await self.recompose()

    def on_resize(self) -> None:
        # A tight row is made again at any new width: which whole keys fit depends on it.
        keys = [k for k in self.query(FooterKey)]
        if keys and (self._tight or sum(_width(k) for k in keys) > self.size.width):
            self.call_after_refresh(self.recompose)


def _footer_key(key, display, description, action, enabled, tooltip) -> FooterKey:
    """A key as Textual's footer makes it, not compact. Set before it mounts: FooterKey starts compact and the
    footer's data binding turns that off once mounted, two style passes for each key of each footer drawn."""
    widget = FooterKey(key, display, description, action, disabled=not enabled, tooltip=tooltip)
    widget.set_reactive(FooterKey.compact, False)
    return widget


def _width(key: FooterKey) -> int:
    """The cells a key takes in the footer: its key and description, padded (the palette's, with its
    border, a little more)."""
    return cell_len(key.key_display) + cell_len(key.description) + (5 if key.has_class("-command-palette") else 3)

"""The selected repository: its settings, the last periods at a glance, sizes, recent runs, actions."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from rich.table import Table
from textual.widgets import Button, Label, Static

from dse_tui.core.catalog import Run
from dse_tui.core.engine.schedule import Period, RepoStatus, reason_text
from dse_tui.core.common.fmt import size
from dse_tui.i18n import tr
from dse_tui.ui.widgets.repo_table import state_text
from dse_tui.ui.widgets.sizes import SizeSparkline

# A cancelled period is a gap, not a failure: half a block (a run began, none ended good), in the yellow
# cancelled runs have on the other screens.
PERIOD_STYLES = {"good": "green", "failed": "red", "cancelled": "yellow", "missing": "yellow", "before": "grey35"}
PERIOD_CHARS = {"good": "█", "failed": "█", "cancelled": "▄", "missing": "▁", "before": "·"}
RUN_STYLES = {"good": "green", "failed": "red", "cancelled": "red", "running": "cyan"}
ACTIONS = ("run", "verify", "checklist", "copy", "label")


def strip_text(periods: list[Period]) -> Text:
    text = Text()
    for p in periods:
        text.append(PERIOD_CHARS[p.outcome], style=PERIOD_STYLES[p.outcome])
    return text


def legend_text(lang: str) -> Text:
    text = Text()
    names = tr("detail.legend", lang).split("  ")
    for outcome, name in zip(("good", "failed", "cancelled", "missing", "before"), names):
        text.append(PERIOD_CHARS[outcome], style=PERIOD_STYLES[outcome])
        text.append(f" {name}  ", style="dim")
    return text


class RepoDetail(VerticalScroll):
    DEFAULT_CSS = """
    RepoDetail { padding: 0 1; }
    RepoDetail.-none > * { display: none; }
    RepoDetail.-none > #title { display: block; }
    RepoDetail.-no-room #runs-title, RepoDetail.-no-room #runs { display: none; }
    RepoDetail .title { text-style: bold; height: 2; }
    RepoDetail #settings { height: 4; }
    RepoDetail .section { margin-top: 1; color: $text-muted; text-style: bold; height: 1; }
    RepoDetail #periods { height: 1; }
    RepoDetail #legend { height: auto; }
    RepoDetail #runs { height: 1fr; max-height: 12; }  /* RUNS_HEIGHT */
    RepoDetail #actions { height: auto; margin-top: 1; }
    RepoDetail #actions Button { min-width: 10; margin-right: 1; }
    """

    run_count = 0  # rows in the recent-runs table
    RUNS_HEIGHT = 12  # the header, the last ten runs and a line to spare

    _built = False  # the parts below the title: made for the first repository shown

    def compose(self) -> ComposeResult:
        # The title alone: the other sixteen widgets wait for a repository to show, which the dashboard
        # does after its first frame (mounting them in it cost the console's first paint ~35 ms).
        yield Static(id="title", classes="title")

    def _build(self) -> None:
        if self._built:
            return
        self._built = True
        # Held here: a container's children given to it join the DOM (and queries) only once it mounts.
        self._buttons = {action: Button(action, id=f"do-{action}", compact=True, disabled=True) for action in ACTIONS}
        self.mount(Static(id="settings"), Label(id="periods-title", classes="section"), Static(id="periods"),
                   Static(id="legend"), Label(id="sizes-title", classes="section"), SizeSparkline(id="sizes"),
                   Label(id="runs-title", classes="section"), Static(id="runs"),
                   Label(id="actions-title", classes="section"),
                   Horizontal(*self._buttons.values(), id="actions"))

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_runs)

    def _fit_runs(self) -> None:
        """The recent runs take the height the pane has left (none of it when not one run fits): the pane
        never needs a scrollbar, whose thumb on a short terminal looked like a stray bar of the size chart."""
        if not self._built:  # mount() puts the parts in the DOM at once: built is enough
            return
        # Measured from the size chart above them, which stays where it is whatever they do.
        below = sum(w.outer_size.height + w.styles.margin.top + w.styles.margin.bottom
                    for w in self.query("#actions-title, #actions"))
        room = self.content_region.bottom - self.query_one("#sizes").region.bottom - below - 2  # the heading
        # Their height is the CSS's (1fr up to RUNS_HEIGHT): right from the first frame, before this runs.
        self.set_class(min(self.RUNS_HEIGHT, room) < 2, "-no-room")  # the table's header and a run at least

    def show(self, status: RepoStatus | None, periods: list[Period], sizes: list[int], runs: list[Run],
             now: datetime, lang: str, refused: dict[str, str | None]) -> None:
        """`refused`: for each command id, why it cannot be done now (None: it can)."""
        q = self.query_one
        if self.has_class("-none") != (status is None):
            self.set_class(status is None, "-none")  # nothing selected: nothing to show but that
            self.call_after_refresh(self._fit_runs)
        if status is None:
            q("#title", Static).update(tr("detail.none", lang), layout=False)
            if self._built:
                q("#settings", Static).update("", layout=False)
            return
        self._build()
        r = status.repository
        if r.encrypted:  # imported when needed: the keys' module brings the pipeline with it (~8 ms at start)
            from dse_tui.core.keys.crypto import key_id
        title = Text.assemble((r.name, "bold"), "  ", state_text(status.state, lang))
        reason = reason_text(status, lang, now)
        if reason:
            title.append(f"  {reason}", style="italic")
        q("#title", Static).update(title, layout=False)
        dests = ", ".join(r.destinations) or tr("detail.none_set", lang)
        settings = q("#settings", Static)
        lines = 5 if r.encrypted else 4  # a fixed height: moving the cursor repaints, never relayouts
        if settings.styles.height is None or settings.styles.height.value != lines:
            settings.styles.height = lines
            self.call_after_refresh(self._fit_runs)  # the runs below moved by a line
        q("#settings", Static).update(Text.assemble(
            (f"{r.id}", "dim"), f" · {tr(f'kind.{r.kind}', lang)} · {r.driver}",
            # Several backup hosts: the one that backs it up (engine/hosts.py), on the same line.
            *([(f" · {tr('detail.host', lang)}: ", "dim"), r.host] if r.host else []), "\n",
            (f"{tr('detail.source', lang)}: ", "dim"),
            f"{_fit_left(r.location, (self.size.width or 58) - 4 - len(tr('detail.source', lang)))}\n",
            (f"{tr('detail.every', lang)}: ", "dim"), f"{r.periodicity.text} (+{_short(r.grace)} {tr('detail.grace', lang)})",
            (f"   {tr('detail.verify', lang)}: ", "dim"), f"{tr(f'detail.level.{r.verify}', lang)}\n",
            (f"{tr('detail.destinations', lang)}: ", "dim"), f"{dests}",
            *([(f"\n{tr('detail.encrypted', lang)}: ", "dim"), "🔒 " + ", ".join(key_id(k) for k in r.recipients)]
              if r.encrypted else []),
        ), layout=False)
        q("#periods-title", Label).update(tr("detail.periods", lang, n=len(periods)), layout=False)
        q("#periods", Static).update(strip_text(periods), layout=False)
        q("#legend", Static).update(legend_text(lang), layout=False)
        q("#sizes", SizeSparkline).set_sizes(sizes)
        sizes_title = tr("detail.sizes", lang, n=len(sizes)) if sizes else tr("detail.no_sizes", lang)
        if sizes:  # one size when they are all the same (a single run, most often): not "927 Bytes – 927 Bytes"
            low, high = size(min(sizes)), size(max(sizes))
            sizes_title += f": {low}" if low == high else f": {low} – {high}"
        # Laid out again only when its length changed (a cursor move seldom changes it): a title grown after
        # a run was cut at its old width.
        title = q("#sizes-title", Label)
        title.update(sizes_title, layout=len(sizes_title) != len(str(title.content)))
        q("#runs-title", Label).update(tr("detail.runs", lang) if runs else tr("detail.no_runs", lang), layout=False)
        self._show_runs(runs, now, lang)
        q("#actions-title", Label).update(tr("detail.actions", lang), layout=False)
        for action in ACTIONS:
            button = self._buttons[action]
            button.label = tr(f"cmd.{action}", lang)
            reason = refused.get(action)
            button.disabled = reason is not None
            button.tooltip = tr(f"cmd.{action}.help", lang) + (f" — {reason}" if reason else "")

    def _show_runs(self, runs: list[Run], now: datetime, lang: str) -> None:
        # A Rich table in one Static, repainted in place: a DataTable rebuilt on every cursor move cost
        # a relayout each time, and keys waited behind it while a backup took the cores.
        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold", row_styles=["", "on #1e1e1e"],
                      expand=True)
        table.add_column(tr("col.started", lang), no_wrap=True)
        table.add_column(tr("col.state", lang), no_wrap=True)
        table.add_column(tr("col.size", lang), no_wrap=True, justify="right")
        table.add_column(tr("col.duration", lang), no_wrap=True, justify="right")
        table.add_column(tr("col.note", lang), no_wrap=True, overflow="ellipsis", ratio=1)
        for run in runs:
            took = _short(run.ended_at - run.started_at) if run.ended_at else "…"
            state = Text(tr(f"run.{run.state}", lang), style=RUN_STYLES.get(run.state, ""))
            if run.encrypted:  # which runs are encrypted (a key id on hover would need a DataTable)
                state.append(" 🔒")
            table.add_row(run.started_at.astimezone().strftime("%Y-%m-%d %H:%M"), state,
                          size(run.size), took, run.message or "")
        self.query_one("#runs", Static).update(table, layout=False)
        self.run_count = len(runs)


def _fit_left(text: str, width: int) -> str:
    """A long path keeps its end, the part that names the thing: …/site/library.sqlite."""
    return text if len(text) <= width else "…" + text[-(width - 1):]


def _short(delta) -> str:
    seconds = int(delta.total_seconds())
    for unit, length in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= length and seconds % length == 0 or seconds >= 10 * length:
            return f"{seconds // length}{unit}"
    return f"{seconds}s"

"""The dashboard's two filters (kind, state): stand-ins in its first frame (ui/widgets/filters.py), the real
Selects put in once that frame is on the terminal, and what they show kept in step with `k`, `s` and the
language meanwhile. A mixin of DashboardScreen, which keeps `kind_filter`, `state_filter`, the Selects'
Changed handlers and the `k`/`s` actions."""

from __future__ import annotations

from textual.widgets import Select

from dse_tui.core.engine.schedule import STATES
from dse_tui.core.profile.model import KINDS
from dse_tui.i18n import tr
from dse_tui.ui.widgets.filters import FilterStandIn

ATTENTION = "attention"  # state filter: everything that is not ok


def kind_options(lang: str) -> list[tuple[str, str]]:
    return [(tr("filter.all_kinds", lang), "*")] + [(tr(f"kind.{k}", lang), k) for k in KINDS]


def state_options(lang: str) -> list[tuple[str, str]]:
    return [(tr("filter.all_states", lang), "*"), (tr("filter.attention", lang), ATTENTION)] + [
        (tr(f"state.{s}", lang), s) for s in STATES]


def _label(options: list[tuple[str, str]], value: str) -> str:
    return next(label for label, v in options if v == value)


def _relabel(select: Select, options: list[tuple[str, str]], value: str) -> None:
    """New option texts, same selection. Select repaints its label only when the value changes,
    so step through another value (without Changed events) to show the new language."""
    with select.prevent(Select.Changed):
        select.set_options(options)
        select.value = options[1][1] if value == options[0][1] else options[0][1]
        select.value = value


class DashboardFilters:
    """Needs the screen's `kind_filter`, `state_filter`, `_filters_lang` and `_selects_in`, and a #toolbar
    holding what compose_filters() yields."""

    def compose_filters(self):
        """The stand-ins, in the console's language. The Selects come once the first frame is on the
        terminal (_mount_filters); until then, what they show."""
        lang = self._filters_lang = self.app.language
        yield FilterStandIn(_label(kind_options(lang), "*"), id="kind-standin")
        yield FilterStandIn(_label(state_options(lang), "*"), id="state-standin")

    def _filter_options(self) -> dict[str, tuple[list[tuple[str, str]], str]]:
        """Each filter's options in the filters' language, and its value."""
        lang = self._filters_lang
        return {"kind": (kind_options(lang), self.kind_filter or "*"),
                "state": (state_options(lang), self.state_filter or "*")}

    def _show_filters(self, relabel: bool = False) -> None:
        """The filters show their values (`relabel`: their options in a new language): the Selects once
        they are in, else their stand-ins."""
        for which, (options, value) in self._filter_options().items():
            if not self._selects_in:
                self.query_one(f"#{which}-standin", FilterStandIn).show(_label(options, value))
                continue
            select = self.query_one(f"#{which}-filter", Select)
            if relabel:
                _relabel(select, options, value)
            else:
                with select.prevent(Select.Changed):
                    select.value = value

    async def _mount_filters(self) -> None:
        """The real Selects in place of their stand-ins, hidden until mounted so that no frame shows them
        half-made (a SelectCurrent shows "Select" until its Select's mount gives it the value)."""
        made = self._filter_options()
        # Made in prevent(): the Changed each posts for its value once mounted is dropped (a k pressed while
        # they mount would otherwise be undone by it).
        with self.prevent(Select.Changed):
            selects = [Select(options, id=f"{which}-filter", allow_blank=False, compact=True, value=value)
                       for which, (options, value) in made.items()]
        for select in selects:
            select.display = False
        await self.query_one("#toolbar").mount_all(selects)
        stand_ins = self.query(FilterStandIn)
        with self.app.batch_update():
            for select, (which, now) in zip(selects, self._filter_options().items()):
                if now != made[which]:  # k, s or the language while they mounted: the stand-ins showed it
                    _relabel(select, *now)
                select.display = True
            stand_ins.set(display=False)
            self._selects_in = True
        await stand_ins.remove()

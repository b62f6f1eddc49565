"""The dashboard in Spanish (issue 20): its longer words are drawn whole where the detail pane is narrowest,
and the pane's settings say the verification level in Spanish (it said "Verificación: restore")."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.widgets import Button, Label, Static

from dse_tui.core.profile.config import load_profile
from dse_tui.ui.app import make_app
from dse_tui.ui.widgets.detail import ACTIONS, RepoDetail
from dse_tui.ui.widgets.repo_table import RepoTable
from tests.conftest import fixed_clock, pilot_until, record_runs


@pytest.mark.parametrize("size", [(120, 30), (200, 50)], ids=["120x30", "200x50"])
async def test_the_detail_panes_words_are_whole_and_spanish(demo_profile, size):
    profile = load_profile(demo_profile)
    record_runs(profile.catalog_path, "www-main", "gg")
    app = make_app(demo_profile, language="es", clock=fixed_clock, poll_seconds=0.05)
    async with app.run_test(size=size) as pilot:
        detail = app.screen.query_one(RepoDetail)
        table = app.screen.query_one(RepoTable)
        await pilot_until(pilot, lambda: table.row_count and detail.region.width, what="the dashboard")
        table.move_cursor(row=table.get_row_index("www-main"))
        settings = detail.query_one("#settings", Static)
        await pilot_until(pilot, lambda: "www-main" in str(settings.render()), what="www-main's detail")
        text = str(settings.render())
        repo = profile.repository("www-main")
        assert f"Verificación: {dict(checksum='suma de control', structure='estructura', restore='restauración')[repo.verify]}" \
            in text, text
        title = detail.query_one("#actions-title", Label)
        await pilot_until(pilot, lambda: str(title.render()) == "Acciones", what="the actions' title")
        assert title.content_region.width >= cell_len("Acciones"), title.content_region
        for action in ACTIONS:
            button = detail.query_one(f"#do-{action}", Button)
            label = str(button.label)
            assert label in {"Respaldar", "Verificar", "Manual", "Copiar", "Etiqueta"}, label
            assert button.content_region.width >= cell_len(label), (label, button.content_region)

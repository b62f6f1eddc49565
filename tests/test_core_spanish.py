"""What the core says (errors, profile problems, check lines, prune reasons, the audit's verification) follows
--lang like the commands' own lines: a Text or a Told keeps its key and values and is read in the active
language (dse_tui/core/texts)."""

from __future__ import annotations

import pickle

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.drivers.base import RestoreError
from dse_tui.core.profile.config import load_profile
from dse_tui.core.texts import Text, Told, activate
from tests.catalog_backend import raw_connection
from tests.test_cli import dse, no_traceback

# The actions the catalog's events are recorded with (record_event), each shown in the reader's language.
EVENT_ACTIONS = ['copy refused', 'copy started', 'copy verification', 'copy', 'label made', 'label printed', 'mail', 'manual backup no longer required', 'medium created', 'medium moved', 'medium retired', 'profile changed', 'restore from a copy', 'restore', 'run accepted', 'run ended', 'run failed', 'run pruned', 'run started', 'session registered', 'session started', 'verification']


def test_a_told_error_speaks_the_active_language_and_survives_a_process_boundary():
    error = RestoreError("restore.refused.exists", target="/srv/x")
    assert str(error).startswith("/srv/x already exists")
    activate("es")
    try:
        assert str(error).startswith("/srv/x ya existe")
        assert str(pickle.loads(pickle.dumps(error))) == str(error)
        assert str(RestoreError("a plain message, as before")) == "a plain message, as before"
        assert Text("problem.known", ids="a").in_("en") == "; known: a"
    finally:
        activate("en")


def test_a_broken_profile_is_reported_in_spanish(demo_profile):
    text = demo_profile.read_text().replace("  name: DSE demo site\n", "  name: DSE demo site\n  langage: es\n")
    text = text.replace("periodicity: 1d", "periodicity: sometimes", 1)
    assert "sometimes" in text
    demo_profile.write_text(text)
    spanish = dse("--lang", "es", "check", "--profile", str(demo_profile))
    no_traceback(spanish)
    out = spanish.stdout + spanish.stderr
    assert "site.langage: clave desconocida 'langage'; ¿quiso decir 'language'?" in out, out
    assert "'sometimes' no es una periodicidad" in out, out
    assert "unknown key" not in out and "did you mean" not in out
    english = dse("--lang", "en", "check", "--profile", str(demo_profile))
    assert "unknown key 'langage'; did you mean 'language'?" in english.stdout + english.stderr


def test_check_lines_of_the_drivers_speak_spanish(demo_profile):
    result = dse("--lang", "es", "check", "--profile", str(demo_profile))
    no_traceback(result)
    library = next(line for line in result.stdout.splitlines() if "library-db" in line)
    assert "origen" in library and "legible" in library and "readable" not in library, library


def test_a_refused_restore_and_the_prune_reasons_speak_spanish(demo_profile, tmp_path):
    assert dse("run", "library-db", "--profile", str(demo_profile)).returncode == 0
    profile = load_profile(demo_profile)
    with Catalog(profile.catalog_path) as catalog:
        run_id = catalog.recent_runs("library-db", 1)[0].id
    live = str(profile.repository("library-db").source["path"])
    refused = dse("--lang", "es", "restore", str(run_id), "--to", live, "--profile", str(demo_profile))
    no_traceback(refused)
    assert refused.returncode != 0
    assert "es el origen vivo de library-db" in refused.stderr and "--confirm library-db" in refused.stderr, \
        refused.stderr
    taken = tmp_path / "taken"
    taken.write_text("x")
    refused = dse("--lang", "es", "restore", str(run_id), "--to", str(taken), "--profile", str(demo_profile))
    assert "ya existe: elija otro destino" in refused.stderr, refused.stderr
    pruned = dse("--lang", "es", "prune", "--dry-run", "--profile", str(demo_profile))
    no_traceback(pruned)
    assert "última ejecución correcta" in pruned.stdout and "last good run" not in pruned.stdout, pruned.stdout


def test_audit_verify_names_a_break_in_spanish(demo_profile):
    assert dse("run", "library-db", "--profile", str(demo_profile)).returncode == 0
    catalog = load_profile(demo_profile).catalog_path
    db = raw_connection(catalog)  # as someone with the database's own client would
    db.execute("UPDATE events SET detail = '{\"x\": 1}' WHERE id = (SELECT MIN(id) FROM events)")
    db.close()
    result = dse("--lang", "es", "audit", "verify", "--profile", str(demo_profile))
    no_traceback(result)
    assert result.returncode != 0
    assert "editado" in result.stdout and "se cambió después de escrito" in result.stdout, result.stdout
    assert "was changed" not in result.stdout


def test_the_event_logs_stored_words_are_shown_in_spanish():
    from dse_tui.ui.screens.event_log import shown_word

    assert shown_word("event.action.", "run ended", "es") == "ejecución terminada"
    assert shown_word("record.", "failed", "es") != "failed"
    assert shown_word("event.action.", "something new", "es") == "something new"  # unknown: as stored
    assert shown_word("event.action.", "run ended", "en") == "run ended"


def test_the_advice_on_a_tools_error_and_a_drivers_failure_speak_spanish(tmp_path):
    from dse_tui.core.drivers.base import advice
    from dse_tui.core.drivers.git import heads

    assert "is the server running" in advice("psql: error: Connection refused")
    activate("es")
    try:
        assert advice("psql: error: Connection refused") == " — ¿está el servidor en marcha y escuchando en ese " \
                                                           "host y puerto?"
        with pytest.raises(Told) as refused:
            heads(tmp_path, 10)
        assert f"{tmp_path} no es un repositorio git" in str(refused.value), str(refused.value)
    finally:
        activate("en")


def test_why_a_copy_is_not_at_hand_is_said_in_spanish(tmp_path):
    """The console's "Restore from a medium" lists each copy with why it cannot be used now."""
    import shutil

    from dse_tui.core.destinations.copies import copy_pending
    from dse_tui.core.restore.athand import copies_at_hand
    from tests.copy_helpers import site

    profile, run_id = site(tmp_path, "  - {id: shelf, kind: directory, path: ./shelf}", "shelf", copies=1)
    with Catalog(profile.catalog_path) as catalog:
        assert [o.state for o in copy_pending(profile, catalog)] == ["verified"]
        shutil.rmtree(tmp_path / "shelf")  # the share not mounted
        activate("es")
        try:
            (item,) = copies_at_hand(profile, catalog, catalog.run(run_id))
        finally:
            activate("en")
    assert not item.usable and "no está: ¿está montado" in item.why_not and "shelf" in item.why_not, item.why_not


def test_a_runs_outcome_is_recorded_in_the_commands_language(tmp_path):
    """What the catalog keeps of a failed or cancelled run is read on the dashboard and in the report: in the
    language the run was made in (the command's --lang, the site's), not always English."""
    import threading

    from dse_tui.core import drivers
    from dse_tui.core.engine.runner import run_repository
    from tests.engine_helpers import make_tree, profile_with

    make_tree(tmp_path / "www")
    profile = profile_with(tmp_path, "{id: www, kind: web, driver: files, source: {path: ./www}, timeout: 1h}")
    cancel = threading.Event()

    def cancelled_meanwhile(ctx):
        cancel.set()
        drivers.get("files").backup(ctx)

    activate("es")
    try:
        outcome = run_repository(profile, profile.repository("www"), cancel=cancel, producer=cancelled_meanwhile)
    finally:
        activate("en")
    assert outcome.state == "cancelled" and outcome.message == "cancelada por el operador"
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.run(outcome.run_id).message == "cancelada por el operador"


def test_a_restore_plan_is_described_in_spanish(tmp_path):
    """The restore dialog's "Se restaurará …" and the restore's log line read the plan's description."""
    from dse_tui.core.restore.run import plan
    from tests.test_restore_contents import files_run

    profile, outcome = files_run(tmp_path)
    with Catalog(profile.catalog_path) as catalog:
        run = catalog.run(outcome.run_id)
    activate("es")
    try:
        words = plan(profile, run, str(tmp_path / "back"), parts=("docs", "index.html")).describe()
    finally:
        activate("en")
    assert words == f"docs, index.html de la ejecución {run.id} de w en la carpeta {tmp_path / 'back'}", words


def test_a_verifications_checks_are_recorded_in_spanish(tmp_path):
    """What each check says is kept in the catalog and read on the runs screen and by the auditor."""
    from dse_tui.core.verification.runs import verify_run
    from tests.test_restore_contents import files_run

    profile, outcome = files_run(tmp_path)
    with Catalog(profile.catalog_path) as catalog:
        activate("es")
        try:
            result = verify_run(profile, catalog, catalog.run(outcome.run_id), level="restore")
        finally:
            activate("en")
        details = {c["name"].split()[0]: c["detail"] for c in catalog.verifications(outcome.run_id, 1)[0].checks}
    assert result.outcome == "passed"
    assert details["manifest"] == "coincide con el catálogo"
    assert details["checksum"].endswith("bytes, SHA-256 como se registró")
    assert "miembro(s) leído(s)" in details["archive"] and "extraído con tar" == details["extract"]
    assert "fichero(s) extraído(s) con el SHA-256 registrado" in details["files"], details["files"]

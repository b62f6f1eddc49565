"""Every text a person reads from the headless side follows --lang, else the profile's site.language, else the
locale: the commands' output and errors, the mails, the report. Machine output (--json, metrics, the CSV)
stays as it is in any language."""

from __future__ import annotations

import json
from dataclasses import replace

from dse_tui.core.catalog import Catalog
from dse_tui.core.profile.config import load_profile
from dse_tui.core.records.report import build, to_csv, to_markdown
from tests.conftest import FIXED_NOW, record_runs
from tests.test_cli import dse, no_traceback
from tests.test_notify import make_site, smtp  # noqa: F401 (a fixture)
from tests.test_report import END, START


def in_spanish(demo_profile):
    """The demo site with `site.language: es`."""
    text = demo_profile.read_text().replace("  name: DSE demo site\n", "  name: DSE demo site\n  language: es\n")
    assert "language: es" in text
    demo_profile.write_text(text)
    return demo_profile


def test_status_speaks_spanish_with_lang_es(demo_profile):
    profile = load_profile(demo_profile)
    record_runs(profile.catalog_path, "library-db", "g", now=FIXED_NOW)
    english = dse("status", "--profile", str(demo_profile))
    spanish = dse("--lang", "es", "status", "--profile", str(demo_profile))
    no_traceback(spanish)
    assert english.returncode == spanish.returncode  # the exit code is the same state
    header = spanish.stdout.splitlines()[0].split()
    assert header[:4] == ["ID", "TIPO", "DRIVER", "ESTADO"] and "ÚLTIMO" in header, spanish.stdout
    www = next(line for line in spanish.stdout.splitlines() if line.startswith("www-main"))
    assert "web" in www and "nunca" in www and "never" not in www, www
    library = next(line for line in spanish.stdout.splitlines() if line.startswith("library-db"))
    assert "base de datos" in library, library
    assert "STATE" in english.stdout.splitlines()[0] and "never" in english.stdout


def test_the_profiles_language_is_the_default_and_lang_overrides_it(demo_profile):
    in_spanish(demo_profile)
    assert "ESTADO" in dse("status", "--profile", str(demo_profile)).stdout.splitlines()[0]
    assert "STATE" in dse("--lang", "en", "status", "--profile", str(demo_profile)).stdout.splitlines()[0]


def test_lang_after_the_command_as_before_it(demo_profile):
    """`dse-tui status --lang es`, as --profile is taken after the command too."""
    after = dse("status", "--lang", "es", "--profile", str(demo_profile))
    no_traceback(after)
    assert "ESTADO" in after.stdout.splitlines()[0], after.stderr
    in_spanish(demo_profile)
    assert "STATE" in dse("status", "--profile", str(demo_profile), "--lang", "en").stdout.splitlines()[0]
    assert "ESTADO" in dse("--lang", "en", "status", "--lang", "es", "--profile", str(demo_profile)).stdout \
        .splitlines()[0], "the one after the command is the one meant"


def test_machine_output_is_the_same_in_any_language(demo_profile):
    args = ("status", "--json", "--profile", str(demo_profile))
    english, spanish = dse(*args), dse("--lang", "es", *args)
    assert json.loads(english.stdout) == json.loads(spanish.stdout)
    assert {item["state"] for item in json.loads(spanish.stdout)} == {"never"}
    metrics = ("status", "--prometheus", "--profile", str(demo_profile))
    assert dse(*metrics).stdout == dse("--lang", "es", *metrics).stdout


def test_check_speaks_spanish(demo_profile):
    result = dse("--lang", "es", "check", "--profile", str(demo_profile))
    no_traceback(result)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ok") and "perfil" in lines[0] and "4 repositorios, 3 destinos" in lines[0], lines[0]
    assert any(line.startswith("ok     listas: ") for line in lines), result.stdout
    assert any(line.startswith("aviso  destino") for line in lines), result.stdout
    assert not any(line.startswith("warn") for line in lines)


def test_an_error_speaks_spanish(tmp_path):
    result = dse("--lang", "es", "status", "--profile", str(tmp_path / "missing.yaml"))
    assert result.returncode == 3
    assert result.stderr.startswith("dse-tui: no hay perfil en ") and "demo init" in result.stderr, result.stderr
    bad_dates = dse("--lang", "es", "report", "--from", "ayer", "--to", "hoy", "--profile", str(tmp_path / "x.yaml"))
    assert "las fechas son AAAA-MM-DD" in bad_dates.stderr, bad_dates.stderr


def test_a_subcommands_own_lang_still_wins_and_the_one_before_it_is_kept(demo_profile):
    before = dse("--lang", "es", "checklist", "show", "config")
    assert before.returncode == 0 and "Operador:" in before.stdout, before.stderr
    after = dse("--lang", "es", "checklist", "show", "config", "--lang", "en")
    assert "Operator:" in after.stdout


def test_a_failure_mail_in_spanish(tmp_path, smtp):  # noqa: F811 (the fixture)
    port, inbox = smtp
    profile = make_site(tmp_path, port)
    profile.file.write_text(profile.file.read_text().replace("name: Test site}", "name: Test site, language: es}"))
    result = dse("run", "gone", "--profile", str(profile.file))
    assert result.returncode == 1
    assert "1 de 1 ejecuciones no tuvo éxito: gone" in result.stderr, result.stderr
    (msg,) = [m for m in inbox.messages if "FALLIDO" in m["Subject"]]
    assert msg["Subject"].startswith("[dse-tui t] FALLIDO: gone (ejecución ")
    body = msg.get_content()
    assert "se requiere un respaldo manual" in body and "Sitio: Test site" in body and "nowhere" in body, body
    assert "manual backup is required" not in body


def test_the_test_mail_follows_lang(tmp_path, smtp):  # noqa: F811 (the fixture)
    port, inbox = smtp
    profile = make_site(tmp_path, port)
    result = dse("--lang", "es", "notify", "--test", "--profile", str(profile.file))
    assert result.returncode == 0 and "1 correo enviado, 0 en espera" in result.stdout, result.stdout + result.stderr
    assert [m["Subject"] for m in inbox.messages] == ["[dse-tui t] Mensaje de prueba"]


def test_the_report_in_spanish(demo_profile):
    profile = load_profile(in_spanish(demo_profile))
    record_runs(profile.catalog_path, "library-db", "ggg..gfggg", now=FIXED_NOW)
    with Catalog(profile.catalog_path) as catalog:
        report = build(profile, catalog, START, END, ["library-db"], now=FIXED_NOW)
    md = to_markdown(report)
    assert md.startswith("# Informe de respaldos: DSE demo site")
    assert "Periodo: del 2026-11-17 al 2026-11-22" in md and "## Resumen" in md
    assert "| repositorio | ejecuciones | correctas | fallidas |" in md
    assert "### Ejecuciones" in md and "### Huecos" in md and ": falta" in md and " fallido (" in md, md
    assert "días de atraso: 2026-11-18, 2026-11-19, 2026-11-21" in md
    for english in ("Backup report", "Period:", "### Gaps", "overdue days", "verification"):
        assert english not in md, english
    english = replace(report, lang="en")
    assert to_markdown(english).startswith("# Backup report")
    assert to_csv(report) == to_csv(english) and ",gap,," in to_csv(report)  # the CSV keeps the catalog's values


def test_the_report_command_follows_lang(demo_profile):
    result = dse("--lang", "es", "report", "--from", "2026-11-17", "--to", "2026-11-22", "--profile", str(demo_profile))
    assert result.returncode == 0 and result.stdout.startswith("# Informe de respaldos"), result.stderr

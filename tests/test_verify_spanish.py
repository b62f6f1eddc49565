"""A verification's checks in the reader's language: what each driver's check says (the files' comparison,
SQLite, git, PostgreSQL, MariaDB, the catalog's hash chain), the verification's own failures (no artifact,
out of time, a tool missing, a bug, no scratch folder) and the site's rules are said in Spanish under
--lang es or the console's Spanish, and the names' first words are translated where they are shown (the runs
screen, `dse-tui verify`) while the part or database they name stays as it is. English stays as it was:
tests/test_verify_local.py and test_verify_databases.py compare it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.common.fmt import set_language
from dse_tui.core.engine.runner import run_repository
from dse_tui.core.texts import check_name
from tests.engine_helpers import failed_checks, profile_with, rewrite_part, unzstd, verify, zstd_bytes
from tests.test_cli import dse, no_traceback
from tests.test_verify_databases import maria, maria_profile, pg_profile, scratch_maria, scratch_pg
from tests.test_engine_databases import psql
from tests.test_verify_local import _retar, files_run, git_repo, no_scratch_left, sqlite_run


@pytest.fixture
def spanish():
    """The console's (or a command's) language is Spanish for the rest of the test; conftest sets it back."""
    set_language("es")


def details(result) -> dict[str, str]:
    return {c.name: c.detail for c in result.checks}


def test_a_check_names_first_words_are_translated_and_what_it_names_is_kept():
    assert check_name("event chain catalog.sqlite.zst", "es") == "cadena de eventos catalog.sqlite.zst"
    assert check_name("scratch database for notas", "es") == "base de datos temporal para notas"
    assert check_name("cloned heads g.bundle.zst", "es") == "referencias clonadas g.bundle.zst"
    assert check_name("heads g.bundle.zst", "es") == "referencias g.bundle.zst"
    assert check_name("complete globals.sql.zst", "es") == "completo globals.sql.zst"
    assert check_name("drop dse_verify_r1_2_ab", "es") == "eliminación de dse_verify_r1_2_ab"
    assert check_name("copy on nas", "es") == "copia en nas", "a copy's verification, as the catalog keeps it"
    assert check_name("time", "es") == "tiempo" and check_name("shrink", "es") == "reducción"
    assert check_name("pg_restore --list db.pgdump.zst", "es") == "pg_restore --list db.pgdump.zst", "a tool's own name"
    assert check_name("event chain catalog.sqlite.zst", "en") == "event chain catalog.sqlite.zst"


def test_a_damaged_files_run_at_the_deepest_level_is_told_in_spanish_by_the_command(tmp_path):
    """`dse-tui --lang es verify --level restore`: the failed check's name and what differs, in Spanish."""
    profile, outcome = files_run(tmp_path)
    part = Path(outcome.artifact) / "w.tar.zst"
    rewrite_part(profile, outcome.run_id, "w.tar.zst", _retar(part, change="index.html"), keep_checksums=True)
    result = dse("--lang", "es", "verify", "--profile", str(profile.file), "--run", str(outcome.run_id),
                 "--level", "restore")
    no_traceback(result)
    assert result.returncode != 0
    assert "ficheros w.tar.zst: index.html: no se restauró como se registró (su contenido difiere: SHA-256 o " \
           "tamaño)" in result.stdout, result.stdout
    with Catalog(profile.catalog_path) as catalog:
        stored = {c["name"]: c["detail"] for c in catalog.verifications(outcome.run_id, 1)[0].checks}
    assert stored["extract w.tar.zst"] == "extraído con tar", "the record keeps the name, the detail in Spanish"
    assert no_scratch_left(profile)


def test_a_files_runs_listing_and_extraction_differences_in_spanish(tmp_path, spanish):
    profile, outcome = files_run(tmp_path)
    part = Path(outcome.artifact) / "w.tar.zst"
    rewrite_part(profile, outcome.run_id, "w.tar.zst", _retar(part, drop="docs/notes.txt"), keep_checksums=True)
    assert "docs/notes.txt: falta en el archivo" in failed_checks(verify(profile, outcome.run_id, "structure"))[
        "listing w.tar.zst"]

    def to_a_folder(member, data):  # a file listed where the manifest has a link: another kind
        if member.name == "notes-link":
            member.type, member.linkname = b"5", ""
        return data

    profile, outcome = files_run(tmp_path / "other")
    part = Path(outcome.artifact) / "w.tar.zst"
    rewrite_part(profile, outcome.run_id, "w.tar.zst", _retar(part, edit=to_a_folder), keep_checksums=True)
    listing = failed_checks(verify(profile, outcome.run_id, "structure"))["listing w.tar.zst"]
    assert "notes-link: una carpeta en el archivo, un enlace simbólico en el manifiesto" in listing, listing


def test_a_sqlite_run_in_spanish_good_short_of_rows_and_not_a_database(tmp_path, spanish):
    profile, outcome = sqlite_run(tmp_path)
    said = details(verify(profile, outcome.run_id, "restore"))
    assert said["integrity s.sqlite.zst"] == "PRAGMA integrity_check: correcto"
    assert said["rows s.sqlite.zst"] == "1 tabla(s), 3 filas, como al respaldar"
    fewer = tmp_path / "fewer.db"
    other = sqlite3.connect(fewer)
    other.executescript("CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users(name) VALUES ('x');"
                        "CREATE TABLE extra(x);")
    other.commit()
    other.close()
    rewrite_part(profile, outcome.run_id, "s.sqlite.zst", zstd_bytes(fewer.read_bytes()), keep_checksums=True)
    rows = failed_checks(verify(profile, outcome.run_id, "restore"))["rows s.sqlite.zst"]
    assert rows == "users: 1 filas, 3 al respaldar; extra: no figura en lo registrado al respaldar", rows
    with Catalog(profile.catalog_path) as catalog:  # what the dashboard and the mail say of it
        assert catalog.run(outcome.run_id).message == f"no superó la verificación: filas s.sqlite.zst: {rows}"
        (reason,) = catalog.conn.execute("SELECT manual_required_reason FROM repositories WHERE id = ?",
                                         (catalog.repository_id("s"),)).fetchone()
    assert reason == f"la ejecución {outcome.run_id} no superó la verificación (restore): filas s.sqlite.zst: {rows}"
    rewrite_part(profile, outcome.run_id, "s.sqlite.zst", zstd_bytes(b"garbage" * 1000), keep_checksums=True)
    integrity = failed_checks(verify(profile, outcome.run_id, "structure"))["integrity s.sqlite.zst"]
    assert integrity.startswith("no es una base de datos SQLite legible: "), integrity


def test_a_git_run_in_spanish_good_and_a_bundle_of_another_repository(tmp_path, spanish):
    git_repo(tmp_path / "proj")
    git_repo(tmp_path / "other", "another project")
    profile = profile_with(tmp_path, "{id: g, kind: software, driver: git, source: {path: ./proj}}")
    outcome = run_repository(profile, profile.repository("g"))
    assert outcome.state == "good", outcome.message
    result = verify(profile, outcome.run_id, "restore")
    assert result.outcome == "passed", failed_checks(result)
    said = details(result)
    assert said["bundle g.bundle.zst"] == "git bundle verify: correcto"
    assert said["heads g.bundle.zst"] == "1 referencia como se registró"
    assert said["clone g.bundle.zst"] == "clonado"
    assert said["fsck g.bundle.zst"] == "git fsck --full: correcto"
    assert said["cloned heads g.bundle.zst"] == "1 referencia como se registró"
    foreign = subprocess.run(["git", "-C", str(tmp_path / "other"), "bundle", "create", "-q", "-", "--all"],
                             capture_output=True, check=True).stdout
    rewrite_part(profile, outcome.run_id, "g.bundle.zst", zstd_bytes(foreign), keep_checksums=True)
    heads = failed_checks(verify(profile, outcome.run_id, "structure"))["heads g.bundle.zst"]
    assert " en lugar de " in heads, heads


def test_a_postgresql_run_in_spanish_good_and_cut_short(tmp_path, postgres_db, spanish):
    db = postgres_db["database"]
    psql(db, "CREATE TABLE grades (id serial PRIMARY KEY, mark int); INSERT INTO grades(mark) VALUES (1), (2);")
    before = scratch_pg()
    profile = pg_profile(tmp_path, db)
    outcome = run_repository(profile, profile.repository("pg"))
    assert outcome.state == "good", outcome.message
    result = verify(profile, outcome.run_id, "restore")
    assert result.outcome == "passed", failed_checks(result)
    said = details(result)
    assert " entradas, 1 con datos de tabla" in said[f"pg_restore --list {db}.pgdump.zst"], said
    assert said["complete globals.sql.zst"] == "termina con la línea de fin de pg_dumpall"
    assert said[f"restore {db}"].startswith("pg_restore en dse_verify_r"), said
    assert said[f"rows {db}"] == "1 tabla(s), 2 filas, como al respaldar"
    assert not scratch_pg() - before, "the scratch database is dropped"
    part = f"{db}.pgdump.zst"
    dump = unzstd(f"{outcome.artifact}/{part}")
    rewrite_part(profile, outcome.run_id, part, zstd_bytes(dump[:len(dump) * 2 // 3]), keep_checksums=True)
    failed = failed_checks(verify(profile, outcome.run_id, "restore"))  # pg_restore cannot read it whole
    assert failed[f"pg_restore --list {part}"].startswith("pg_restore --list terminó con el estado de salida 1: "), failed
    assert not scratch_pg() - before, "dropped after a failure too"
    globals_sql = unzstd(f"{outcome.artifact}/globals.sql.zst")
    rewrite_part(profile, outcome.run_id, "globals.sql.zst", zstd_bytes(globals_sql[:200]), keep_checksums=True)
    assert failed_checks(verify(profile, outcome.run_id, "structure"))["complete globals.sql.zst"] == \
        "falta la línea de fin de pg_dumpall: el volcado quedó cortado"


def test_a_mariadb_run_in_spanish_good_and_a_user_who_cannot_make_the_scratch_database(tmp_path, mariadb_db,
                                                                                           mariadb_user, monkeypatch,
                                                                                           spanish):
    db = mariadb_db["database"]
    maria(mariadb_db, "CREATE TABLE books (id INT PRIMARY KEY, title TEXT); INSERT INTO books VALUES (1, 'Quijote');",
          db)
    before = scratch_maria(mariadb_db)
    profile = maria_profile(tmp_path, db)
    outcome = run_repository(profile, profile.repository("my"))
    assert outcome.state == "good", outcome.message
    result = verify(profile, outcome.run_id, "restore")
    assert result.outcome == "passed", failed_checks(result)
    said = details(result)
    assert said[f"complete {db}.sql.zst"] == "termina con la línea de fin de la herramienta de volcado"
    assert said[f"restore {db}"].startswith("cargado en dse_verify_r"), said
    assert said[f"rows {db}"] == "1 tabla(s), 1 filas, como al respaldar"
    assert not scratch_maria(mariadb_db) - before

    # The same run checked by a user who may only read it: the scratch database cannot be made, which says
    # nothing of the run (inconclusive), in Spanish.
    user, password = mariadb_user
    maria(mariadb_db, f"REVOKE ALL PRIVILEGES, GRANT OPTION FROM '{user}'@'%'; GRANT SELECT ON {db}.* TO '{user}'@'%';")
    monkeypatch.setenv("DSE_TEST_MY_PASSWORD", password)
    text = profile.file.read_text().replace("user: root", f"user: {user}, password_env: DSE_TEST_MY_PASSWORD")
    profile.file.write_text(text)
    from dse_tui.core.profile.config import load_profile

    reader = load_profile(profile.file)
    result = verify(reader, outcome.run_id, "restore")
    assert result.outcome == "inconclusive", failed_checks(result)
    scratch = failed_checks(result)[f"scratch database for {db}"]
    assert scratch.startswith("no se puede crear una base de datos temporal: "), scratch
    assert not scratch_maria(mariadb_db) - before


def test_the_catalogs_hash_chain_check_in_spanish(tmp_path, spanish):
    from tests.test_catalog_rebuild import good_run, site, with_catalog_backup

    profile, _ = site(tmp_path, "  - {id: nas, kind: directory, path: ./nas}", "nas", copies=1)
    profile = with_catalog_backup(profile, "catalog_backup: {periodicity: 6h, destinations: [nas], copies: 1}")
    run_id = good_run(profile, "dse-catalog")
    (chain,) = [c for c in verify(profile, run_id, "structure").checks if c.name.startswith("event chain")]
    assert chain.ok and chain.detail == "la cadena de hashes se verifica", chain


# ---------------------------------------------------------------- the verification's own failures

def test_a_pruned_run_has_no_artifact_and_one_pruned_while_verified_says_so_in_spanish(tmp_path, spanish):
    from dse_tui.core.verification.runs import verify_run

    profile, outcome = files_run(tmp_path)
    part = Path(outcome.artifact) / "w.tar.zst"
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a failure that retention, removing the run meanwhile, makes meaningless
    part.write_bytes(bytes(data))
    with Catalog(profile.catalog_path) as catalog:
        run = catalog.run(outcome.run_id)
        pruned = []

        def prune_meanwhile(line: str) -> None:
            if not pruned:
                catalog.mark_pruned(run.id)
                pruned.append(line)

        result = verify_run(profile, catalog, run, level="checksum", log=prune_meanwhile)
        assert result.outcome == "cancelled"
        assert details(result)["artifact"] == "la retención la eliminó durante la verificación"
        result = verify_run(profile, catalog, catalog.run(outcome.run_id), level="checksum")
    assert result.message == "la ejecución no tiene artefacto que verificar"
    assert details(result) == {"artifact": "la ejecución no tiene artefacto (falló, o la retención lo eliminó)"}


def test_out_of_time_a_bug_and_no_scratch_folder_in_spanish(tmp_path, spanish, monkeypatch):
    from dse_tui.core.verification import runs
    from dse_tui.core.verification.runs import check_run

    profile, outcome = files_run(tmp_path)
    repo = profile.repository("w")
    with Catalog(profile.catalog_path) as catalog:
        run = catalog.run(outcome.run_id)
        state, checks = check_run(profile, repo, run, catalog, "checksum", timeout=1e-9)
        assert state == "inconclusive"
        assert {c.name: c.detail for c in checks}["time"] == f"superó el tiempo límite de {repo.timeout}"

        def broken(*args):
            raise RuntimeError("a bug")

        monkeypatch.setattr(runs, "evaluate", broken)  # the site's rules, after the levels
        state, checks = check_run(profile, repo, run, catalog, "structure")
        assert {c.name: c.detail for c in checks}["internal"] == "error interno: RuntimeError('a bug')"
        monkeypatch.undo()

        (profile.storage_root / ".scratch").rmdir()
        (profile.storage_root / ".scratch").write_text("in the way")
        state, checks = check_run(profile, repo, run, catalog, "structure")
    assert state == "failed"
    assert {c.name: c.detail for c in checks}["scratch"].startswith(
        f"no se puede crear una carpeta temporal en {profile.storage_root}: ")


def test_a_tool_missing_at_verification_in_spanish(tmp_path, spanish, monkeypatch):
    profile, outcome = files_run(tmp_path)
    bare = tmp_path / "bin-without-zstd"
    bare.mkdir()
    for tool in ("tar", "sha256sum"):
        os.symlink(f"/usr/bin/{tool}", bare / tool)
    monkeypatch.setenv("PATH", str(bare))
    result = verify(profile, outcome.run_id, "structure")
    assert result.outcome == "inconclusive"
    assert "zstd no está instalado o no está en el PATH" in failed_checks(result).values(), failed_checks(result)


def test_the_sites_rules_in_spanish(tmp_path, spanish):
    from dse_tui.core.verification.rules import evaluate

    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}, rules: "
                                     "{min_size: 1 GiB, require: [index.html, nada.txt], shrink_percent: 50}}")
    manifest = {"data_size": 1000, "files": [{"path": "index.html"}]}
    said = {name: (ok, detail) for name, ok, detail in evaluate(profile.repository("w"), manifest, [4000, 4000], None)}
    assert said["min_size"] == (False, "1000 Bytes (se exige al menos 1.0 GiB)"), said
    assert said["require"] == (False, "falta: nada.txt"), "one name missing: singular"
    (tmp_path / "two").mkdir()
    two = profile_with(tmp_path / "two", "{id: w, kind: web, driver: files, source: {path: ./www}, rules: "
                                         "{require: [a.txt, b.txt]}}")
    assert evaluate(two.repository("w"), manifest, [], None)[0][1:] == (False, "faltan: a.txt, b.txt")
    assert said["shrink"][1].startswith("1000 Bytes es menos del 50% de la mediana, 3.9 KiB, de las 2 últimas "
                                        "ejecuciones correctas"), said
    accepted = evaluate(profile.repository("w"), manifest, [4000], "archivado a propósito")[-1]
    assert accepted == ("shrink", True, "1000 Bytes frente a una mediana de 3.9 KiB; aceptada: archivado a propósito")


def test_a_manifest_whose_list_of_files_is_cut_short_is_said_in_spanish(tmp_path, spanish):
    """The restore's tree of contents reads the same list of files the checks do: its damage in Spanish too."""
    from dse_tui.core.restore.contents import ContentsError, open_contents
    from dse_tui.core.verification.manifest import write_manifest

    write_manifest(tmp_path / "m.json", {"format": "x", "files": [{"path": "a", "type": "dir"},
                                                                  {"path": "a/b", "type": "file", "size": 1}]})
    (tmp_path / "m.json").write_bytes((tmp_path / "m.json").read_bytes().replace(b"},\n", b"}\n", 1))
    with pytest.raises(ContentsError, match="no se puede leer: su lista de archivos está cortada o dañada"):
        open_contents(tmp_path / "m.json")


def test_a_copys_verification_in_spanish_when_its_destination_left_the_profile_or_it_is_cancelled(tmp_path,
                                                                                                    spanish,
                                                                                                    monkeypatch):
    from types import SimpleNamespace

    from dse_tui.core.destinations import verify as copy_verify
    from dse_tui.core.destinations.copies import copy_pending
    from dse_tui.core.destinations.verify import verify_copy
    from dse_tui.core.engine.pipeline import Cancelled
    from tests.copy_helpers import site

    profile, _ = site(tmp_path, "  - {id: nas, kind: directory, path: ./nas}", "nas", copies=1)
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
        copy = catalog.copy(outcome.copy_id)

        def cancelled(job, copy):  # the operator cancels while the copy is re-read
            raise Cancelled()

        monkeypatch.setattr(copy_verify, "kind_module", lambda kind: SimpleNamespace(verify=cancelled))
        check = verify_copy(profile, catalog, copy)
        assert (check.outcome, check.message) == ("cancelled", "cancelada por el operador")
        monkeypatch.undo()
        del profile.destinations["nas"]
        check = verify_copy(profile, catalog, copy)
    assert (check.outcome, check.message) == ("inconclusive", "el destino nas ya no está en el perfil")


def test_modes_times_and_a_hard_link_restored_differently_are_said_in_spanish(tmp_path, spanish):
    """_restored_differently's phrases (the trial restore and a restore hold the extracted tree to them)."""
    from tests.test_verify_local import fidelity_run

    profile, outcome, part = fidelity_run(tmp_path)

    def tamper(member, data):
        if member.name == "docs":
            member.mtime = int(member.mtime) + 3600
            member.pax_headers = {}
        elif member.name == "bin/run.sh":
            member.mode = 0o700
        return data

    rewrite_part(profile, outcome.run_id, "t.tar.zst", _retar(part, edit=tamper), keep_checksums=True)
    detail = failed_checks(verify(profile, outcome.run_id, "restore"))["files t.tar.zst"]
    assert "bin/run.sh: no se restauró como se registró (permisos 0700, se registró 0755)" in detail, detail
    assert "docs: no se restauró como se registró (modificado " in detail and ", se registró " in detail, detail

    def unlinked(member, data):  # the second name of a hard link stored as a file of its own
        if member.name == "docs/data-again.bin":
            whole = (tmp_path / "srv" / "data.bin").read_bytes()
            member.type, member.linkname, member.size = b"0", "", len(whole)
            return whole
        return data

    rewrite_part(profile, outcome.run_id, "t.tar.zst", _retar(part, edit=unlinked), keep_checksums=True)
    assert "docs/data-again.bin: un fichero en el archivo, un enlace duro en el manifiesto" in failed_checks(
        verify(profile, outcome.run_id, "structure"))["listing t.tar.zst"]

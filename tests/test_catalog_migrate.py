"""`dse-tui catalog migrate --to postgresql://…`: a populated SQLite catalog copied, its chain intact."""

from __future__ import annotations

from dse_tui.cli import main
from dse_tui.core.catalog import Catalog
from dse_tui.core.catalog.transfer import TABLES, columns
from dse_tui.core.records.audit import verify_chain
from tests.catalog_backend import sqlite_only
from tests.conftest import record_runs


def _url(db: dict) -> str:
    return f"postgresql://{db['user']}@{db['host']}:{db['port']}/{db['database']}"


def _rows(catalog, table):
    names = columns(catalog, table)
    return [tuple(r) for r in catalog.conn.execute(f"SELECT {', '.join(names)} FROM {table} ORDER BY 1").fetchall()]


@sqlite_only  # its source is a SQLite file: the default mode's test
def test_migrate_copies_every_row_and_the_chain_verifies(tmp_path, postgres_db, capsys):
    path = tmp_path / "catalog.sqlite"
    record_runs(path, "db1", "ggfgc")
    record_runs(path, "db2", "gfg")
    with Catalog(path) as catalog:
        catalog.record_event("profile checked", "ok", detail={"n": 1})
        assert verify_chain(catalog)[1] == []
        events = catalog.last_event_id()
    assert events > 5
    assert main(["catalog", "migrate", "--catalog", str(path), "--to", _url(postgres_db)]) == 0
    with Catalog(path) as src, Catalog(_url(postgres_db)) as dst:
        assert verify_chain(dst) == verify_chain(src)
        assert verify_chain(dst)[1] == []
        for table in TABLES:
            assert _rows(dst, table) == _rows(src, table), table
        # Identities go on after the copied ids: new records get new ids, and the chain goes on.
        run = dst.start_run("db1")
        assert run > max(r[0] for r in _rows(src, "runs"))
        dst.record_event("after", "ok")
        assert verify_chain(dst)[1] == []


@sqlite_only
def test_migrate_copies_the_last_runs_as_they_are_and_leaves_the_trigger_on(tmp_path, postgres_db):
    """The runs go in with migration 16's trigger off (on, it updated the repository's row once per run, all
    in one transaction: that table grew a page per ~150 runs); each repository's last runs are the
    source's, and the trigger keeps them again afterwards."""
    path = tmp_path / "catalog.sqlite"
    (g,) = record_runs(path, "db1", "g")
    with Catalog(path) as catalog:
        repo = catalog.repository_id("db1")
        catalog.conn.executemany("INSERT INTO runs(repository_id, started_at, state) VALUES (?, ?, 'failed')",
                                 [(repo, f"2020-01-01T00:{i // 60:02d}:{i % 60:02d}+00:00") for i in range(600)])
    assert main(["catalog", "migrate", "--catalog", str(path), "--to", _url(postgres_db)]) == 0
    with Catalog(_url(postgres_db)) as dst:
        assert dst.conn.execute("SELECT pg_relation_size('repositories')").fetchone()[0] <= 8192
        assert dst.conn.execute("SELECT last_attempt_id, last_good_id FROM repositories").fetchall() == [(g, g)]
        run = dst.start_run("db1")
        assert dst.conn.execute("SELECT last_attempt_id, last_good_id FROM repositories").fetchall() == [(run, g)]


@sqlite_only
def test_migrate_refuses_a_target_holding_records_and_a_url_with_a_password(tmp_path, postgres_db, capsys):
    path = tmp_path / "catalog.sqlite"
    record_runs(path, "db1", "g")
    with Catalog(_url(postgres_db)) as dst:
        dst.start_run("other")
    assert main(["catalog", "migrate", "--catalog", str(path), "--to", _url(postgres_db)]) != 0
    assert "already holds records" in capsys.readouterr().err
    secret = "s3cret-pw"
    assert main(["catalog", "migrate", "--catalog", str(path), "--to",
                 f"postgresql://postgres:{secret}@127.0.0.1/x"]) != 0
    assert secret not in capsys.readouterr().out


PROFILE = """site: {{id: pgsite, name: PG site}}
storage: {{root: ./backups, catalog: '{catalog}'{extra}}}
repositories:
  - {{id: web, name: Web, kind: web, driver: files, source: {{path: ./src}}, periodicity: 1d}}
"""


def test_a_profile_puts_its_catalog_on_postgresql_and_never_takes_a_password_in_the_url(tmp_path, postgres_db):
    import pytest

    from dse_tui.core.catalog import open_catalog
    from dse_tui.core.profile.config import load_profile
    from dse_tui.core.profile.problems import ConfigError
    from tests.conftest import write_profile

    secret = "hunter2-pw"
    bad = write_profile(tmp_path / "bad", PROFILE.format(
        catalog=f"postgresql://postgres:{secret}@127.0.0.1/{postgres_db['database']}", extra=""))
    with pytest.raises(ConfigError) as err:
        load_profile(bad)
    assert "password" in str(err.value) and secret not in str(err.value)
    good = write_profile(tmp_path / "good", PROFILE.format(
        catalog=_url(postgres_db), extra=", catalog_password_env: DSE_TEST_UNSET_PW"))
    profile = load_profile(good)
    assert profile.catalog_path == _url(postgres_db) and profile.catalog_password_env == "DSE_TEST_UNSET_PW"
    with open_catalog(profile) as catalog:
        assert catalog.dialect.name == "postgresql" and catalog.path is None
        assert "web" in catalog.last_status()
    assert not (tmp_path / "good" / "catalog.sqlite").exists()

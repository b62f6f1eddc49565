"""The headless commands, run as cron and monitoring run them: a real process, exit status, output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


from dse_tui.core.catalog import Catalog
from dse_tui.core.profile.config import load_profile
from tests.catalog_backend import sqlite_only
from tests.conftest import ROOT, record_runs, write_profile


def dse(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dse_tui", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=120)


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr + result.stdout


def test_demo_init_prints_the_profile_path_last(tmp_path):
    result = dse("demo", "init", str(tmp_path / "site"))
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path == tmp_path / "site" / "profile.yaml"
    profile = load_profile(path)
    assert {r.kind for r in profile.repositories} == {"database", "software", "web", "config"}
    assert any(r.driver == "files" for r in profile.repositories)
    for repo in profile.repositories:
        assert repo.source["path"].exists(), repo.id
    git_log = subprocess.run(["git", "-C", str(profile.repository("timetable-app").source["path"]), "log",
                              "--oneline"], capture_output=True, text=True)
    assert len(git_log.stdout.splitlines()) >= 3
    import sqlite3

    with sqlite3.connect(profile.repository("library-db").source["path"]) as db:
        assert db.execute("SELECT count(*) FROM books").fetchone()[0] > 0


def test_demo_init_keeps_an_existing_site(tmp_path):
    first = dse("demo", "init", str(tmp_path))
    marker = Path(first.stdout.splitlines()[-1])
    marker.write_text(marker.read_text() + "\n# edited by the site\n")
    again = dse("demo", "init", str(tmp_path))
    assert again.returncode == 0
    assert "# edited by the site" in marker.read_text()


def test_status_json_of_a_new_site_is_never_and_exit_1(demo_profile):
    result = dse("status", "--json", "--profile", str(demo_profile))
    assert result.returncode == 1
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and len(rows) == 4
    for row in rows:
        assert {"id", "kind", "driver", "state", "last_run_at", "next_due_at"} <= set(row)
        assert row["state"] == "never" and row["last_run_at"] is None


def test_status_exit_codes_follow_the_worst_state(demo_profile):
    profile = load_profile(demo_profile)
    runs = {repo.id: record_runs(profile.catalog_path, repo.id, "g", now=_now())[0] for repo in profile.repositories}
    unstored = dse("status", "--json", "--profile", str(demo_profile))
    assert unstored.returncode == 1, "good but on no device yet: not stored (procedure 4.2.1), a warning"
    assert not any(r["stored"] for r in json.loads(unstored.stdout))
    with Catalog(profile.catalog_path) as catalog:
        for repo in profile.repositories:
            for n in range(repo.copies):
                catalog.add_copy(runs[repo.id], f"device-{n}", path=f"/media/{n}")
    ok = dse("--profile", str(demo_profile), "status", "--json")  # --profile before the command works too
    assert ok.returncode == 0, ok.stdout
    row = next(r for r in json.loads(ok.stdout) if r["id"] == "library-db")
    assert row["state"] == "ok" and row["last_run_at"].endswith("+00:00")

    record_runs(profile.catalog_path, "www-main", "f", now=_now())
    assert dse("status", "--profile", str(demo_profile)).returncode == 2

    with Catalog(profile.catalog_path) as catalog:
        catalog.set_manual_required("www-main", "restore test failed")
    table = dse("status", "--profile", str(demo_profile))
    assert table.returncode == 2
    line = next(line for line in table.stdout.splitlines() if line.startswith("www-main"))
    assert "manual-required" in line and "restore test failed" in line


def test_status_table_has_a_row_per_repository(demo_profile):
    result = dse("status", "--profile", str(demo_profile))
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "KIND", "DRIVER", "STATE"]
    assert [line.split()[0] for line in lines[1:]] == ["library-db", "timetable-app", "www-main", "server-config"]


def test_profile_from_the_environment(demo_profile):
    result = dse("status", "--json", env={"DSE_TUI_PROFILE": str(demo_profile)})
    assert len(json.loads(result.stdout)) == 4


def test_broken_profile_gives_file_line_key_and_no_traceback(tmp_path):
    path = write_profile(tmp_path, "site: {id: t, name: T}\nstorage: {root: ./b}\nrepositories:\n"
                                   "  - {id: x, kind: web, driver: files, source: {path: .}, verfy: checksum}\n")
    for command in (["status"], ["status", "--json"], ["check"]):
        result = dse(*command, "--profile", str(path))
        no_traceback(result)
        assert result.returncode != 0
        assert f"{path}:4: repositories[0].verfy: unknown key 'verfy'; did you mean 'verify'?" in (
            result.stderr + result.stdout)
    assert dse("status", "--profile", str(path)).returncode == 3


def test_missing_profile_says_what_to_do(tmp_path):
    result = dse("status", "--profile", str(tmp_path / "nowhere.yaml"))
    no_traceback(result)
    assert result.returncode == 3
    assert "no profile at" in result.stderr and "dse-tui demo init" in result.stderr


def test_check_on_the_demo_site_is_all_ok(demo_profile):
    result = dse("check", "--profile", str(demo_profile))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    warnings = [line for line in lines if line.startswith("warn")]
    assert all(line.startswith("ok") for line in lines if line not in warnings), lines
    # The demo keeps everything in one folder on purpose: check says which copies would count once.
    assert any("shelf-disk, offsite-share: on one device" in w and "count once" in w for w in warnings), warnings
    assert all("device" in w for w in warnings), warnings
    assert any("disc-images" in w and "once burned" in w for w in warnings), "images wait on the same disk"
    assert any(line.startswith("ok     tool zstd:") for line in lines)
    assert any("destination shelf-disk:" in line and "free" in line for line in lines)


def test_check_reports_each_problem_on_its_line(demo_profile):
    profile = load_profile(demo_profile)
    profile.repository("library-db").source["path"].unlink()
    (demo_profile.parent / "media" / "offsite-share").rmdir()
    result = dse("check", "--profile", str(demo_profile))
    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("error")]
    assert len(errors) == 2, result.stdout
    assert "repository library-db: source" in errors[0] and "does not exist" in errors[0]
    assert "destination offsite-share:" in errors[1]
    assert "2 errors" in result.stderr


def test_check_names_a_missing_tool(demo_profile, tmp_path):
    # A PATH without zstd: the finding names the tool and who needs it.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("git", "tar", "lsblk"):
        (bin_dir / tool).symlink_to(subprocess.run(["which", tool], capture_output=True, text=True).stdout.strip())
    result = dse("check", "--profile", str(demo_profile), env={"PATH": str(bin_dir)})
    assert result.returncode == 1
    assert any(line.startswith("error  tool zstd: not installed (needed by library-db, timetable-app")
               for line in result.stdout.splitlines()), result.stdout


def test_check_names_an_unknown_checklist(demo_profile):
    text = demo_profile.read_text().replace("    verify: restore\n", "    verify: restore\n    checklist: nope\n")
    demo_profile.write_text(text)
    result = dse("check", "--profile", str(demo_profile))
    assert result.returncode == 1
    assert "repository library-db: checklist 'nope' does not exist" in result.stdout


def test_version_and_help():
    assert dse("--version").stdout.startswith("dse-tui ")
    help_text = dse("--help").stdout
    for command in ("check", "status", "demo"):
        assert command in help_text


def _now():
    from dse_tui.core.common.timeutil import utcnow

    return utcnow()


def test_usage_errors_are_not_mistaken_for_a_failed_backup(demo_profile):
    # argparse's words follow the locale (tests/test_cli_help.py): an English one here, whatever the machine's
    result = dse("status", "--jsn", "--profile", str(demo_profile), env={"LC_ALL": "C.UTF-8"})
    assert result.returncode == 3 and "unrecognized arguments: --jsn" in result.stderr


@sqlite_only  # the file's and its folder's permissions
def test_status_reads_a_catalog_it_may_not_write(demo_profile):
    profile = load_profile(demo_profile)
    record_runs(profile.catalog_path, "library-db", "g", now=_now())
    argv = [sys.executable, "-m", "dse_tui", "status", "--json", "--profile", str(demo_profile)]
    if os.geteuid() == 0:
        argv = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *argv]
    for path in (profile.catalog_path, profile.catalog_path.parent):
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        result = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    finally:
        profile.catalog_path.parent.chmod(0o755)
    assert result.returncode == 1, result.stderr  # due/never, not 3: the catalog was read
    assert next(r for r in json.loads(result.stdout) if r["id"] == "library-db")["state"] == "ok"


@sqlite_only  # the file's name on the disk
def test_a_catalog_path_with_hash_and_question_marks(tmp_path):
    body = (ROOT / "profiles" / "demo.yaml").read_text().replace("catalog: ./catalog.sqlite",
                                                                 "catalog: './we#ird?/cat.sqlite'")
    path = write_profile(tmp_path, body)
    assert dse("status", "--profile", str(path)).returncode == 1
    assert (tmp_path / "we#ird?" / "cat.sqlite").exists() and not (tmp_path / "we").exists()


def test_check_names_an_unset_password_variable(tmp_path):
    body = ("site: {id: t, name: T}\nstorage: {root: ./b, catalog: ./c.sqlite}\nrepositories:\n"
            "  - {id: my, kind: database, driver: mysql, source: {host: 127.0.0.1, user: root, "
            "password_env: DSE_SURELY_UNSET_VAR}}\n")
    result = dse("check", "--profile", str(write_profile(tmp_path, body)))
    assert result.returncode == 1
    assert "the environment variable DSE_SURELY_UNSET_VAR (password_env) is not set" in result.stdout


def test_check_changes_nothing_on_disk(tmp_path):
    body = ("site: {id: t, name: T}\nstorage: {root: ./not/yet/there, catalog: ./c.sqlite}\nrepositories:\n"
            "  - {id: w, kind: web, driver: files, source: {path: .}}\n")
    result = dse("check", "--profile", str(write_profile(tmp_path, body)))
    assert f"storage: {tmp_path}/not/yet/there will be created by the first run; {tmp_path} writable" in result.stdout
    assert not (tmp_path / "not").exists()


def test_copies_beyond_those_required_read_as_extra_not_as_more_than_whole(demo_profile):
    """Issue 17: the copies column could read "3/2"."""
    profile = load_profile(demo_profile)
    repo = profile.repository("library-db")
    (run,) = record_runs(profile.catalog_path, repo.id, "g", now=_now())
    with Catalog(profile.catalog_path) as catalog:
        for n in range(repo.copies + 1):
            catalog.add_copy(run, f"device-{n}", path=f"/media/{n}")
    out = dse("status", "--profile", str(demo_profile)).stdout
    row = next(line for line in out.splitlines() if line.startswith("library-db"))
    assert f"{repo.copies}/{repo.copies} +1" in row and f"{repo.copies + 1}/{repo.copies}" not in row, row


def test_check_without_a_profile_says_where_it_looked_and_how_to_get_one(tmp_path):
    """Issue 20: not "file not found" as if the profile had a problem; in both languages."""
    missing = tmp_path / "nowhere" / "profile.yaml"
    for language, words in (("en", "no profile at"), ("es", "no hay perfil en")):
        result = dse("--lang", language, "check", "--profile", str(missing))
        assert result.returncode == 1
        assert f"{words} {missing}" in result.stderr
        assert "dse-tui demo init" in result.stderr and "--profile" in result.stderr
        assert "file not found" not in result.stdout + result.stderr
        no_traceback(result)


def test_check_lists_the_tools_the_destinations_run(tmp_path):
    """Issue 20: discs need xorriso, an SSH destination ssh, one that encrypts age, a removable disk lsblk:
    each is a tool line, found with its version, missing with who needs it."""
    from tests.encryption_helpers import make_key

    _, recipient, _ = make_key(tmp_path / "keys")
    body = f"""site: {{id: t, name: T}}
storage: {{root: ./backups}}
destinations:
  - {{id: discs, kind: optical, path: ./discs, disc: cd}}
  - {{id: nas, kind: ssh, host: 127.0.0.1, port: 1, path: /srv/backups}}
  - {{id: safe, kind: directory, path: ./safe, recipients: [{recipient}]}}
  - {{id: usb, kind: removable, label: DSE}}
repositories:
  - {{id: web, kind: web, driver: files, source: {{path: .}}, periodicity: 1d, destinations: [discs, nas, safe, usb]}}
"""
    profile = write_profile(tmp_path, body)
    found = dse("check", "--profile", str(profile)).stdout.splitlines()
    for tool in ("xorriso", "ssh", "age", "lsblk"):
        line = next((x for x in found if x.startswith(f"ok     tool {tool}: ")), None)
        assert line and "(" in line, f"{tool} with its version in:\n" + "\n".join(found)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("tar", "zstd"):
        (bin_dir / tool).symlink_to(subprocess.run(["which", tool], capture_output=True, text=True).stdout.strip())
    result = dse("check", "--profile", str(profile), env={"PATH": str(bin_dir)})
    assert result.returncode == 1
    for tool, user in (("xorriso", "discs"), ("ssh", "nas"), ("age", "safe"), ("lsblk", "usb")):
        assert f"error  tool {tool}: not installed (needed by destination {user})" in result.stdout, result.stdout

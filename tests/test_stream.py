"""Pipelines at sizes past the pipes' buffers: a reader that stops early, the error a failure reports."""

from __future__ import annotations

import io
import os
import subprocess

from dse_tui.core.engine.pipeline import Stage, error_line, stream

SIZE = 24 << 20  # well past the 1 MiB pipes: what is not read blocks or breaks the writer


def producer(size: int = SIZE) -> Stage:
    # A C tool, as zstd -d is: SIGPIPE kills it (Python would only raise BrokenPipeError).
    return Stage(["dd", "if=/dev/urandom", "bs=1M", f"count={size >> 20}", "status=none"], name="producer")


def head(stops_early: bool) -> Stage:
    return Stage(["head", "-c", "1000"], name="head", stops_early=stops_early)


def test_a_reader_that_stops_early_leaves_its_writers_whole():
    out = io.BytesIO()
    result = stream([producer(), head(stops_early=True)], out, sync=False)
    assert result.ok, result.failure()
    assert result.size == 1000
    assert [s.returncode for s in result.stages] == [0, 0], "the producer wrote to its end, it was not killed"


def test_without_the_mark_the_writer_dies_of_sigpipe():
    # What the mark prevents: pg_restore --list after a dump over the pipe's size (issue 16).
    result = stream([producer(), head(stops_early=False)], io.BytesIO(), sync=False)
    assert not result.ok and result.stages[0].returncode == -13


def test_a_failure_names_the_reader_that_failed_not_the_writer_it_broke():
    failing = Stage(["sh", "-c", "head -c 10 >/dev/null; echo 'reader: error: the real reason' >&2; exit 3"],
                    name="reader")
    result = stream([producer(), failing], io.BytesIO(), sync=False)
    assert result.failure() == "reader exited with status 3: reader: error: the real reason"


def test_the_error_line_is_the_tools_own_not_the_detail_after_it():
    pg = ("pg_dumpall: error: query failed: ERROR:  permission denied for table pg_authid\n"
          "pg_dumpall: detail: Query was: SELECT oid, rolname FROM pg_authid\n")
    assert error_line(pg) == "pg_dumpall: error: query failed: ERROR:  permission denied for table pg_authid"
    git = "fatal: unable to read ff24988b\nerror: pack-objects died\n"
    assert error_line(git) == "fatal: unable to read ff24988b"
    tar = "tar: a/f.txt: Cannot open: Permission denied\ntar: Exiting with failure status due to previous errors\n"
    assert error_line(tar) == "tar: a/f.txt: Cannot open: Permission denied"
    assert error_line("warming up\nsomething odd happened\n") == "something odd happened"


def test_a_git_bundle_of_a_damaged_repository_says_which_object(tmp_path):
    from tests.engine_helpers import profile_with
    from dse_tui.core.engine.runner import run_repository

    repo = tmp_path / "src"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a",
           "GIT_COMMITTER_EMAIL": "a@b"}
    for i in range(3):
        (repo / f"f{i}").write_text(f"content {i}\n")
        subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
        subprocess.run(["git", "-C", str(repo), "commit", "-qm", f"c{i}"], check=True, env=env)
    obj = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD:f1"], capture_output=True, text=True,
                         check=True).stdout.strip()
    (repo / ".git" / "objects" / obj[:2] / obj[2:]).unlink()
    profile = profile_with(tmp_path, f"{{id: app, kind: software, driver: git, source: {{path: {repo}}}}}")
    outcome = run_repository(profile, profile.repository("app"))
    assert outcome.state == "failed"
    assert f"fatal: unable to read {obj}" in outcome.message, outcome.message

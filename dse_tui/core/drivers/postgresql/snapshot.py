"""A psql session that holds a REPEATABLE READ transaction open and exports its snapshot: the row counts
it takes and the pg_dump run with `--snapshot` see exactly the same data."""

from __future__ import annotations

import os
import subprocess
import threading
import time

from dse_tui.core.drivers.base import BackupError, advice
from dse_tui.core.engine.pipeline import Stage
from dse_tui.core.engine.supervisor import Children
from dse_tui.core.texts import said

END = "--dse-tui-end--"
# Every ordinary and partitioned table outside the system schemas, with its exact row count, in one query.
COUNT_SQL = """SELECT n.nspname || '.' || c.relname || '|' ||
 (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname),
                                      false, true, '')))[1]::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' ORDER BY 1;"""


class Snapshot:
    def __init__(self, stage: Stage, timeout: float, what: str = "psql", stderr: list[str] | None = None):
        self.what = what
        self.stderr = stderr if stderr is not None else []  # the run's log, where psql's complaint is kept
        env = {**os.environ, **(stage.env or {})}
        self.children = Children()
        self.proc = self.children.start(stage.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=env)
        # A psql that hangs (a lock, a dead network) must not hang the run: the timer ends it.
        self.timer = threading.Timer(timeout, self.children.stop)
        self.timer.daemon = True
        self.timer.start()

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc) -> None:
        self.timer.cancel()
        try:
            self.proc.stdin.write("COMMIT;\n")
            self.proc.stdin.close()
        except OSError:
            pass
        self.children.wait(deadline=time.monotonic() + 30)  # past it: stopped, as any child is
        self.proc.stdout.close()
        self.proc.stderr.close()

    def query(self, sql: str) -> list[str]:
        try:
            self.proc.stdin.write(f"{sql}\nSELECT '{END}';\n")
            self.proc.stdin.flush()
        except OSError:
            pass
        lines = []
        while (line := self.proc.stdout.readline()) != "":
            line = line.rstrip("\n")
            if line == END:
                return lines
            lines.append(line)
        self.proc.wait()
        text = self.proc.stderr.read()
        self.stderr.append(f"--- {self.what}: psql (exit {self.proc.returncode})\n{text.rstrip()}")
        last = [line for line in text.splitlines() if line.strip()]
        # psql's first line says what failed ("connection ... failed: Connection refused"); the next, a hint.
        failure = said("tool.exited", tool="psql", status=self.proc.returncode) + (f": {last[0].strip()}" if last else "")
        raise BackupError(f"{self.what}: {failure}{advice(failure)}")

    def begin(self) -> str:
        return self.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSELECT pg_export_snapshot();")[-1]

    def counts(self) -> dict[str, int]:
        return parse_counts(self.query(COUNT_SQL))


def parse_counts(lines: list[str]) -> dict[str, int]:
    return {name: int(n) for name, _, n in (line.rpartition("|") for line in lines if "|" in line)}


def count_rows(stage: Stage, timeout: float, what: str = "psql") -> dict[str, int]:
    """Row counts of a database (a trial restore's), for comparing with the backup's."""
    with Snapshot(stage, timeout, what) as snap:
        return snap.counts()

"""Several backup hosts on one PostgreSQL catalog (issue 22): separate processes, each with its own
DSE_TUI_HOST, storage root and data, running `dse-tui run --due` at once. Each runs its own repositories,
a shared one is run by one of them, never two at once (the lease in the catalog: their file locks are in
different storage roots), each run is recorded with its host, and the event log stays one chain. A host
killed mid-run leaves its run running until its lease expires; another host's run then marks it interrupted."""

from __future__ import annotations

import json
import os
import signal
import threading
from datetime import datetime
from pathlib import Path

from dse_tui.core.catalog import Catalog
from tests.conftest import wait_until
from tests.host_helpers import dse, host_site, runs_of, shared_catalog, start  # noqa: F401 (a fixture)
from tests.test_interrupted import stuck_tool

HOSTS = ("h1", "h2", "h3")
# 5 repositories of each host and 5 that any host may run: those are the ones the hosts contend for.
REPOS = {**{f"{h}-r{i}": h for h in HOSTS for i in range(5)}, **{f"any-{i}": None for i in range(5)}}


def _overlap(a: dict, b: dict) -> bool:
    start_a, end_a = datetime.fromisoformat(a["started_at"]), datetime.fromisoformat(a["ended_at"])
    start_b, end_b = datetime.fromisoformat(b["started_at"]), datetime.fromisoformat(b["ended_at"])
    return start_a < end_b and start_b < end_a


def test_hosts_running_what_is_due_at_once_each_run_their_own_and_a_shared_one_once(tmp_path, shared_catalog):
    profiles = {h: host_site(tmp_path, h, shared_catalog, REPOS) for h in HOSTS}
    assert dse(profiles["h1"], "h1", "check").returncode in (0, 1)  # the schema made before the race
    results: dict[str, list] = {h: [] for h in HOSTS}
    barrier = threading.Barrier(len(HOSTS))

    def host_loop(host: str) -> None:
        barrier.wait()  # all at once: the shared repositories are due on every host at the same moment
        for _ in range(2):
            results[host].append(dse(profiles[host], host, "run", "--due", "--json"))

    threads = [threading.Thread(target=host_loop, args=(h,)) for h in HOSTS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for host, done in results.items():
        for result in done:
            assert result.returncode == 0, f"{host}: {result.stderr}"

    runs = runs_of(shared_catalog)
    by_repo: dict[str, list[dict]] = {}
    for run in runs:
        by_repo.setdefault(run["repository"], []).append(run)
    assert sorted(by_repo) == sorted(REPOS), "none missed"
    for repo, owner in REPOS.items():
        made = by_repo[repo]
        # Once: the second pass found nothing due, and a shared one taken by a host is skipped by the others.
        assert [r["state"] for r in made] == ["good"], (repo, made)
        (run,) = made
        assert run["host"] == owner if owner else run["host"] in HOSTS, (repo, run)
        # The run is in the storage root of the host that made it, and in no other.
        assert Path(run["artifact"]).is_relative_to(tmp_path / run["host"] / "storage"), run
    for repo, made in by_repo.items():
        assert not any(_overlap(a, b) for i, a in enumerate(made) for b in made[i + 1:]), repo
    # What each host says it ran (--json lists runs only) is what the catalog holds with its name.
    for host in HOSTS:
        said = [o["run_id"] for result in results[host] for o in json.loads(result.stdout)]
        assert sorted(said) == sorted(r["id"] for r in runs if r["host"] == host), host
    with Catalog(shared_catalog) as catalog:
        started = [json.loads(e["detail"]) for e in catalog.events(1000, action="run started")]
    assert sorted((e["run_id"], e["host"]) for e in started) == sorted((r["id"], r["host"]) for r in runs)

    # Many writers, one chain: every host's events hash-linked in one order.
    audit = dse(profiles["h2"], "h2", "audit", "verify")
    assert audit.returncode == 0, audit.stdout + audit.stderr

    status = dse(profiles["h3"], "h3", "status", "--json")
    rows = {r["id"]: r for r in json.loads(status.stdout)}
    assert rows["h1-r0"]["host"] == "h1" and rows["h1-r0"]["last_attempt_host"] == "h1"
    assert rows["any-0"]["host"] is None and rows["any-0"]["last_attempt_host"] in HOSTS
    table = dse(profiles["h3"], "h3", "status").stdout.splitlines()
    assert table[0].split()[-1] == "HOST"
    assert next(line for line in table if line.startswith("h2-r3")).split()[-1] == "h2"


def test_a_host_killed_mid_run_leaves_its_run_to_be_interrupted_by_another_once_its_lease_expires(
        tmp_path, shared_catalog):
    repos = {"slow": "a", "b1": "b"}
    a = host_site(tmp_path, "a", shared_catalog, repos, lease="3s")
    b = host_site(tmp_path, "b", shared_catalog, repos, lease="3s")
    tools, started = stuck_tool(tmp_path, "zstd")  # host a's backup is caught in its compressor
    proc = start(a, "a", "run", "--due", path_first=tools)
    try:
        wait_until(lambda: started.exists() or proc.poll() is not None, what="host a's run reaching zstd")
        assert proc.poll() is None, proc.communicate()
        (killed,) = runs_of(shared_catalog)
        assert (killed["repository"], killed["host"], killed["state"]) == ("slow", "a", "running")
        with Catalog(shared_catalog) as catalog:
            assert catalog.lease_holder("slow").host == "a"
        os.kill(proc.pid, signal.SIGKILL)  # as kill -9 PID: no goodbye, no lease given back
        proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()

    said = []

    def b_has_closed_it() -> bool:
        result = dse(b, "b", "run", "--due")
        said.append(result.stderr)
        return runs_of(shared_catalog)[0]["state"] != "running"

    wait_until(b_has_closed_it, interval=0.2, what="host b marking host a's dead run interrupted")
    dead = runs_of(shared_catalog)[0]
    assert dead["state"] == "failed" and "lease of host a expired" in dead["message"], dead
    assert any(f"run {killed['id']} of slow on host a is marked interrupted" in text for text in said), said
    with Catalog(shared_catalog) as catalog:
        ended = [json.loads(e["detail"]) for e in catalog.events(action="run ended") if e["outcome"] == "interrupted"]
    assert [e["run_id"] for e in ended] == [killed["id"]]
    assert not any(r["repository"] == "slow" and r["host"] == "b" for r in runs_of(shared_catalog)), \
        "b never runs a's repository"

    # Host a back: its repository, failed, is pending, and runs again there.
    again = dse(a, "a", "run", "--due", "--json")
    assert again.returncode == 0, again.stderr
    (redone,) = json.loads(again.stdout)
    assert redone["repository"] == "slow" and redone["state"] == "good"
    assert {(r["repository"], r["host"], r["state"]) for r in runs_of(shared_catalog)} == {
        ("slow", "a", "failed"), ("b1", "b", "good"), ("slow", "a", "good")}
    audit = dse(b, "b", "audit", "verify")
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_a_host_runs_only_its_own_repositories(tmp_path, shared_catalog):
    repos = {"mine": "a", "theirs": "b", "shared": None}
    a = host_site(tmp_path, "a", shared_catalog, repos)
    refused = dse(a, "a", "run", "theirs")
    assert refused.returncode == 3
    assert "theirs is backed up by host b, and this is host a" in refused.stderr
    everything = dse(a, "a", "run", "--all", "--json")
    assert everything.returncode == 0, everything.stderr
    assert sorted(o["repository"] for o in json.loads(everything.stdout)) == ["mine", "shared"]
    # --this-host says which host this is, as DSE_TUI_HOST does.
    theirs = dse(a, "a", "run", "theirs", "--this-host", "b", "--json")
    assert theirs.returncode == 0, theirs.stderr
    assert {(r["repository"], r["host"]) for r in runs_of(shared_catalog)} == {
        ("mine", "a"), ("shared", "a"), ("theirs", "b")}

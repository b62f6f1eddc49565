"""The lease of a repository in the catalog (catalog/leases.py, engine/hosts.py), on both backends: one
holder at a time even when many race for it, free once expired (and then no longer its holder's to renew),
a run left running by a holder that stopped renewing marked interrupted by whoever looks after it expired."""

from __future__ import annotations

import json
import threading

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.catalog.leases import now_ms
from tests.conftest import wait_until
from tests.host_helpers import shared_catalog  # noqa: F401 (a fixture)


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request, tmp_path):
    """A catalog of each backend: a file, or a PostgreSQL database of the test's own."""
    if request.param == "sqlite":
        return tmp_path / "catalog.sqlite"
    return request.getfixturevalue("shared_catalog")


def test_one_holder_at_a_time_even_when_many_race(where):
    Catalog(where).close()  # the schema first: the race is for the lease, not the migration
    winners, barrier = [], threading.Barrier(8)

    def contender(n: int) -> None:
        with Catalog(where) as catalog:
            barrier.wait()
            if catalog.take_lease("db", f"host{n}", 1000 + n, f"token{n}", 60) is None:
                winners.append(n)

    threads = [threading.Thread(target=contender, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1, winners
    (n,) = winners
    with Catalog(where) as catalog:
        holder = catalog.take_lease("db", "late", 1, "late", 60)
        assert (holder.host, holder.pid) == (f"host{n}", 1000 + n)
        assert catalog.renew_lease("db", f"token{n}", 60) and not catalog.renew_lease("db", "late", 60)
        catalog.drop_lease("db", "late")  # not its to drop
        assert catalog.lease_holder("db").host == f"host{n}"
        catalog.drop_lease("db", f"token{n}")
        assert catalog.lease_holder("db") is None
        assert catalog.take_lease("db", "late", 1, "late", 60) is None


def test_an_expired_lease_is_free_and_no_longer_its_holders(where):
    with Catalog(where) as first, Catalog(where) as second:
        assert first.take_lease("db", "a", 1, "ta", 0.05) is None
        wait_until(lambda: now_ms() > first.conn.execute("SELECT expires_ms FROM leases").fetchone()[0],
                   what="the lease's time to pass")
        assert first.lease_holder("db") is None and "db" not in first.live_leases()
        # Its holder stopped renewing: whoever found it expired may be closing its run, so it is not renewed.
        assert not first.renew_lease("db", "ta", 60)
        assert second.take_lease("db", "b", 2, "tb", 60) is None
        assert first.lease_holder("db").host == "b" and set(first.live_leases()) == {"db"}


def test_a_run_whose_hosts_lease_expired_is_marked_interrupted_and_not_before(where):
    with Catalog(where) as catalog:
        assert catalog.take_lease("db", "a", 1, "ta", 60) is None
        run_id = catalog.start_run("db", host="a")
        older = catalog.start_run("old")  # from before hosts: its own machine's file lock judges it
        assert catalog.interrupt_expired_runs() == [], "its host is alive: it renews its lease"
        catalog.conn.execute("UPDATE leases SET expires_ms = ?", (now_ms() - 1,))  # it stopped renewing
        assert catalog.interrupt_expired_runs() == [(run_id, "db", "a")]
        assert catalog.interrupt_expired_runs() == [], "once"
        run = catalog.run(run_id)
        assert run.state == "failed" and run.host == "a" and "lease of host a expired" in run.message
        assert catalog.run(older).state == "running"
        (event,) = [e for e in catalog.events(action="run ended")]
        assert event["outcome"] == "interrupted" and json.loads(event["detail"])["run_id"] == run_id


def test_a_run_with_no_lease_at_all_is_interrupted(where):
    """Its host died and another took the expired lease, ran, and gave it back: nobody holds one now."""
    with Catalog(where) as catalog:
        run_id = catalog.start_run("db", host="a")
        assert catalog.interrupt_expired_runs() == [(run_id, "db", "a")]


def test_a_dead_process_of_this_host_frees_its_lease_at_once(where, monkeypatch):
    import subprocess

    from dse_tui.core.engine.hosts import Lease, LeaseHeld

    monkeypatch.setenv("DSE_TUI_HOST", "here")
    gone = subprocess.Popen(["true"])
    gone.wait()  # its pid names no process now
    with Catalog(where) as catalog:
        assert catalog.take_lease("db", "here", gone.pid, "dead", 600) is None
        assert catalog.take_lease("other", "elsewhere", gone.pid, "far", 600) is None

        class Site:
            catalog_path = where

        lease = Lease(Site(), "db", 600).acquire(catalog)
        assert catalog.lease_holder("db").pid == lease.pid
        lease.release(catalog)
        assert catalog.lease_holder("db") is None
        # Another host's process is not this host's to judge: its lease runs its time.
        with pytest.raises(LeaseHeld, match="on elsewhere"):
            Lease(Site(), "other", 600).acquire(catalog)


def test_a_lease_is_renewed_while_held_and_its_loss_cancels_the_run(where):
    from dse_tui.core.engine.hosts import Lease

    class Site:
        catalog_path = where

    with Catalog(where) as catalog:
        lease = Lease(Site(), "db", 0.6).acquire(catalog)
        first = catalog.conn.execute("SELECT expires_ms FROM leases").fetchone()[0]
        wait_until(lambda: catalog.conn.execute("SELECT expires_ms FROM leases").fetchone()[0] > first,
                   what="the lease renewed")
        assert not lease.cancel.is_set()
        catalog.conn.execute("UPDATE leases SET token = 'taken'")  # as if it expired and another took it
        wait_until(lease.cancel.is_set, what="the run told to stop")
        assert lease.lost.is_set()
        lease.release(catalog)
        assert catalog.conn.execute("SELECT token FROM leases").fetchone()[0] == "taken", "not its to drop"


def test_the_callers_cancel_reaches_the_run_at_once():
    """The run reads the lease's cancel: a cancel of the caller's is seen at once, not when the lease's
    thread next looks (a small run had ended good before that)."""
    import threading

    from dse_tui.core.engine.hosts import Lease

    outer = threading.Event()
    lease = Lease(None, "docs", 60, outer=outer)
    assert not lease.cancel.is_set()
    outer.set()
    assert lease.cancel.is_set()

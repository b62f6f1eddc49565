"""The media inventory: codes unique and never reused, states and locations, expiry, retiring refused for a
run's only copy; `dse-tui media` and `dse-tui copy` headless."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.destinations.media import MediaError, move, new_code, retire
from tests.test_cli import dse, no_traceback
from tests.copy_helpers import site


def test_codes_follow_the_pattern_and_are_never_reused(tmp_path):
    profile, _ = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, disc: cd}\n"
                                "  - {id: tapes, kind: optical, path: ./tapes, disc: bd, code: 'DSE{seq:03}L6'}",
                      "discs")
    discs, tapes = profile.destinations["discs"], profile.destinations["tapes"]
    with Catalog(profile.catalog_path) as catalog:
        made = []
        for when in (datetime(2026, 3, 1, tzinfo=timezone.utc), datetime(2026, 7, 1, tzinfo=timezone.utc)):
            code, scope, seq = new_code(profile, catalog, discs, when)
            catalog.create_medium(code, "optical", destination="discs", scope=scope, seq=seq)
            made.append(code)
        retire(catalog, made[1], reason="scratched")  # holds nothing: may go
        code, scope, seq = new_code(profile, catalog, discs, datetime(2026, 9, 1, tzinfo=timezone.utc))
        catalog.create_medium(code, "optical", destination="discs", scope=scope, seq=seq)
        made.append(code)
        assert made == ["T-2026-001", "T-2026-002", "T-2026-003"], "a retired code is not given again"
        assert new_code(profile, catalog, discs, datetime(2027, 1, 5, tzinfo=timezone.utc))[0] == "T-2027-001"
        assert new_code(profile, catalog, tapes)[0] == "DSE001L6"
        catalog.create_medium("T-2026-004", "removable", destination="discs")  # typed in by hand, say
        assert new_code(profile, catalog, discs, datetime(2026, 10, 1, tzinfo=timezone.utc))[0] == "T-2026-005"


def test_a_bad_code_pattern_is_a_profile_error(tmp_path):
    from dse_tui.core.profile.config import load_profile
    from dse_tui.core.profile.problems import ConfigError
    from tests.conftest import write_profile

    with pytest.raises(ConfigError) as err:
        load_profile(write_profile(tmp_path, "site: {id: t, name: T}\nstorage: {root: ./b}\n"
                                             "media: {code: 'DSE-{year}'}\n"))
    assert "profile.yaml:3" in str(err.value) and "{seq}" in str(err.value)


def test_retire_is_refused_for_an_only_copy_and_allowed_once_there_is_another(tmp_path, monkeypatch):
    from dse_tui.core.destinations.copies import copy_pending

    profile, run_id = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, disc: cd}\n"
                                     "  - {id: shelf, kind: directory, path: ./shelf}", "discs", copies=1)
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
        (code,) = outcome.media
        with pytest.raises(MediaError, match=f"only verified copy of run {run_id}:"):
            retire(catalog, code)
        assert catalog.medium(code).state == "in-use"
        copy_pending(profile, catalog, to=["shelf"])
        retire(catalog, code, reason="disc cracked")
        assert catalog.medium(code).state == "destroyed"
        with pytest.raises(MediaError, match="does not come back"):
            move(catalog, code, state="in-use")


def test_media_cli_lists_moves_and_flags_expiry(tmp_path):
    profile, run_id = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, disc: cd}", "discs", copies=1)
    copied = dse("copy", "--profile", str(profile.file), "--json")
    assert copied.returncode == 0, copied.stderr
    (outcome,) = json.loads(copied.stdout)
    assert outcome["state"] == "verified" and outcome["destination"] == "discs"
    (code,) = outcome["media"]
    moved = dse("media", "move", code, "--location", "Safe, building B", "--state", "offsite",
                "--profile", str(profile.file))
    assert moved.returncode == 0, moved.stderr
    listed = json.loads(dse("media", "list", "--json", "--profile", str(profile.file)).stdout)
    (item,) = listed
    assert item["code"] == code and item["state"] == "offsite" and item["location"] == "Safe, building B"
    assert [r["run_id"] for r in item["runs"]] == [run_id] and item["sequence"] == ["1 of 1"]
    assert item["expires_at"] and not item["expired"]
    with Catalog(profile.catalog_path) as catalog:  # its contents' retention is over
        catalog.update_medium(catalog.medium(code).id, expires_at=datetime.now(timezone.utc) - timedelta(days=1))
    text = dse("media", "list", "--profile", str(profile.file)).stdout
    assert code in text and "EXPIRED" in text
    refused = dse("media", "retire", code, "--profile", str(profile.file))
    assert refused.returncode == 1 and "only verified copy" in refused.stderr
    no_traceback(refused)
    unknown = dse("media", "show", "NOPE-1", "--profile", str(profile.file))
    assert unknown.returncode == 3 and "no medium 'NOPE-1'" in unknown.stderr
    bad = dse("copy", "--to", "nowhere", "--profile", str(profile.file))
    assert bad.returncode == 3 and "nowhere" in bad.stderr


def test_media_made_at_once_by_two_connections_never_share_a_code(tmp_path):
    import threading

    from dse_tui.core.destinations.media import allocate_medium

    profile, _ = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, disc: cd}", "discs")
    dest = profile.destinations["discs"]
    codes, errors = [], []

    def make(n):
        try:
            with Catalog(profile.catalog_path) as catalog:
                for _ in range(n):
                    codes.append(allocate_medium(profile, catalog, dest, "optical")[0])
        except Exception as exc:  # an IntegrityError here is the bug this test is about
            errors.append(exc)

    threads = [threading.Thread(target=make, args=(15,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(codes) == 60 and len(set(codes)) == 60


@pytest.mark.parametrize("holds_only_copy", [False, True])
def test_every_medium_transition_is_allowed_or_refused_as_the_table_says(tmp_path, holds_only_copy):
    """Issue 17: every state × every state. A medium holding a kept run's only copy is never erased (blank)
    or retired; a retired one never comes back; each change that happens is an event."""
    from itertools import product

    from dse_tui.core.catalog.media import MEDIUM_STATES
    from dse_tui.core.destinations.copies import copy_pending
    from dse_tui.core.catalog.lifecycle import ERASING, MEDIUM

    profile, run_id = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, disc: cd}", "discs", copies=1)
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
        (code,) = outcome.media
        medium_id = catalog.medium(code).id
        if not holds_only_copy:
            catalog.mark_pruned(run_id)  # retention let its run go: the disc may be erased or retired
        for before, after in product(MEDIUM_STATES, MEDIUM_STATES):
            # Put there as the test's setup, past the life cycle the catalog otherwise holds it to.
            catalog.conn.execute("UPDATE media SET state = ? WHERE id = ?", (before, medium_id))
            events = len(list(catalog.events(10_000)))
            allowed = after == before or (before, after) in MEDIUM.moves
            refused_for_copy = holds_only_copy and after in ERASING and after != before
            if allowed and not refused_for_copy:
                move(catalog, code, state=after)
                assert catalog.medium(code).state == after, (before, after)
                assert len(list(catalog.events(10_000))) == events + 1, f"{before} -> {after} is recorded"
            else:
                with pytest.raises(MediaError):
                    move(catalog, code, state=after)
                assert catalog.medium(code).state == before, (before, after)
                assert len(list(catalog.events(10_000))) == events, f"{before} -> {after} refused, nothing recorded"


def test_an_erased_medium_no_longer_counts_as_a_copy(tmp_path):
    from dse_tui.core.destinations.copies import copy_pending

    profile, run_id = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, disc: cd}\n"
                                     "  - {id: shelf, kind: directory, path: ./shelf}", "discs, shelf", copies=1)
    with Catalog(profile.catalog_path) as catalog:
        copy_pending(profile, catalog)
        code = next(m.code for m in catalog.media())
        assert catalog.verified_copies([run_id]) == {run_id: 2}
        move(catalog, code, state="blank")  # the shelf still holds the run: the disc may be erased
        assert catalog.verified_copies([run_id]) == {run_id: 1}
        (erased,) = [c for c in catalog.copies_of(run_id) if c.destination == "discs"]
        assert erased.state == "failed" and "erased" in erased.message
        move(catalog, code, state="in-use")  # written again one day: what was erased does not come back
        assert catalog.verified_copies([run_id]) == {run_id: 1}


def test_a_refused_retire_and_a_copy_to_a_missing_folder_speak_spanish(tmp_path):
    profile, run_id = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, disc: cd}\n"
                                     "  - {id: share, kind: directory, path: ./not-mounted}", "discs", copies=1,
                           mounted=False)
    copied = dse("--lang", "es", "copy", "--to", "discs", "--profile", str(profile.file))
    assert copied.returncode == 0, copied.stderr
    assert f"discs: copiando la ejecución {run_id} en imágenes de disco" in copied.stdout + copied.stderr
    with Catalog(profile.catalog_path) as catalog:
        (medium,) = catalog.media()
    refused = dse("--lang", "es", "media", "retire", medium.code, "--profile", str(profile.file))
    no_traceback(refused)
    assert refused.returncode == 1
    assert f"guarda la única copia verificada de la ejecución {run_id}" in refused.stderr, refused.stderr
    unknown = dse("--lang", "es", "media", "show", "NOPE-1", "--profile", str(profile.file))
    assert "no hay ningún soporte 'NOPE-1' en el inventario" in unknown.stderr, unknown.stderr
    missing = dse("--lang", "es", "copy", "--to", "share", "--profile", str(profile.file))
    no_traceback(missing)
    out = missing.stdout + missing.stderr
    assert "¿está montado el disco o el recurso compartido de share?" in out, out
    assert "is the disk or share" not in out

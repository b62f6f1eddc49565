"""The auditor's report: exactly the period's runs and gaps, in Markdown, CSV and a PDF whose text has the
sections an auditor reads."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import datetime, timezone

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.profile.config import load_profile
from dse_tui.core.records.report import build, to_csv, to_markdown
from tests.conftest import FIXED_NOW, record_runs
from tests.test_cli import dse

START = datetime(2026, 11, 17, tzinfo=timezone.utc)
END = datetime(2026, 11, 23, tzinfo=timezone.utc)  # to 2026-11-22 included


@pytest.fixture
def history(demo_profile):
    """library-db, daily, from Nov 15 to Nov 24: g g g . . g f g g g (each at 12:05)."""
    profile = load_profile(demo_profile)
    ids = record_runs(profile.catalog_path, "library-db", "ggg..gfggg", now=FIXED_NOW)
    return profile, ids


def test_the_report_has_exactly_the_periods_runs_and_gaps(history):
    profile, ids = history
    with Catalog(profile.catalog_path) as catalog:
        report = build(profile, catalog, START, END, ["library-db"], now=FIXED_NOW)
    (rr,) = report.repos
    in_period = [i for i, day in zip(ids, (15, 16, 17, 20, 21, 22, 23, 24)) if 17 <= day <= 22]
    assert [r["run_id"] for r in rr.runs] == in_period
    assert [r["state"] for r in rr.runs] == ["good", "good", "failed", "good"]
    assert [(g["start"][:10], g["outcome"]) for g in rr.gaps] == [("2026-11-18", "missing"), ("2026-11-19", "missing"),
                                                                  ("2026-11-21", "failed")]
    assert rr.overdue_days == ["2026-11-18", "2026-11-19", "2026-11-21"]


def test_a_period_that_has_not_ended_has_no_gaps_yet(history):
    profile, _ = history
    with Catalog(profile.catalog_path) as catalog:
        report = build(profile, catalog, datetime(2026, 11, 24, tzinfo=timezone.utc),
                       datetime(2026, 12, 31, tzinfo=timezone.utc), ["library-db"], now=FIXED_NOW)
    assert report.repos[0].gaps == [] and report.repos[0].overdue_days == []


def test_markdown_and_csv_say_the_same(history):
    profile, ids = history
    with Catalog(profile.catalog_path) as catalog:
        report = build(profile, catalog, START, END, now=FIXED_NOW)
    md = to_markdown(report)
    assert "Period: 2026-11-17 to 2026-11-22" in md and "| library-db | 4 | 3 | 1 | 0 | 3 | 3 | 0 |" in md
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    lib = [r for r in rows if r["repository"] == "library-db"]
    assert sum(r["record"] == "run" for r in lib) == 4 and sum(r["record"] == "gap" for r in lib) == 3
    assert sum(r["record"] == "overdue" for r in lib) == 3


def test_the_pdf_report_reads_as_sections_on_paper(history, tmp_path):
    profile, _ = history
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is needed (poppler-utils; .ci/run installs it)")
    out = tmp_path / "report.pdf"
    result = dse("report", "--from", "2026-11-17", "--to", "2026-11-22", "--format", "pdf", "--output", str(out),
                 "--profile", str(profile.file))
    assert result.returncode == 0, result.stderr
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    assert "Backup report" in pages[0] and "DSE demo site" in pages[0] and "2026-11-17 to 2026-11-22" in pages[0]
    assert "Summary" in pages[1] and "library-db" in pages[1]
    rest = "\f".join(pages[2:])
    for section in ("Details", "Library catalogue database (library-db)", "Runs", "Gaps", "Manual sessions",
                    "Labels printed"):
        assert section in rest, section
    bad = dse("report", "--from", "2026-11-30", "--to", "2026-11-01", "--profile", str(profile.file))
    assert bad.returncode == 3 and "before" in bad.stderr


def test_cancelled_runs_gone_copies_end_times_and_sizes_are_reported_as_they_are(history):
    """Issue 17: a cancelled run is not a failed one; a copy on a destroyed medium is gone, not verified;
    run rows have their end; sizes are read by people."""
    from datetime import timedelta

    profile, ids = history
    with Catalog(profile.catalog_path) as catalog:
        at = START + timedelta(days=2, hours=20)
        cancelled = catalog.start_run("library-db", at=at)
        catalog.finish_run(cancelled, "cancelled", message="cancelled by the operator", at=at + timedelta(minutes=1))
        good = ids[2]  # Nov 17's good run (15, 16, 17, 20, …)
        copy = catalog.add_copy(good, "shelf-disk", path="/media/x", size=10)
        disc = catalog.create_medium("DSE-T-0001", "disk", destination="shelf-disk")
        catalog.link_copy_medium(copy, disc, 1, 1)
        catalog.update_medium(disc, state="destroyed")
        report = build(profile, catalog, START, END, ["library-db"], now=FIXED_NOW)
    (rr,) = report.repos
    assert (rr.good, rr.failed, rr.cancelled) == (3, 1, 1)
    md = to_markdown(report)
    assert "| library-db | 5 | 3 | 1 | 1 | 3 | 3 | 0 |" in md
    assert "shelf-disk gone (DSE-T-0001 destroyed)" in md and "shelf-disk verified" not in md
    assert "97.7 KiB" in md and "100000 bytes" not in md
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    runs = [r for r in rows if r["record"] == "run"]
    assert all(r["end"] for r in runs), "every finished run has its end"
    assert [r["state"] for r in rows if r["record"] == "copy"] == ["gone (DSE-T-0001 destroyed)"]


def test_a_report_into_a_folder_that_does_not_exist_says_the_path(history, tmp_path):
    profile, _ = history
    out = tmp_path / "no" / "such" / "report.pdf"
    result = dse("report", "--from", "2026-11-17", "--to", "2026-11-22", "--format", "pdf", "--output", str(out),
                 "--profile", str(profile.file))
    assert result.returncode == 1
    assert result.stderr.strip() == f"dse-tui: {out}: No such file or directory"


def test_a_failed_period_covered_by_a_manual_backup_is_no_gap(history):
    """Issue 17: the failed period stays a gap in the auditor's report unless a manual backup covers it."""
    from datetime import timedelta

    profile, ids = history
    with Catalog(profile.catalog_path) as catalog:
        failed = catalog.run(ids[4])  # Nov 21's failed run
        at = failed.started_at + timedelta(days=1, minutes=5)  # made the next morning, in the next period
        manual = catalog.start_run("library-db", trigger="manual", at=at)
        catalog.finish_run(manual, "good", size=100_000, at=at + timedelta(minutes=20))
        report = build(profile, catalog, START, END, ["library-db"], now=FIXED_NOW)
    (rr,) = report.repos
    assert [(g["start"][:10], g["outcome"]) for g in rr.gaps] == [("2026-11-18", "missing"),
                                                                  ("2026-11-19", "missing")]


def test_a_period_with_only_a_cancelled_run_is_a_gap_that_says_cancelled(demo_profile):
    """Issue 17: a cancelled run is no backup, so its period is a gap; the report says cancelled, not failed."""
    profile = load_profile(demo_profile)
    record_runs(profile.catalog_path, "library-db", "ggg.cfggg", now=FIXED_NOW)  # Nov 16 .. Nov 24
    with Catalog(profile.catalog_path) as catalog:
        report = build(profile, catalog, START, END, ["library-db"], now=FIXED_NOW)
    (rr,) = report.repos
    assert [(g["start"][:10], g["outcome"]) for g in rr.gaps] == [("2026-11-19", "missing"),
                                                                  ("2026-11-20", "cancelled"),
                                                                  ("2026-11-21", "failed")]
    assert (rr.failed, rr.cancelled) == (1, 1)
    md = to_markdown(report)
    assert "- 2026-11-20T12:05 to 2026-11-21T12:05: cancelled" in md
    assert "| library-db | 5 | 3 | 1 | 1 | 3 |" in md
    gaps = [r for r in csv.DictReader(io.StringIO(to_csv(report))) if r["record"] == "gap"]
    assert [(g["start"][:10], g["state"]) for g in gaps] == [("2026-11-19", "missing"), ("2026-11-20", "cancelled"),
                                                             ("2026-11-21", "failed")]


def test_a_cancelled_period_covered_by_a_manual_backup_is_no_gap(demo_profile):
    """As a failed one: the manual backup made before the next period ended covers it."""
    from datetime import timedelta

    profile = load_profile(demo_profile)
    ids = record_runs(profile.catalog_path, "library-db", "ggggcgggg", now=FIXED_NOW)
    with Catalog(profile.catalog_path) as catalog:
        at = catalog.run(ids[4]).started_at + timedelta(days=1, minutes=5)
        manual = catalog.start_run("library-db", trigger="manual", at=at)
        catalog.finish_run(manual, "good", size=100_000, at=at + timedelta(minutes=20))
        report = build(profile, catalog, START, END, ["library-db"], now=FIXED_NOW)
    assert report.repos[0].gaps == []


def test_a_copy_on_an_expired_medium_is_gone_and_no_longer_counts(history):
    """Issue 17: as on a destroyed medium, a copy on an expired one is gone, says which medium and why, and
    is neither listed as verified nor counted."""
    profile, ids = history
    with Catalog(profile.catalog_path) as catalog:
        good = ids[2]  # Nov 17's good run
        copy = catalog.add_copy(good, "shelf-disk", path="/media/x", size=10)
        disk = catalog.create_medium("DSE-T-0002", "disk", destination="shelf-disk")
        catalog.link_copy_medium(copy, disk, 1, 1)
        assert catalog.verified_copies([good]) == {good: 1}, "verified and counting before it expires"
        catalog.update_medium(disk, state="expired")
        assert catalog.verified_copies([good]) == {}, "the catalog no longer counts it"
        report = build(profile, catalog, START, END, ["library-db"], now=FIXED_NOW)
    (run,) = [r for r in report.repos[0].runs if r["run_id"] == good]
    assert [c["state"] for c in run["copies"]] == ["gone (DSE-T-0002 expired)"]
    assert run["copies"][0]["media"][0]["state"] == "expired"
    md = to_markdown(report)
    assert "shelf-disk gone (DSE-T-0002 expired) [DSE-T-0002 @ -]" in md and "shelf-disk verified" not in md
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert [r["state"] for r in rows if r["record"] == "copy"] == ["gone (DSE-T-0002 expired)"]


def test_the_pdf_shows_sizes_in_units_not_raw_bytes(history, tmp_path):
    """Issue 17: the paper record is read by people: every run's size in KiB, MiB…, never a byte count."""
    import re

    from datetime import timedelta

    from dse_tui.core.records.report import to_pdf

    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is needed (poppler-utils; .ci/run installs it)")
    profile, _ = history
    with Catalog(profile.catalog_path) as catalog:
        at = START + timedelta(days=4, hours=20)
        big = catalog.start_run("library-db", at=at)
        catalog.finish_run(big, "good", size=3_500_000, at=at + timedelta(minutes=3))
        report = build(profile, catalog, START, END, ["library-db"], now=FIXED_NOW)
    out = tmp_path / "report.pdf"
    out.write_bytes(to_pdf(report))
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    runs = [line for line in text.splitlines() if line.startswith("- run ")]
    assert len(runs) == 5, text
    sizes = [re.search(r"\), (\S+ \S+); verification", line).group(1) for line in runs]
    assert sizes == ["97.7 KiB", "97.7 KiB", "0 Bytes", "3.3 MiB", "97.7 KiB"], sizes  # by start
    assert "100000" not in text and "3500000" not in text and "bytes" not in text

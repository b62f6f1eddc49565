"""Labels: every stock's positions (read back from the PDF's own text), start position, text that never
leaves its label, QR and barcodes decoded from the rendered page (poppler + zbar), ZPL fields, printing
through a real CUPS queue, and the errors."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.destinations.copies import copy_pending
from dse_tui.core.labels.job import make_labels
from dse_tui.core.labels.pdf import render
from dse_tui.core.labels.content import labels_for, qr_payload
from dse_tui.core.labels.zpl import render_zpl
from dse_tui.core.labels.printing import PrintError
from tests.conftest import wait_until
from tests.test_cli import dse
from tests.copy_helpers import site


def need(*tools: str) -> None:
    for tool in tools:
        if not shutil.which(tool):
            pytest.fail(f"{tool} is needed (.ci/run installs poppler-utils and zbar-tools)")


@pytest.fixture
def disc(tmp_path):
    """A site whose run is on one disc image: the medium to label."""
    profile, run_id = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, disc: cd}", "discs", copies=1)
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
        (code,) = outcome.media
        yield profile, catalog, code, catalog.run(run_id)


def words(pdf: Path) -> list[tuple[int, float, float, float, float, str]]:
    """(page, xmin, ymin, xmax, ymax in mm, word) of every word, as poppler reads the PDF."""
    need("pdftotext")
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    out, page = [], 0
    pt = 25.4 / 72
    for line in html.splitlines():
        if "<page " in line:
            page += 1
        m = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line)
        if m:
            x0, y0, x1, y1 = (float(m.group(i)) * pt for i in range(1, 5))
            out.append((page, x0, y0, x1, y1, m.group(5)))
    return out


def decode(pdf: Path, page: int = 1) -> list[str]:
    need("pdftoppm", "zbarimg")
    png = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-f", str(page), "-l", str(page), str(pdf), str(png)], check=True)
    image = next(pdf.parent.glob(png.name + "*.png"))
    out = subprocess.run(["zbarimg", "-q", str(image)], capture_output=True, text=True)
    image.unlink()
    return out.stdout.splitlines()


@pytest.mark.parametrize("stock_id", ["avery-l7160", "avery-5160", "brother-62", "lto-a4", "case-insert",
                                      "zebra-4x2"])
def test_each_stock_puts_its_labels_where_the_sheet_has_them(disc, tmp_path, stock_id):
    profile, catalog, code, _ = disc
    stock = profile.label_stocks[stock_id]
    base = labels_for(profile, catalog, [code])[0]
    n = stock.per_page + 2
    labels = [dataclasses.replace(base, code=f"T{i:03}", barcode=f"T{i:03}") for i in range(1, n + 1)]
    data, placed = render(labels, stock)
    pdf = tmp_path / f"{stock_id}.pdf"
    pdf.write_bytes(data)
    assert max(p.page for p in placed) == -(-n // stock.per_page)  # a roll label is a page of its own
    assert sum(p.page == 1 for p in placed) == stock.per_page
    found = {w[5]: w for w in words(pdf) if re.fullmatch(r"T\d{3}", w[5])}
    for p in placed:
        page, x0, y0, x1, y1, _ = found[p.code]
        assert page == p.page
        assert (p.x, p.y) == pytest.approx(stock.position(p.position))
        assert p.x - 0.2 <= x0 and x1 <= p.x + p.w + 0.2 and p.y - 0.2 <= y0 and y1 <= p.y + p.h + 0.2, p


def test_the_start_position_uses_a_half_used_sheet(disc, tmp_path):
    profile, catalog, code, _ = disc
    stock = profile.label_stocks["avery-l7160"]
    base = labels_for(profile, catalog, [code])[0]
    labels = [dataclasses.replace(base, code=f"S{i:02}", barcode=f"S{i:02}") for i in range(1, 19)]
    data, placed = render(labels, stock, start=5)
    pdf = tmp_path / "half.pdf"
    pdf.write_bytes(data)
    assert [p.position for p in placed[:3]] == [5, 6, 7] and placed[16].page == 1 and placed[17].page == 2
    assert placed[17].position == 1
    s01 = next(w for w in words(pdf) if w[5] == "S01")
    x, y = stock.position(5)
    assert x <= s01[1] <= x + stock.label[0] and y <= s01[2] <= y + stock.label[1]
    with pytest.raises(ValueError, match="start position 22"):
        render(labels, stock, start=22)


def test_long_contents_never_leave_the_label(disc, tmp_path):
    profile, catalog, code, _ = disc
    base = labels_for(profile, catalog, [code])[0]
    long = dataclasses.replace(base, site="Servicios Electrónicos del Campus Central de la Universidad " * 3,
                               contents=tuple(f"Repository with a very long descriptive name number {i} · "
                                              f"2026-11-{i:02} 02:00 · r{i}" for i in range(1, 30)))
    for stock_id in ("avery-l7160", "avery-5160", "brother-62", "lto-a4"):
        stock = profile.label_stocks[stock_id]
        data, placed = render([long, long], stock, start=2 if stock.kind == "sheet" else 1)
        pdf = tmp_path / f"long-{stock_id}.pdf"
        pdf.write_bytes(data)
        rects = {(p.page, round(p.x, 2), round(p.y, 2)): p for p in placed}
        for page, x0, y0, x1, y1, word in words(pdf):
            inside = [p for (pg, _, _), p in rects.items() if pg == page and p.x - 0.2 <= x0 and x1 <= p.x + p.w + 0.2
                      and p.y - 0.2 <= y0 and y1 <= p.y + p.h + 0.2]
            assert inside, f"{stock_id}: {word!r} at {x0:.1f},{y0:.1f}–{x1:.1f},{y1:.1f} is outside every label"


def test_the_qr_code_and_the_barcode_say_what_the_catalog_says(disc, tmp_path):
    profile, catalog, code, run = disc
    job = make_labels(profile, catalog, [code], output=tmp_path / "one.pdf")
    decoded = decode(job.path)
    assert f"QR-Code:{qr_payload(code, run.sha256[:8])}" in decoded
    assert f"CODE-39:{code}" in decoded
    assert job.labels[0].qr == qr_payload(code, run.sha256[:8])


def test_lto_codes_print_as_code_39_on_lto_labels(tmp_path):
    profile, run_id = site(tmp_path, "  - {id: tapes, kind: optical, path: ./t, disc: cd, code: 'DSE{seq:03}L6'}",
                           "tapes", copies=1)
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
        assert outcome.media == ["DSE001L6"]
        job = make_labels(profile, catalog, ["DSE001L6"], stock_id="lto-a4", output=tmp_path / "lto.pdf")
    assert job.labels[0].is_lto and job.labels[0].symbology == "code39"
    assert "CODE-39:DSE001L6" in decode(job.path)


def test_code_128_where_chosen_or_where_code_39_cannot_write_the_code(disc, tmp_path):
    profile, catalog, code, _ = disc
    label = dataclasses.replace(labels_for(profile, catalog, [code])[0], symbology="code128")
    data, _ = render([label], profile.label_stocks["avery-l7160"])
    (tmp_path / "128.pdf").write_bytes(data)
    assert f"CODE-128:{code}" in decode(tmp_path / "128.pdf")
    from dse_tui.core.labels.content import symbology_for

    assert symbology_for("dse-2026-0001", "code39") == "code128"  # lower case is not Code 39


def test_zpl_of_a_known_medium_has_its_fields(disc):
    profile, catalog, code, run = disc
    label = labels_for(profile, catalog, [code])[0]
    zpl = render_zpl([label], profile.label_stocks["zebra-4x2"], copies=2)
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert "^PW812" in zpl and "^LL406" in zpl  # 4 × 2 inches at 203 dpi
    assert f"^FD{code}^FS" in zpl
    assert "^BQN,2," in zpl and f"^FDMA,{qr_payload(code, run.sha256[:8])}^FS" in zpl
    bar = re.search(rf"\^FO(\d+),\d+\^BY(\d),3,\d+\^B3N,N,\d+,N,N\^FH\\\^FD{code}\^FS", zpl)
    assert bar and int(bar.group(1)) >= 10 * int(bar.group(2)), "a quiet zone of ten modules before the bars"
    assert "^PQ2" in zpl
    label128 = dataclasses.replace(label, symbology="code128")
    assert re.search(rf"\^BCN,\d+,N,N,N\^FH\\\^FD{code}\^FS", render_zpl([label128], profile.label_stocks["zebra-4x2"]))
    odd = dataclasses.replace(label128, barcode="A^B~C")
    assert "^FH\\^FDA\\5EB\\7EC^FS" in render_zpl([odd], profile.label_stocks["zebra-4x2"])


def whole_pdf(folder: Path, stem: str, since: float):
    """A check for wait_until: cups-pdf's file of the job (named after its title) once it is whole, that is
    its size has not changed since the last look and pdfinfo reads it without a complaint; None before."""
    last = {}

    def check() -> Path | None:
        found = [p for p in folder.glob(f"*{stem}*.pdf") if p.stat().st_mtime >= since] if folder.is_dir() else []
        if not found:
            return None
        path = found[0]
        size, before = path.stat().st_size, last.get(path)
        last[path] = size
        if size == 0 or size != before:
            return None
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True)
        return path if info.returncode == 0 and not info.stderr.strip() else None
    return check


def test_printing_through_the_real_cups_queue(disc, cups_queue):
    profile, catalog, code, run = disc
    queue, out_dir = cups_queue
    if not shutil.which("pdfinfo"):
        pytest.fail("pdfinfo is needed (poppler-utils; .ci/run installs it)")
    started = time.time() - 1
    job = make_labels(profile, catalog, [code], printer=queue)
    assert job.job_id.startswith(f"{queue}-") and job.path.is_file()
    printed = wait_until(whole_pdf(out_dir, job.path.stem, started), interval=0.2,
                         what=f"the printed PDF, whole, in {out_dir}")
    assert f"QR-Code:{qr_payload(code, run.sha256[:8])}" in decode(printed)
    event = next(e for e in catalog.events(20) if e["action"] == "label printed")
    assert job.job_id in event["detail"] and code in event["detail"]
    printed.unlink()


def test_a_missing_queue_is_a_clear_error_and_the_pdf_is_kept(disc, cups_queue):
    profile, catalog, code, _ = disc
    with pytest.raises(PrintError, match="no printer queue 'no-such-queue'") as err:
        make_labels(profile, catalog, [code], printer="no-such-queue")
    kept = Path(re.search(r"kept at (\S+)", str(err.value)).group(1))
    assert kept.is_file() and kept.read_bytes().startswith(b"%PDF")


def test_label_command_line(disc, tmp_path):
    profile, catalog, code, _ = disc
    shown = dse("label", code, "--profile", str(profile.file))
    assert shown.returncode == 0 and code in shown.stdout and "[QR DSE-TUI MEDIUM" in shown.stdout
    made = dse("label", code, "--pdf", str(tmp_path / "x.pdf"), "--start-position", "4", "--profile",
               str(profile.file))
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "x.pdf").read_bytes().startswith(b"%PDF")
    unknown = dse("label", "NOPE-1", "--profile", str(profile.file))
    assert unknown.returncode == 3 and "no medium 'NOPE-1'" in unknown.stderr
    bad_stock = dse("label", code, "--stock", "nope", "--pdf", str(tmp_path / "y.pdf"), "--profile", str(profile.file))
    assert bad_stock.returncode != 0 and "unknown stock 'nope'" in bad_stock.stderr


def labels_for_none():
    from dse_tui.core.labels.content import Label

    return Label("X", "Site", "", ("r",), None, "2026-01-01", None, "-", "op", "-", "Q", "X", "code39", "optical")


def test_a_stock_of_the_sites_own_is_checked_and_used(tmp_path):
    from dse_tui.core.profile.config import load_profile
    from dse_tui.core.profile.problems import ConfigError
    from tests.conftest import write_profile

    body = """site: {id: t, name: T}
storage: {root: ./b}
labels:
  stock: herma-4360
  stocks:
    - {id: herma-4360, page: [210, 297], label: [70, 36], cols: 3, rows: 8, left: 0, top: 4.5}
    - {id: zebra-300, page: [101.6, 50.8], label: [101.6, 50.8], kind: zpl, dpi: 300}
    - {id: too-wide, page: [210, 297], label: [80, 36], cols: 3, rows: 8}
"""
    with pytest.raises(ConfigError) as err:
        load_profile(write_profile(tmp_path, body))
    assert "profile.yaml:8" in str(err.value) and "do not fit the page" in str(err.value)
    profile = load_profile(write_profile(tmp_path, body.replace("      - {id: too-wide", "#").replace(
        "    - {id: too-wide, page: [210, 297], label: [80, 36], cols: 3, rows: 8}\n", "")))
    stock = profile.label_stocks["herma-4360"]
    assert profile.label_stock == "herma-4360" and stock.per_page == 24 and stock.position(24) == (140, 4.5 + 7 * 36)
    assert profile.label_stocks["zebra-300"].dpi == 300  # a 300 dpi Zebra: 4 inches are 1200 dots
    label = dataclasses.replace(labels_for_none(), code="Z1", barcode="Z1", qr="Q")
    assert "^PW1200" in render_zpl([label], profile.label_stocks["zebra-300"])


def test_sheet_positions_are_where_the_manufacturer_puts_them():
    """Independent figures from the stocks' data sheets: the last label of each sheet."""
    from dse_tui.core.labels.stocks import BUILT_IN

    l7160, us5160 = BUILT_IN["avery-l7160"], BUILT_IN["avery-5160"]
    assert l7160.per_page == 21 and l7160.position(21) == pytest.approx((7.25 + 2 * 66.04, 15.15 + 6 * 38.1))
    assert us5160.per_page == 30 and us5160.position(30) == pytest.approx((4.7625 + 2 * 69.85, 12.7 + 9 * 25.4))
    for stock in BUILT_IN.values():  # and every label within its page
        x, y = stock.position(stock.per_page)
        assert x + stock.label[0] <= stock.page[0] + 0.01 and y + stock.label[1] <= stock.page[1] + 0.01, stock.id


def test_the_expiry_and_manifest_are_readable_on_the_default_stock(disc, tmp_path):
    profile, catalog, code, run = disc
    job = make_labels(profile, catalog, [code], output=tmp_path / "default.pdf")
    text = " ".join(w[5] for w in words(job.path))
    medium = catalog.medium(code)
    assert f"{medium.expires_at.astimezone():%Y-%m-%d}" in text and run.sha256[:8] in text
    assert "…" not in text.split("Manifest")[0], "the lines every label must show are whole"


def test_cups_not_running_is_said_as_such(disc, monkeypatch):
    profile, catalog, code, _ = disc
    monkeypatch.setenv("CUPS_SERVER", "/nonexistent/cups.sock")  # the client finds no scheduler
    with pytest.raises(PrintError, match="CUPS is not running") as err:
        make_labels(profile, catalog, [code], printer="dse-test-pdf")
    assert "kept at" in str(err.value)


def test_a_scanned_qr_code_finds_its_medium(disc):
    profile, catalog, code, run = disc
    shown = dse("media", "show", qr_payload(code, run.sha256[:8]), "--profile", str(profile.file))
    assert shown.returncode == 0 and code in shown.stdout


def test_a_roll_has_no_start_position_and_a_pdf_is_a_pdf(disc, tmp_path):
    profile, catalog, code, _ = disc
    with pytest.raises(ValueError, match="roll, not a sheet"):
        make_labels(profile, catalog, [code], stock_id="brother-62", start=3, output=tmp_path / "r.pdf")
    made = dse("label", code, "--stock", "zebra-4x2", "--pdf", str(tmp_path / "z.pdf"), "--profile", str(profile.file))
    assert made.returncode == 0 and (tmp_path / "z.pdf").read_bytes().startswith(b"%PDF")


def test_a_label_speaks_the_sites_language(disc):
    profile, catalog, code, _ = disc
    label = dataclasses.replace(labels_for(profile, catalog, [code])[0], lang="es", sequence="2 of 3")
    from dse_tui.core.labels.content import text_lines

    lines = text_lines(label)
    assert lines[0].endswith("(2 de 3)") and any(line.startswith("Hecho ") for line in lines)
    assert any(line.startswith("Conservar ") and "caduca" in line for line in lines)


@pytest.mark.parametrize("stock_id", ["case-insert", "avery-l7160", "avery-5160"])
def test_a_disc_sets_sequence_is_printed_whole(disc, tmp_path, stock_id):
    """Issue 17: the case insert cut "(1 of 3)" to "(1 …": the bold first line was measured in regular type."""
    profile, catalog, code, _ = disc
    label = dataclasses.replace(labels_for(profile, catalog, [code])[0], sequence="1 of 3")
    data, _ = render([label], profile.label_stocks[stock_id])
    pdf = tmp_path / "set.pdf"
    pdf.write_bytes(data)
    text = " ".join(w[5] for w in words(pdf))
    assert f"{code} (1 of 3)" in text, text

"""Keys for encrypted media: the identity readable by its owner only, the recovery sheet's QR code decodes
to the identity, and the sheet's own restore commands work with nothing but age and zstd."""

from __future__ import annotations

import shutil
import stat
import subprocess

import pytest

from tests.test_cli import dse


def need(*tools):
    for tool in tools:
        if not shutil.which(tool):
            pytest.fail(f"{tool} is needed (.ci/run installs age, poppler-utils and zbar-tools)")


def test_keys_init_makes_a_private_identity_and_a_sheet_whose_qr_is_the_identity(demo_profile, tmp_path):
    need("age-keygen", "pdftoppm", "zbarimg")
    folder = tmp_path / "keys"
    made = dse("keys", "init", "--dir", str(folder), "--profile", str(demo_profile))
    assert made.returncode == 0, made.stderr
    (identity,) = folder.glob("*.key")
    (sheet,) = folder.glob("*-recovery-sheet.pdf")
    assert stat.S_IMODE(identity.stat().st_mode) == 0o600 and stat.S_IMODE(sheet.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    secret = next(line for line in identity.read_text().splitlines() if line.startswith("AGE-SECRET-KEY-"))
    assert secret not in made.stdout + made.stderr, "the secret is never printed"
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(sheet), str(tmp_path / "sheet")],
                   check=True)
    decoded = subprocess.run(["zbarimg", "-q", str(next(tmp_path.glob("sheet*.png")))], capture_output=True,
                             text=True).stdout.strip()
    assert decoded == f"QR-Code:{secret}"
    text = subprocess.run(["pdftotext", str(sheet), "-"], capture_output=True, text=True, check=True).stdout
    assert identity.stem in text and "age -d -i identity.txt" in text and "Cómo restaurar sin dse-tui" in text
    listed = dse("keys", "list", "--dir", str(folder), "--profile", str(demo_profile))
    assert identity.stem in listed.stdout and f"identity {identity}" in listed.stdout


def test_the_sheets_restore_commands_work_with_only_age_and_zstd(demo_profile, tmp_path):
    """Step 2 of the sheet, exactly as printed, on a zstd stream encrypted to the key."""
    need("age", "age-keygen", "zstd")
    folder = tmp_path / "keys"
    assert dse("keys", "init", "--dir", str(folder), "--profile", str(demo_profile)).returncode == 0
    recipient = next(folder.glob("*.pub")).read_text().strip()
    plain = tmp_path / "grades.sql"
    plain.write_text("INSERT INTO grades VALUES ('ana', 9);\n" * 100)
    packed = subprocess.run(["zstd", "-q", "-c", str(plain)], capture_output=True, check=True).stdout
    encrypted = subprocess.run(["age", "-r", recipient], input=packed, capture_output=True, check=True).stdout
    assert b"INSERT INTO grades" not in encrypted
    work = tmp_path / "restore"
    work.mkdir()
    (work / "grades.sql.zst.age").write_bytes(encrypted)
    shutil.copy(next(folder.glob("*.key")), work / "identity.txt")
    from dse_tui.core.keys.keypairs import INSTRUCTIONS

    command = INSTRUCTIONS["en"][2].split(":  ", 1)[1].replace("NAME.zst.age", "grades.sql.zst.age").replace("NAME", "grades.sql")
    subprocess.run(["sh", "-c", command], cwd=work, check=True)
    assert (work / "grades.sql").read_text() == plain.read_text()

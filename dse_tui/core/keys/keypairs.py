"""Encryption keys for media that leave the building (age X25519 key pairs), and their recovery sheet.

`init` makes a key pair with `age-keygen`, keeps the identity readable by its owner only, and writes the
recovery sheet: a PDF with the site, the key id, the date, the identity as text and as a QR code, and how to
restore without dse-tui (only `age` and `zstd`). A key is named by its id, never shown on a label."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dse_tui.core.keys.crypto import key_id, protect, read_identity, recipient_of
from dse_tui.core.common.timeutil import utcnow
from dse_tui.core.texts import LANGUAGES, Told, tr


class KeyError_(Told):
    """The key cannot be made or read; the message says why."""


@dataclass(frozen=True)
class Key:
    id: str
    recipient: str  # the public key: age1…
    identity_file: Path
    created: datetime


def init_key(folder: Path, passphrase: str | None = None) -> Key:
    """A new key pair in `folder` (made 0700): `<id>.key` (0600, the identity; encrypted with `passphrase`
    in age's format when one is given) and `<id>.pub`."""
    if not shutil.which("age-keygen"):
        raise KeyError_("age-keygen is not installed (Debian package age)")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    out = subprocess.run(["age-keygen"], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise KeyError_(f"age-keygen failed: {out.stderr.strip()}")
    identity = out.stdout
    recipient = next(line.split(": ", 1)[1] for line in identity.splitlines() if line.startswith("# public key: "))
    kid = key_id(recipient)
    path = folder / f"{kid}.key"
    # Written with its final permissions from the first byte: the identity is never readable by others.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(protect(identity, passphrase) if passphrase else identity.encode())
    (folder / f"{kid}.pub").write_text(recipient + "\n")
    return Key(kid, recipient, path, utcnow())


def list_keys(folder: Path) -> list[Key]:
    """The keys of a folder: each `.pub` (its identity beside it or not), and identities without one."""
    keys = {}
    for pub in sorted(folder.glob("*.pub")) if folder.is_dir() else []:
        recipient = pub.read_text().strip()
        keys[key_id(recipient)] = Key(key_id(recipient), recipient, pub.with_suffix(".key"), _mtime(pub))
    for ident in sorted(folder.glob("*.key")) if folder.is_dir() else []:
        if ident.with_suffix(".pub").exists():
            continue
        try:
            _, secret = read_identity(ident)
        except Exception:  # protected without a .pub beside it, or not an identity at all
            continue
        recipient = recipient_of(secret)
        keys.setdefault(key_id(recipient), Key(key_id(recipient), recipient, ident, _mtime(ident)))
    return list(keys.values())


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime).astimezone()


def key_usage(catalog) -> dict[str, dict]:
    """key id → the runs encrypted to it (kept ones) and the codes of the media that hold them."""
    out: dict[str, dict] = {}
    for run_id, key_ids in catalog.encrypted_runs():
        for kid in key_ids.split():
            out.setdefault(kid, {"runs": [], "media": []})["runs"].append(run_id)
    for code, key_ids in catalog.encrypted_media():
        for kid in key_ids.split():
            media = out.setdefault(kid, {"runs": [], "media": []})["media"]
            if code not in media:
                media.append(code)
    return out


# The sheet's steps: a heading, then the lines (texts "sheet.0" to "sheet.5").
INSTRUCTIONS = {lang: [tr(f"sheet.{i}", lang) for i in range(6)] for lang in LANGUAGES}


def _both(key: str) -> str:
    return f"{tr(key, 'en')} · {tr(key, 'es')}"


def recovery_sheet(key: Key, site: str, department: str = "", passphrase: str | None = None) -> bytes:
    """The recovery sheet (A4 PDF): what is needed to read the media on the worst day. The identity is
    printed in clear even when its file is protected: the sheet is the key of last resort, kept in the safe."""
    from fpdf import FPDF

    from dse_tui.core.common.pdfdraw import draw_qr, use_font

    _, identity = read_identity(key.identity_file, passphrase)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    font = use_font(pdf, "doc", "DejaVuSans")
    mono = use_font(pdf, "mono", "DejaVuSansMono", fallback="courier")
    down = {"new_x": "LMARGIN", "new_y": "NEXT"}
    pdf.set_font(font, "B", 18)
    pdf.multi_cell(0, 10, _both("sheet.title"), **down)
    pdf.set_font(font, "", 11)
    pdf.multi_cell(0, 6, f"{site}" + (f" — {department}" if department else ""), **down)
    pdf.multi_cell(0, 6, f"{_both('sheet.key_id')}: {key.id}    {_both('sheet.date')}: {key.created:%Y-%m-%d}", **down)
    pdf.multi_cell(0, 6, _both("sheet.public") + ":", **down)
    pdf.set_font("courier", "", 9)
    pdf.multi_cell(0, 5, key.recipient, **down)
    pdf.ln(3)
    pdf.set_font(font, "B", 11)
    pdf.multi_cell(0, 6, _both("sheet.identity") + ":", **down)
    pdf.set_font(mono, "", 10)
    pdf.multi_cell(0, 6, identity, **down)
    side, y0 = 60.0, pdf.get_y() + 3
    draw_qr(pdf, identity, pdf.l_margin, y0, side)  # the identity as a full QR code
    pdf.set_y(y0 + side + 4)
    for lang in ("en", "es"):  # both on one sheet: whoever opens the safe reads one
        pdf.set_font(font, "B", 10)
        pdf.multi_cell(0, 5.5, INSTRUCTIONS[lang][0], **down)
        pdf.set_font(font, "", 9)
        for line in INSTRUCTIONS[lang][1:]:
            pdf.multi_cell(0, 5, line, **down)
        pdf.ln(2)
    return bytes(pdf.output())

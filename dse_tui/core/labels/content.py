"""What a medium's label says, from the catalog and never typed by hand (procedure 4.4.1): its code, the
site, what it holds, "2 of 3", when it was made, retention and expiry, who made it, a short hash of the
manifest(s), a QR code to look it up in dse-tui and a barcode of the code."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dse_tui.core.catalog import Catalog, current_operator
from dse_tui.core.destinations.media import MediaError, medium_runs
from dse_tui.core.texts import LANGUAGES, tr

CODE39 = re.compile(r"[0-9A-Z\-. $/+%]+")
LTO = re.compile(r"[A-Z0-9]{6}L[6-9]")  # six characters and the generation: what tape libraries read


# A label speaks the site's language (the profile's `site.language`, English by default): texts "label.*".


@dataclass(frozen=True)
class Label:
    code: str
    site: str
    department: str
    contents: tuple[str, ...]  # one line per run: repository and date
    sequence: str | None  # "2 of 3" for a disc of a set
    made: str  # the date the medium was made
    expires: str | None
    retention: str
    operator: str
    manifest: str  # short SHA-256 of the manifest(s)
    qr: str  # what the QR code says
    barcode: str  # what the barcode says
    symbology: str  # code39 | code128
    kind: str  # the medium's kind
    lang: str = "en"
    # The ids of the age keys that open what it holds (never a key); "" where a run on it is not encrypted.
    key_ids: tuple[str, ...] = ()

    @property
    def is_lto(self) -> bool:
        return bool(LTO.fullmatch(self.code))


QR_PATTERN = re.compile(r"DSE-TUI MEDIUM (\S+)")


def code_from_scan(text: str) -> str:
    """A medium code from what a scanner typed: the QR payload or the bare code."""
    match = QR_PATTERN.search(text)
    return match.group(1) if match else text.strip()


def qr_payload(code: str, manifest: str) -> str:
    """The medium's code and its manifest id: enough for `dse-tui media show CODE` to find it."""
    return f"DSE-TUI MEDIUM {code} MANIFEST {manifest}"


def symbology_for(code: str, wanted: str) -> str:
    """Code 39 where the code can be written in it (and always for LTO, as libraries read), else Code 128."""
    if LTO.fullmatch(code):
        return "code39"
    return wanted if wanted == "code128" or CODE39.fullmatch(code) else "code128"


def _retention_text(r) -> str:
    parts = [f"{n}{unit}" for n, unit in ((r.daily, "d"), (r.weekly, "w"), (r.monthly, "m"), (r.yearly, "y")) if n]
    return "GFS " + "/".join(parts) if parts else "-"


def labels_for(profile, catalog: Catalog, codes: list[str], operator: str | None = None) -> list[Label]:
    """One label per medium named; MediaError for a code the inventory does not have."""
    login = operator or current_operator()
    name = next((o.name for o in profile.operators if o.login == login), login)
    out = []
    for code in codes:
        medium = catalog.medium(code)
        if medium is None:
            raise MediaError(f"no medium {code!r} in the inventory (see `dse-tui media list`)")
        runs = [r for r in medium_runs(catalog, medium) if r is not None]
        contents, hashes, retention = [], [], "-"
        key_ids = tuple(dict.fromkeys(kid for run in runs for kid in (run.key_ids or "").split())) + \
            (("",) if any(not run.encrypted for run in runs) else ())
        for run in runs:
            try:
                repo = profile.repository(run.repository)
                repo_name, retention = repo.name, _retention_text(repo.retention)
            except KeyError:
                repo_name = run.repository
            contents.append(f"{repo_name} · {run.started_at.astimezone():%Y-%m-%d %H:%M} · r{run.id}")
            if run.sha256:
                hashes.append(run.sha256[:8])
        seqs = sorted({(cm.seq, cm.total) for _, cm in catalog.medium_copies(medium.id)})
        sequence = ", ".join(f"{s} of {t}" for s, t in seqs) if seqs and any(t > 1 for _, t in seqs) else None
        manifest = " ".join(hashes) or "-"
        out.append(Label(
            code=medium.code, site=profile.site.name, department=profile.site.department,
            contents=tuple(contents) or (tr("label.empty", profile.site.language or "en"),), sequence=sequence,
            made=f"{medium.created_at.astimezone():%Y-%m-%d}",
            expires=f"{medium.expires_at.astimezone():%Y-%m-%d}" if medium.expires_at else None,
            retention=retention, operator=name, manifest=manifest,
            qr=qr_payload(medium.code, hashes[0] if hashes else "-"), barcode=medium.code,
            symbology=symbology_for(medium.code, profile.barcode), kind=medium.kind,
            lang=profile.site.language if profile.site.language in LANGUAGES else "en", key_ids=key_ids))
    return out


def text_lines(label: Label) -> list[str]:
    """The label's words, in the order they are printed (PDF, ZPL and the preview share them)."""
    # What every label must show comes first; the contents last, where a small label may cut them short.
    def w(key: str) -> str:
        return tr(key, label.lang)

    sequence = label.sequence.replace(" of ", f" {w('label.of')} ") if label.sequence else None
    lines = [label.code + (f"  ({sequence})" if sequence else ""), label.site]
    if label.department:
        lines.append(label.department)
    lines.append(f"{w('label.made')} {label.made} {w('label.by')} {label.operator}")
    lines.append(f"{w('label.keep')} {label.retention}" + (f" · {w('label.expires')} {label.expires}" if label.expires else ""))
    lines.append(f"{w('label.manifest')} {label.manifest}")
    keys = [k for k in label.key_ids if k]
    if keys:  # a site that does not encrypt keeps the labels it had
        lines.append(f"{w('label.key')} {' '.join(keys)}" + (f" · {w('label.plain').lower()} +" if "" in label.key_ids else ""))
    return lines + list(label.contents)


def preview(label: Label, width: int = 60, stock=None) -> str:
    """The label as plain text, as it will print on `stock`: its words, then the codes as text (a tape's
    strip, or a label under 20 mm, has only its code and barcode)."""
    inner = width - 4
    strip = label.is_lto or (stock is not None and stock.label[1] < 20)
    words = [label.code] if strip else text_lines(label)
    body = [line if len(line) <= inner else line[: inner - 1] + "…" for line in words]
    if not strip:
        body.append(f"[QR {label.qr}]"[:inner])
    body.append(f"[{'Code 39' if label.symbology == 'code39' else 'Code 128'} {label.barcode}]"[:inner])
    top = "┌" + "─" * (width - 2) + "┐"
    bottom = "└" + "─" * (width - 2) + "┘"
    return "\n".join([top] + [f"│ {line:<{inner}} │" for line in body] + [bottom])

"""`dse-tui audit verify|export|log`: the hash-chained event log, checked, exported and read."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from dse_tui.cli.common import h
from dse_tui.jsonout import print_json


def add_parsers(sub, common) -> None:
    add_report_parser(sub, common)
    audit = sub.add_parser("audit", parents=[common], help=h("help.audit"))
    actions = audit.add_subparsers(dest="audit_command", metavar=h("help.meta.action"), required=True,
                                   parser_class=sub._parser_class)
    verify = actions.add_parser("verify", parents=[common], help=h("help.audit.verify"))
    verify.add_argument("--against", type=Path, metavar=h("help.meta.file"), help=h("help.audit.verify.against"))
    export = actions.add_parser("export", parents=[common], help=h("help.audit.export"))
    export.add_argument("--output", type=Path, metavar=h("help.meta.file"))
    log = actions.add_parser("log", parents=[common], help=h("help.audit.log"))
    log.add_argument("--repo", metavar=h("help.meta.repo"))
    log.add_argument("--action", metavar=h("help.meta.text"), help=h("help.audit.log.action"))
    log.add_argument("--limit", type=int, default=50, metavar=h("help.meta.limit"))
    log.add_argument("--json", action="store_true")


def add_report_parser(sub, common) -> None:
    report = sub.add_parser("report", parents=[common], help=h("help.report"))
    report.add_argument("--from", dest="start", required=True, metavar=h("help.meta.date"), help=h("help.report.from"))
    report.add_argument("--to", dest="end", required=True, metavar=h("help.meta.date"), help=h("help.report.to"))
    report.add_argument("--repo", action="append", metavar=h("help.meta.id"), help=h("help.report.repo"))
    report.add_argument("--format", choices=("pdf", "csv", "md"), default="md")
    report.add_argument("--output", type=Path, metavar=h("help.meta.file"), help=h("help.report.output"))


def cmd_report(args) -> int:
    from datetime import datetime, timedelta, timezone

    from dse_tui.cli.common import EXIT_UNKNOWN, fail, load, say
    from dse_tui.core.records.report import build, to_csv, to_markdown, to_pdf

    try:
        start = datetime.strptime(args.start, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        end = datetime.strptime(args.end, "%Y-%m-%d").replace(tzinfo=timezone.utc) + timedelta(days=1)
    except ValueError:
        fail(say(args, "cli.report.dates"))
        return EXIT_UNKNOWN
    if end <= start:
        fail(say(args, "cli.report.backwards"))
        return EXIT_UNKNOWN
    if args.format == "pdf" and not args.output:
        fail(say(args, "cli.report.pdf_output"))
        return EXIT_UNKNOWN
    loaded = load(args, readonly=True)
    if loaded is None:
        return EXIT_UNKNOWN
    profile, catalog = loaded
    unknown = [r for r in args.repo or [] if r not in {x.id for x in profile.repositories}]
    if unknown:
        fail(say(args, "cli.report.unknown", names=", ".join(unknown)))
        return EXIT_UNKNOWN
    with catalog:
        report = build(profile, catalog, start, end, args.repo)
    data = {"md": lambda: to_markdown(report).encode(), "csv": lambda: to_csv(report).encode(),
            "pdf": lambda: to_pdf(report)}[args.format]()
    if args.output:
        args.output.write_bytes(data)
        print(say(args, "cli.report.written", start=args.start, end=args.end, path=args.output))
    else:
        sys.stdout.buffer.write(data)
    return 0


def _read_log(path: Path, profile) -> bytes:
    """An exported log, or a run's audit-log part (zstd; encrypted with age when it ends in .age)."""
    if path.suffix == ".age":
        from dse_tui.core.keys.crypto import Keyring, manifest_key_ids
        from dse_tui.core.engine.pipeline import Stage, stream

        manifest = json.loads((path.parent / "manifest.json").read_text())  # which key opens it
        decrypt = Keyring.for_profile(profile).decrypt_stage(path, manifest_key_ids(manifest))
        out = io.BytesIO()
        result = stream([decrypt, Stage(["zstd", "-dc"], name="zstd -d")], out, sync=False)
        if not result.ok:
            raise ValueError(result.failure())
        return out.getvalue()
    if path.suffix == ".zst":
        return subprocess.run(["zstd", "-dc", "--", str(path)], capture_output=True, check=True).stdout
    return path.read_bytes()


def cmd_audit(args) -> int:
    from dse_tui.cli.common import EXIT_UNKNOWN, fail, load, say
    from dse_tui.core.records.audit import export_jsonl, head_of, verify_chain
    from dse_tui.core.keys.crypto import IdentityError

    loaded = load(args, readonly=True)
    if loaded is None:
        return EXIT_UNKNOWN
    profile, catalog = loaded
    with catalog:
        if args.audit_command == "export":
            data = export_jsonl(catalog)
            if args.output:
                args.output.write_bytes(data)
                count = data.count(b"\n")
                print(say(args, "cli.audit.written", n=count, path=args.output))
            else:
                sys.stdout.buffer.write(data)
            return 0
        if args.audit_command == "log":
            rows = [e for e in catalog.events(args.limit if not args.action else 1_000_000, repository=args.repo)
                    if not args.action or args.action in e["action"]][: args.limit]
            if args.json:
                print_json(rows)
            else:
                for e in rows:
                    print(f"{e['id']:>7} {e['at'][:19]} {e['operator']:<10} {(e['repository'] or '-'):<16} "
                          f"{e['action']:<26} {e['outcome']:<9} {(e['detail'] or '')[:80]}")
            return 0
        head = None
        if args.against:
            try:
                head = head_of(_read_log(args.against, profile))
            except (OSError, subprocess.CalledProcessError, ValueError, KeyError, IdentityError) as exc:
                fail(say(args, "cli.audit.unreadable", path=args.against, error=exc))
                return EXIT_UNKNOWN
        count, breaks = verify_chain(catalog, head)
    for b in breaks:
        print(f"{say(args, 'cli.audit.broken'):<6} {say(args, 'audit.kind.' + b.kind):<9} {b.message}")
    if breaks:
        print("dse-tui audit verify: " + say(args, "cli.audit.not_intact", path=profile.catalog_path, n=len(breaks),
                                             count=count), file=sys.stderr)
        return 1
    print(f"{say(args, 'check.level.ok'):<6} " + say(args, "cli.audit.intact", n=count)
          + (say(args, "cli.audit.matches", path=args.against) if head else ""))
    return 0


COMMANDS = {"audit": cmd_audit, "report": cmd_report}

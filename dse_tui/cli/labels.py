"""`dse-tui label MEDIUM...`: labels for media, as a preview, a PDF, ZPL, or printed through CUPS."""

from __future__ import annotations

from pathlib import Path

from dse_tui.cli.common import h


def add_parsers(sub, common) -> None:
    label = sub.add_parser("label", parents=[common], help=h("help.label"))
    label.add_argument("codes", nargs="+", metavar=h("help.meta.medium"), help=h("help.label.codes"))
    label.add_argument("--stock", metavar=h("help.meta.stock"), help=h("help.label.stock"))
    out = label.add_mutually_exclusive_group()
    out.add_argument("--pdf", type=Path, metavar=h("help.meta.file"))
    out.add_argument("--zpl", type=Path, metavar=h("help.meta.file"))
    out.add_argument("--print", dest="printer", metavar=h("help.meta.queue"), help=h("help.label.print"))
    label.add_argument("--start-position", type=int, default=1, metavar=h("help.meta.n"),
                       help=h("help.label.start_position"))
    label.add_argument("--copies", type=int, default=1, metavar=h("help.meta.n"), help=h("help.label.copies"))


def cmd_label(args) -> int:
    from dse_tui.cli.common import EXIT_UNKNOWN, fail, lang, load, say
    from dse_tui.core.labels.job import make_labels, resolve
    from dse_tui.core.labels.content import labels_for, preview
    from dse_tui.core.labels.stocks import stock_description
    from dse_tui.core.destinations.media import MediaError
    from dse_tui.core.labels.printing import PrintError

    loaded = load(args)
    if loaded is None:
        return EXIT_UNKNOWN
    profile, catalog = loaded
    if args.copies < 1:
        fail(say(args, "cli.label.copies"))
        return EXIT_UNKNOWN
    with catalog:
        try:
            if not (args.pdf or args.zpl or args.printer):
                stock, _ = resolve(profile, args.stock, None)
                print(say(args, "cli.label.stock", id=stock.id, description=stock_description(stock, lang(args))))
                for label in labels_for(profile, catalog, args.codes):
                    print(preview(label, stock=stock))
                return 0
            job = make_labels(profile, catalog, args.codes, stock_id=args.stock, printer=args.printer,
                              output=args.pdf or args.zpl, fmt="zpl" if args.zpl else "pdf" if args.pdf else None,
                              start=args.start_position, copies=args.copies)
        except (MediaError, ValueError) as exc:
            fail(str(exc))
            return EXIT_UNKNOWN if isinstance(exc, MediaError) and "no medium" in str(exc) else 1
        except PrintError as exc:
            fail(str(exc))
            return 1
    where = ", " + say(args, "cli.label.job", job=job.job_id, queue=job.queue) if job.job_id else ""
    pages = say(args, "cli.label.pages", n=max(p.page for p in job.placed)) + ", " if job.placed else ""
    print(say(args, "cli.label.made", n=len(job.labels), stock=job.stock.id) + f": {pages}{job.path}{where}")
    return 0


COMMANDS = {"label": cmd_label}

"""`dse-tui checklist list|show`: the ITR checklists, printable for when the console is down."""

from __future__ import annotations



def add_parsers(sub, common) -> None:
    checklist = sub.add_parser("checklist", parents=[common], help="the ITR manual-backup checklists")
    actions = checklist.add_subparsers(dest="checklist_command", metavar="ACTION", required=True,
                                       parser_class=sub._parser_class)
    actions.add_parser("list", parents=[common], help="every checklist: name, kind, drivers, steps")
    show = actions.add_parser("show", parents=[common], help="one checklist, to read or print")
    show.add_argument("name", metavar="NAME", help="its file's stem (see `checklist list`)")
    show.add_argument("--lang", choices=("es", "en"), help="language (default: the locale)")
    show.add_argument("--repo", metavar="REPO", help="fill the commands in from this repository of the profile")


def cmd_checklist(args) -> int:
    from dse_tui.cli import EXIT_UNKNOWN, _fail
    from dse_tui.core.checklists import load_checklists
    from dse_tui.core.problems import ConfigError

    try:
        checklists = load_checklists()
    except ConfigError as exc:
        _fail(f"the checklists have {len(exc.problems)} problem(s):\n{exc}")
        return EXIT_UNKNOWN
    if args.checklist_command == "list":
        for c in sorted(checklists.values(), key=lambda c: (c.kind, c.name)):
            required = sum(s.required for s in c.steps)
            print(f"{c.name:<22} {c.kind:<9} {','.join(c.drivers) or '-':<12} {len(c.steps):>2} steps "
                  f"({required} required)  {c.title['en']}")
        return 0
    checklist = checklists.get(args.name)
    if checklist is None:
        _fail(f"no checklist {args.name!r}; known: {', '.join(sorted(checklists))}")
        return EXIT_UNKNOWN
    repo = storage = None
    if args.repo:
        from dse_tui.cli import _profile_path
        from dse_tui.core.config import load_profile

        try:
            profile = load_profile(_profile_path(args))
            repo, storage = profile.repository(args.repo), str(profile.storage_root)
        except (ConfigError, KeyError, OSError) as exc:
            _fail(f"cannot use the repository {args.repo}: {exc}")
            return EXIT_UNKNOWN
    print(render(checklist, args.lang or _language(), repo, storage))
    return 0


def _language() -> str:
    from dse_tui.i18n import default_language

    return default_language()


def render(checklist, lang: str, repo=None, storage: str | None = None) -> str:
    """Plain text with boxes to tick and blanks for the evidence, for paper."""
    from dse_tui.core.checklists import fill_command

    optional = {"es": "opcional", "en": "optional"}[lang]
    lines = [checklist.title.get(lang) or checklist.title["en"], f"({checklist.name}, ITR 7.5 DSE 01)", ""]
    if repo is not None:
        lines[1] += f" — {repo.id}: {repo.location}"
    for n, step in enumerate(checklist.steps, 1):
        mark = "" if step.required else f" ({optional})"
        lines.append(f"{n:2}. [ ] {step.text.get(lang) or step.text['en']}{mark}")
        if step.command:
            command = fill_command(step.command, repo, storage=storage) if repo is not None else step.command
            lines.append(f"        $ {command}")
        if step.evidence:
            lines.append(f"        {step.evidence.get(lang) or step.evidence['en']}: ____________________")
    operator = {"es": "Operador", "en": "Operator"}[lang]
    date = {"es": "Fecha", "en": "Date"}[lang]
    signature = {"es": "Firma", "en": "Signature"}[lang]
    lines += ["", f"{operator}: ____________________   {date}: ____________   {signature}: ____________"]
    return "\n".join(lines)


COMMANDS = {"checklist": cmd_checklist}

"""`dse-tui checklist list|show`: the ITR checklists, printable for when the console is down."""

from __future__ import annotations

from dse_tui.cli.common import h


def add_parsers(sub, common) -> None:
    checklist = sub.add_parser("checklist", parents=[common], help=h("help.checklist"))
    actions = checklist.add_subparsers(dest="checklist_command", metavar=h("help.meta.action"), required=True,
                                       parser_class=sub._parser_class)
    actions.add_parser("list", parents=[common], help=h("help.checklist.list"))
    show = actions.add_parser("show", parents=[common], help=h("help.checklist.show"))
    show.add_argument("name", metavar=h("help.meta.name"), nargs="?", help=h("help.checklist.show.name"))
    show.add_argument("--repo", metavar=h("help.meta.repo"), help=h("help.checklist.show.repo"))


def cmd_checklist(args) -> int:
    from dse_tui.cli.common import EXIT_UNKNOWN, fail, lang, say, speak
    from dse_tui.core.sessions.checklists import load_checklists, repository_checklist, site_checklists
    from dse_tui.core.profile.problems import ConfigError

    profile = repo = storage = None
    try:
        if args.checklist_command == "show" and args.repo:
            from dse_tui.cli.common import profile_path
            from dse_tui.core.profile.config import load_profile

            profile = speak(args, load_profile(profile_path(args)))
            repo, storage = profile.repository(args.repo), str(profile.storage_root)
        checklists = site_checklists(profile) if profile else load_checklists()
    except KeyError:
        fail(say(args, "cli.checklist.no_repository", repo=repr(args.repo)))
        return EXIT_UNKNOWN
    except (ConfigError, OSError) as exc:
        fail(say(args, "cli.checklist.problems", n=len(exc.problems) if isinstance(exc, ConfigError) else 1,
                 problems=exc))
        return EXIT_UNKNOWN
    if args.checklist_command == "list":
        for c in sorted(checklists.values(), key=lambda c: (c.kind, c.name)):
            required = sum(s.required for s in c.steps)
            steps = say(args, "cli.checklist.steps", n=len(c.steps), required=required)
            print(f"{c.name:<22} {c.kind:<9} {','.join(c.drivers) or '-':<12} {steps}  "
                  f"{c.title.get(lang(args)) or c.title['en']}")
        return 0
    if args.name is None and repo is None:
        fail(say(args, "cli.checklist.name_one"))
        return EXIT_UNKNOWN
    try:
        if repo is not None and (args.name is None or args.name == repo.checklist):
            checklist = repository_checklist(profile, repo, checklists)
        else:
            checklist = checklists.get(args.name)
    except ConfigError as exc:
        fail(str(exc))
        return EXIT_UNKNOWN
    if checklist is None:
        fail(say(args, "cli.checklist.unknown", name=repr(args.name), known=", ".join(sorted(checklists))))
        return EXIT_UNKNOWN
    print(render(checklist, lang(args), repo, storage))
    return 0


def render(checklist, lang: str, repo=None, storage: str | None = None) -> str:
    """Plain text with boxes to tick and blanks for the evidence, for paper."""
    from dse_tui.core.sessions.checklists import fill_command
    from dse_tui.core.texts import tr

    optional = tr("paper.optional", lang)
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
    operator, date, signature = (tr(k, lang) for k in ("paper.operator", "paper.date", "paper.signature"))
    lines += ["", f"{operator}: ____________________   {date}: ____________   {signature}: ____________"]
    return "\n".join(lines)


COMMANDS = {"checklist": cmd_checklist}

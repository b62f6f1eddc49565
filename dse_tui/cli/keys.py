"""`dse-tui keys init|list`: the age key pairs for encrypted media, and their recovery sheet."""

from __future__ import annotations

from pathlib import Path

from dse_tui.cli.common import h


def add_parsers(sub, common) -> None:
    keys = sub.add_parser("keys", parents=[common], help=h("help.keys"))
    actions = keys.add_subparsers(dest="keys_command", metavar=h("help.meta.action"), required=True,
                                  parser_class=sub._parser_class)
    init = actions.add_parser("init", parents=[common], help=h("help.keys.init"))
    init.add_argument("--dir", type=Path, metavar=h("help.meta.dir"), help=h("help.keys.init.dir"))
    init.add_argument("--sheet", type=Path, metavar=h("help.meta.file"), help=h("help.keys.init.sheet"))
    init.add_argument("--passphrase", action="store_true", help=h("help.keys.init.passphrase"))
    init.add_argument("--passphrase-env", metavar=h("help.meta.var"), help=h("help.keys.init.passphrase_env"))
    listing = actions.add_parser("list", parents=[common], help=h("help.keys.list"))
    listing.add_argument("--dir", type=Path, metavar=h("help.meta.dir"))
    listing.add_argument("--json", action="store_true")


def cmd_keys(args) -> int:
    from dse_tui.cli.common import EXIT_UNKNOWN, fail, profile_path, say, speak
    from dse_tui.core.profile.config import load_profile
    from dse_tui.core.keys.crypto import keys_dir
    from dse_tui.core.keys.keypairs import KeyError_, init_key, recovery_sheet
    from dse_tui.core.profile.problems import ConfigError

    try:
        profile = speak(args, load_profile(profile_path(args)))
    except (ConfigError, OSError) as exc:
        fail(say(args, "cli.keys.profile", error=exc))
        return EXIT_UNKNOWN
    folder = args.dir or keys_dir(profile)
    if args.keys_command == "list":
        return _list(profile, folder, args)
    try:
        passphrase = _new_passphrase(args)
    except ValueError as exc:
        fail(str(exc))
        return EXIT_UNKNOWN
    try:
        key = init_key(folder, passphrase)
    except (KeyError_, OSError) as exc:
        fail(str(exc))
        return 1
    sheet = args.sheet or folder / f"{key.id}-recovery-sheet.pdf"
    import os

    # The sheet holds the secret until it is printed: readable by its owner only, like the identity.
    fd = os.open(sheet, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(recovery_sheet(key, profile.site.name, profile.site.department, passphrase))
    protected = say(args, "cli.keys.protected") if passphrase else ""
    print(say(args, "cli.keys.made", id=key.id, file=key.identity_file, protected=protected, recipient=key.recipient))
    print(say(args, "cli.keys.use", recipient=key.recipient))
    print(say(args, "cli.keys.sheet", sheet=sheet))
    return 0


def _new_passphrase(args) -> str | None:
    import getpass
    import os
    import sys

    from dse_tui.cli.common import say

    if args.passphrase_env:
        value = os.environ.get(args.passphrase_env)
        if not value:
            raise ValueError(say(args, "cli.keys.env_unset", var=args.passphrase_env))
        return value
    if not args.passphrase:
        return None
    if not sys.stdin.isatty():
        raise ValueError(say(args, "cli.keys.no_tty"))
    first = getpass.getpass(say(args, "cli.keys.ask"))
    if len(first) < 8:
        raise ValueError(say(args, "cli.keys.short"))
    if getpass.getpass(say(args, "cli.keys.again")) != first:
        raise ValueError(say(args, "cli.keys.differ"))
    return first


def _list(profile, folder: Path, args) -> int:
    """Every key the keys folder holds or a run uses, with the runs and media it opens."""
    from dse_tui.core.catalog import Catalog
    from dse_tui.core.keys.keypairs import key_usage, list_keys
    from dse_tui.cli.common import say
    from dse_tui.jsonout import print_json

    keys = {k.id: k for k in list_keys(folder)}
    usage = {}
    if Catalog.exists(profile.catalog_path):  # no catalog yet: no run uses any key
        with Catalog(profile.catalog_path, readonly=True) as catalog:
            usage = key_usage(catalog)
    rows = []
    for kid in sorted(set(keys) | set(usage)):
        k, used = keys.get(kid), usage.get(kid, {"runs": [], "media": []})
        rows.append({"key_id": kid, "recipient": k.recipient if k else None,
                     "identity": str(k.identity_file) if k and k.identity_file.is_file() else None,
                     "runs": used["runs"], "media": used["media"]})
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        where = say(args, "cli.keys.identity", file=r["identity"]) if r["identity"] else say(args, "cli.keys.no_identity")
        print(f"{r['key_id']:<16} {r['recipient'] or say(args, 'cli.keys.no_public')}  {where}")
        print(f"{'':<16} {say(args, 'cli.keys.runs', n=len(r['runs']))}" + (f": {_ids(args, r['runs'])}" if r["runs"] else "")
              + ("; " + say(args, "cli.keys.media", media=", ".join(r["media"])) if r["media"] else "; "
                 + say(args, "cli.keys.no_media")))
    if not rows:
        print(say(args, "cli.keys.none", folder=folder))
    return 0


def _ids(args, ids: list[int], shown: int = 12) -> str:
    from dse_tui.cli.common import say

    more = " " + say(args, "cli.keys.more", n=len(ids) - shown) if len(ids) > shown else ""
    return ", ".join(map(str, ids[:shown])) + more


COMMANDS = {"keys": cmd_keys}

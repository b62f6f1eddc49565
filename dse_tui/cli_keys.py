"""`dse-tui keys init|list`: the age key pairs for encrypted media, and their recovery sheet."""

from __future__ import annotations

from pathlib import Path


def add_parsers(sub, common) -> None:
    keys = sub.add_parser("keys", parents=[common], help="encryption keys (age) and their recovery sheet")
    actions = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True,
                                  parser_class=sub._parser_class)
    init = actions.add_parser("init", parents=[common],
                              help="make a key pair (the identity readable by its owner only) and its recovery sheet")
    init.add_argument("--dir", type=Path, metavar="DIR", help="where the keys live (default: the user's config)")
    init.add_argument("--sheet", type=Path, metavar="FILE", help="the recovery sheet PDF (default: beside the key)")
    listing = actions.add_parser("list", parents=[common], help="the key ids and public keys")
    listing.add_argument("--dir", type=Path, metavar="DIR")


def cmd_keys(args) -> int:
    from dse_tui.cli import EXIT_UNKNOWN, _fail, _profile_path
    from dse_tui.core.config import load_profile
    from dse_tui.core.keys import KeyError_, init_key, keys_dir, list_keys, recovery_sheet
    from dse_tui.core.problems import ConfigError

    try:
        profile = load_profile(_profile_path(args))
    except (ConfigError, OSError) as exc:
        _fail(f"cannot use the profile: {exc}")
        return EXIT_UNKNOWN
    folder = args.dir or keys_dir(profile)
    if args.keys_command == "list":
        keys = list_keys(folder)
        for k in keys:
            print(f"{k.id:<16} {k.recipient}  {'identity here' if k.identity_file.is_file() else 'no identity here'}")
        if not keys:
            print(f"no keys in {folder}: make one with `dse-tui keys init`")
        return 0
    try:
        key = init_key(folder)
    except (KeyError_, OSError) as exc:
        _fail(str(exc))
        return 1
    sheet = args.sheet or folder / f"{key.id}-recovery-sheet.pdf"
    import os

    # The sheet holds the secret until it is printed: readable by its owner only, like the identity.
    fd = os.open(sheet, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(recovery_sheet(key, profile.site.name, profile.site.department))
    print(f"key {key.id}: identity {key.identity_file} (readable by you only), public key {key.recipient}")
    print(f"recovery sheet: {sheet} — print it, keep it in the safe, then delete the file")
    return 0


COMMANDS = {"keys": cmd_keys}

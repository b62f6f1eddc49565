"""`dse-tui catalog rebuild --from PLACE…`: the catalog made again from the copies on media (records/rebuild.py)."""

from __future__ import annotations

from pathlib import Path

from dse_tui.cli.common import h


def add_parsers(sub, common) -> None:
    catalog = sub.add_parser("catalog", parents=[common], help=h("help.catalog"))
    actions = catalog.add_subparsers(dest="catalog_command", metavar=h("help.meta.action"), required=True,
                                     parser_class=sub._parser_class)
    rebuild = actions.add_parser("rebuild", parents=[common], help=h("help.catalog.rebuild"))
    rebuild.add_argument("--from", dest="places", action="append", required=True, type=Path, metavar=h("help.meta.place"),
                         help=h("help.catalog.rebuild.from"))
    rebuild.add_argument("--catalog", type=Path, metavar=h("help.meta.file"), help=h("help.catalog.rebuild.catalog"))
    rebuild.add_argument("--identity", action="append", type=Path, metavar=h("help.meta.file"), default=[],
                         help=h("help.catalog.rebuild.identity"))
    rebuild.add_argument("--passphrase-env", metavar=h("help.meta.name"), help=h("help.catalog.rebuild.passphrase_env"))
    rebuild.add_argument("--force", action="store_true", help=h("help.catalog.rebuild.force"))
    rebuild.add_argument("--json", action="store_true")
    migrate = actions.add_parser("migrate", parents=[common], help=h("help.catalog.migrate"))
    migrate.add_argument("--to", required=True, metavar=h("help.meta.url"), help=h("help.catalog.migrate.to"))
    migrate.add_argument("--catalog", type=Path, metavar=h("help.meta.file"), help=h("help.catalog.migrate.catalog"))
    migrate.add_argument("--passfile", type=Path, metavar=h("help.meta.file"), help=h("help.catalog.migrate.passfile"))
    migrate.add_argument("--password-env", metavar=h("help.meta.name"), help=h("help.catalog.migrate.password_env"))


def cmd_catalog(args) -> int:
    if args.catalog_command == "migrate":
        return _migrate(args)
    from dse_tui.cli.common import EXIT_UNKNOWN, fail
    from dse_tui.core.records.rebuild import RebuildError, rebuild

    profile = _profile(args)
    if profile is False:
        return EXIT_UNKNOWN
    target = _target(args, profile)
    if target is None:
        return EXIT_UNKNOWN
    from dse_tui.core.keys.crypto import Keyring, _env_secret

    passphrase = _env_secret(args.passphrase_env) if args.passphrase_env else None
    identities = [p.expanduser() for p in args.identity]
    keyring = (Keyring.for_profile(profile, identities, passphrase) if profile
               else Keyring(identities, passphrase))
    try:
        done = rebuild(target, [p.expanduser().absolute() for p in args.places], force=args.force,
                       keyring=keyring, log=lambda line: None if args.json else print(line),
                       destinations={Path(d.path): d.id for d in profile.destinations.values() if d.path}
                       if profile else None)
    except RebuildError as exc:
        fail(str(exc))
        return EXIT_UNKNOWN
    if args.json:
        from dse_tui.jsonout import print_json

        print_json(done.as_json())
    else:
        _print(done)
    return 0


def _profile(args):
    """The profile when there is one (None on a fresh machine; False when it is there but wrong)."""
    from dse_tui.cli.common import fail, profile_path

    path = profile_path(args)
    if not path.exists():
        return None
    from dse_tui.core.profile.config import load_profile
    from dse_tui.core.profile.problems import ConfigError

    try:
        return load_profile(path)
    except ConfigError as exc:
        fail(f"the profile has {len(exc.problems)} problem(s):\n{exc}")
        return False


def _target(args, profile) -> Path | None:
    """--catalog; else the profile's catalog when there is a profile; else the default path of the site the
    copies are of (a fresh machine has no profile yet)."""
    from dse_tui.cli.common import fail

    if args.catalog:
        return args.catalog.expanduser().absolute()
    if profile:
        return profile.catalog_path
    from dse_tui.core.profile.config import default_catalog_path
    from dse_tui.core.records.rebuild import site_of

    site = site_of([p.expanduser().absolute() for p in args.places])
    if site is None:
        fail("no profile, and the copies found do not name one site: pass --catalog FILE")
        return None
    return default_catalog_path(site)


def _print(done) -> None:
    from dse_tui.core.catalog import Catalog
    from dse_tui.core.records.rebuild import rebuilt_state

    if done.kept_aside:
        print(f"the catalog that was there is kept as {done.kept_aside}")
    for problem in done.problems:
        print(f"not read: {problem}")
    if done.base:
        print(f"base: the catalog backup of run {done.base.run_id} ({done.base.manifest['started_at']}) from "
              f"{done.base.path}: {done.base_events} event(s)")
    print(f"events carried on from the runs' logs: {done.events_added}")
    for run_id in done.runs_completed:
        print(f"run {run_id}: completed from its manifest (it was running when the backup was taken)")
    for run_id in done.runs_added:
        print(f"run {run_id}: recovered from its manifest (newer than the catalog backup)")
    for run_id, destination, path in done.copies_added:
        print(f"copy of run {run_id} on {destination}: {path}")
    for code in done.media_added:
        print(f"medium {code}: back in the inventory (created after the catalog backup, the event log says)")
    for line in done.not_recovered:
        print(f"not recovered: {line}")
    with Catalog(done.catalog, readonly=True) as catalog:
        runs, copies = rebuilt_state(catalog)
    print(f"catalog {done.catalog}: {runs} run(s), {copies} verified cop{'y' if copies == 1 else 'ies'}; "
          "check it with `dse-tui audit verify`")


COMMANDS = {"catalog": cmd_catalog}


def _migrate(args) -> int:
    from dse_tui.cli.common import EXIT_UNKNOWN, fail
    from dse_tui.core.catalog import Catalog, CatalogError
    from dse_tui.core.catalog.backend import is_postgresql, redact
    from dse_tui.core.catalog.transfer import TransferError, copy_catalog

    if not is_postgresql(args.to) or "@" in args.to and ":" in args.to.split("//", 1)[1].split("@")[0]:
        fail("--to must be a postgresql:// URL without a password (use --passfile, --password-env or ~/.pgpass)")
        return EXIT_UNKNOWN
    profile = _profile(args)
    if profile is False:
        return EXIT_UNKNOWN
    source = args.catalog or (profile.catalog_path if profile else None)
    if source is None or is_postgresql(source) or not Path(source).exists():
        fail(f"no SQLite catalog to copy{f' at {source}' if source else ''}: name it with --catalog FILE")
        return EXIT_UNKNOWN
    try:
        with Catalog(source) as src, Catalog(args.to, passfile=args.passfile, password_env=args.password_env) as dst:
            copy_catalog(src, dst, log=print)
    except (CatalogError, TransferError) as exc:
        fail(str(exc))
        return EXIT_UNKNOWN
    print(f"copied to {redact(args.to)}: set storage.catalog to it in the profile")
    return 0

"""`dse-tui --help` and usage errors speak the help's language: argv's --lang (before or after the command),
else the locale; never the profile's. Every help, metavar and description is a text key, so a new option
without its Spanish help fails here; argparse's own words are translated as Python's argparse passes them."""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from dse_tui.cli import build_parser
from dse_tui.cli.common import ARGPARSE_WORDS, help_language, use_help_language
from dse_tui.core.texts import CATALOGS, LANGUAGES, tr
from tests.test_cli import dse, no_traceback

ENGLISH_LOCALE = {"LC_ALL": "C.UTF-8", "LC_MESSAGES": "", "LANG": "C.UTF-8"}
SPANISH_LOCALE = {"LC_ALL": "", "LC_MESSAGES": "", "LANG": "es_ES.UTF-8"}
ENGLISH_WORDS = ("usage:", "positional arguments", "options:", "show this help message and exit")


def spanish(result, *phrases: str, english: tuple[str, ...] = ()) -> str:
    no_traceback(result)
    text = " ".join((result.stdout + result.stderr).split())  # argparse wraps to the terminal's width
    for phrase in phrases:
        assert phrase in text, phrase
    for phrase in ENGLISH_WORDS + english:
        assert phrase not in text, phrase
    return text


def test_the_top_help_in_spanish():
    result = dse("--lang", "es", "--help", env=ENGLISH_LOCALE)
    assert result.returncode == 0
    spanish(result, "uso: dse-tui [-h] [--profile FICHERO]", "argumentos posicionales:", "opciones:",
            "mostrar este mensaje de ayuda y salir", "Consola de respaldos del procedimiento de respaldo del DSE",
            "respaldar lo pendiente (por omisión), todo (--all) o los repositorios indicados",
            "mostrar la versión del programa y salir", "el inventario de soportes",
            english=("Backup console", "back up what is due", "the media inventory", "COMMAND"))


def test_a_commands_help_in_spanish():
    result = dse("--lang", "es", "run", "--help", env=ENGLISH_LOCALE)
    assert result.returncode == 0
    spanish(result, "uso: dse-tui run", "los repositorios pendientes, atrasados o nunca respaldados",
            "todos los repositorios", "identificadores de repositorio", "idioma de la interfaz",
            english=("every repository", "repository ids", "interface language"))


def test_lang_after_the_command_and_with_an_equals_sign():
    after = dse("restore", "--help", "--lang", "es", env=ENGLISH_LOCALE)  # --help acts first: argv decides
    spanish(after, "uso: dse-tui restore", "restaurar desde una copia (--from): no hacen falta perfil ni catálogo",
            "restaurar sobre un destino que ya existe", "--to DESTINO", "[EJECUCIÓN]",
            english=("restore over an existing target", "TARGET"))
    equals = dse("media", "retire", "--lang=es", "--help", env=ENGLISH_LOCALE)
    spanish(equals, "uso: dse-tui media retire", "--reason TEXTO", "CÓDIGO", english=("CODE",))


def test_the_locale_picks_spanish_and_lang_overrides_it():
    result = dse("verify", "--help", env=SPANISH_LOCALE)
    assert result.returncode == 0
    spanish(result, "uso: dse-tui verify", "identificadores de repositorio: su última ejecución",
            "en lugar del nivel propio de cada repositorio", english=("instead of each repository's own level",))
    english = dse("verify", "--help", "--lang", "en", env=SPANISH_LOCALE).stdout
    assert "usage: dse-tui verify" in english and "instead of each repository's own level" in english
    assert "uso:" not in english


def test_a_usage_error_in_spanish_exits_3():
    unknown = dse("--lang", "es", "run", "--bogus", env=ENGLISH_LOCALE)
    assert unknown.returncode == 3
    spanish(unknown, "uso: dse-tui", "dse-tui: error: argumentos no reconocidos: --bogus",
            english=("unrecognized arguments",))
    missing = dse("restore", env=SPANISH_LOCALE)
    assert missing.returncode == 3
    spanish(missing, "dse-tui restore: error: se requieren los siguientes argumentos: --to")
    choice = dse("--lang", "es", "--lang", "fr", "status", env=SPANISH_LOCALE)  # a wrong --lang: the locale
    assert choice.returncode == 3
    spanish(choice, "argumento --lang: valor no válido: 'fr' (elija entre 'es', 'en')")


def test_english_help_and_errors_as_they_were():
    top = dse("--help", env=ENGLISH_LOCALE)
    text = " ".join(top.stdout.split())
    for phrase in ("usage: dse-tui [-h] [--profile FILE] [--this-host NAME] [--lang {es,en}]", "positional arguments:",
                   "options: -h, --help show this help message and exit",
                   "Backup console for the DSE backup procedure (PRO 7.5 DSE 02). With no command, opens the dashboard.",
                   "--version show program's version number and exit",
                   "run back up what is due (default), --all, or the repositories named"):
        assert phrase in text, phrase
    restore = " ".join(dse("restore", "--help", env=ENGLISH_LOCALE).stdout.split())
    assert "restoring from a copy (--from): no profile or catalog needed:" in restore
    assert "--to TARGET" in restore and "[RUN]" in restore and "--host HOST" in restore
    error = dse("restore", "--lang", "en", env=SPANISH_LOCALE)
    assert error.returncode == 3 and "dse-tui restore: error: the following arguments are required: --to" in error.stderr
    assert "uso:" not in top.stdout + error.stderr


@pytest.mark.parametrize(("argv", "env", "expected"), [
    (["--lang", "es", "status"], ENGLISH_LOCALE, "es"),
    (["status", "--lang=es"], ENGLISH_LOCALE, "es"),
    (["--lang", "es", "status", "--lang", "en"], SPANISH_LOCALE, "en"),  # the last one, as argparse takes it
    (["--lan", "es", "status"], ENGLISH_LOCALE, "es"),  # argparse's abbreviation
    (["status"], SPANISH_LOCALE, "es"),
    (["status"], ENGLISH_LOCALE, "en"),
    (["--lang", "fr", "status"], SPANISH_LOCALE, "es"),  # not a language: the locale's
    (["--lang"], ENGLISH_LOCALE, "en"),
    (["session", "abandon", "1", "--reason", "x", "--", "--lang", "es"], ENGLISH_LOCALE, "en"),
])
def test_the_help_language_from_argv_else_the_locale(monkeypatch, argv, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert help_language(argv) == expected


@pytest.fixture
def english_after():
    yield
    use_help_language("en")  # argparse's words are process-wide: the other tests' parsers speak English


def parsers(parser: argparse.ArgumentParser, path=("dse-tui",)):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from parsers(child, (*path, name))


def shape(lang: str):
    return [(path, [(a.option_strings, a.dest) for a in p._actions]) for path, p in parsers(build_parser(lang))]


def test_every_help_metavar_and_title_is_a_text_of_its_language(english_after):
    """A help= or metavar= written as a literal is in no catalog: a new option without its Spanish help fails."""
    assert shape("en") == shape("es")
    for lang in LANGUAGES:
        catalog = CATALOGS[lang]
        helps = {tr(k, lang) for k in catalog if k.startswith(("help.", "argparse.")) and not k.startswith("help.meta.")}
        metavars = {tr(k, lang) for k in catalog if k.startswith("help.meta.")}
        bad = []
        for path, parser in parsers(build_parser(lang)):
            where = " ".join(path)
            if parser.description is not None and parser.description not in helps:
                bad.append(f"{where}: description {parser.description!r}")
            for group in parser._action_groups:
                if group.title not in helps:
                    bad.append(f"{where}: group {group.title!r}")
            for action in parser._actions:
                name = "/".join(action.option_strings) or action.dest
                choices = [a for a in getattr(action, "_choices_actions", [])]  # the subcommands' lines
                for a in [action, *choices]:
                    if a.help not in (None, argparse.SUPPRESS) and a.help not in helps:
                        bad.append(f"{where} {name}: help {a.help!r}")
                if action.nargs == 0:
                    continue
                if action.choices is not None and not isinstance(action, argparse._SubParsersAction):
                    continue  # shown as {a,b}: the values themselves
                if not isinstance(action.metavar, str) or action.metavar not in metavars:
                    bad.append(f"{where} {name}: metavar {action.metavar!r} (else argparse shows the dest)")
        assert not bad, f"{lang}:\n" + "\n".join(bad)


def test_argparses_user_facing_words_are_all_translated():
    """Python's argparse (this version) passes these to gettext; a new one a user can read is added to
    ARGPARSE_WORDS and <lang>_cli.py, a programmer's error to PROGRAMMERS."""
    programmers = {
        "conflicting option string: %s", ".__call__() not defined", "'required' is an invalid argument for positionals",
        "mutually exclusive arguments must be optional", "%r is not callable",
        "cannot merge actions - two groups are named %r",
        "invalid option string %(option)r: must start with a character %(prefix_chars)r",
        "dest= is required for options like %r", "invalid conflict_resolution value: %r",
        "cannot have multiple subparser arguments", "conflicting subparser: %s", "conflicting subparser alias: %s",
        'argument "-" with mode %r',
    }
    said = {node.args[0].value for node in ast.walk(ast.parse(Path(argparse.__file__).read_text()))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext")
            and node.args and isinstance(node.args[0], ast.Constant)}
    assert said - programmers == set(ARGPARSE_WORDS)
    conversion = re.compile(r"%(\(\w+\))?[sr]")
    for message, key in ARGPARSE_WORDS.items():
        english = CATALOGS["en"][key]
        assert (english["one"] if isinstance(english, dict) else english) == message  # argparse's own, as it is
        for lang in LANGUAGES:
            entry = CATALOGS[lang][key]
            for text in entry.values() if isinstance(entry, dict) else [entry]:
                assert sorted(m.group() for m in conversion.finditer(text)) == sorted(m.group() for m in conversion.finditer(message)), \
                    (lang, key)

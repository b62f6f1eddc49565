"""The demo site: a small, self-contained set of things to back up, and a profile that points at them."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from dse_tui.core.profile.config import load_profile


def shipped_profiles_dir() -> Path:
    here = Path(__file__).resolve().parents[2]  # dse_tui/
    for candidate in (here.parent / "profiles", here / "_shipped" / "profiles"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("profiles/ is missing from this installation of dse-tui")


def default_demo_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path("dse-tui") / "demo"


def init_demo(directory: Path | None = None) -> Path:
    """Create the demo site in `directory` (once; an existing site is kept) and return its profile path."""
    directory = (directory or default_demo_dir()).expanduser().absolute()
    profile = directory / "profile.yaml"
    if profile.exists():
        return profile
    site = directory / "site"
    site.mkdir(parents=True, exist_ok=True)
    _library_db(site / "library.sqlite")
    _git_project(site / "timetable-app")
    _docroot(site / "www")
    _config_tree(site / "etc")
    for sub in ("backups", "media/shelf-disk", "media/offsite-share", "media/discs"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    # Written last, through a temporary name: a half-made site never looks finished.
    tmp = profile.with_suffix(".yaml.tmp")
    shutil.copyfile(shipped_profiles_dir() / "demo.yaml", tmp)
    os.replace(tmp, profile)
    load_profile(profile)  # the shipped profile must be valid where it lands
    return profile


def _library_db(path: Path) -> None:
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, author TEXT, year INTEGER);
            CREATE TABLE loans (id INTEGER PRIMARY KEY, book_id INTEGER REFERENCES books(id),
                                borrower TEXT NOT NULL, lent_on TEXT NOT NULL, returned_on TEXT);
        """)
        books = [
            ("Cien años de soledad", "Gabriel García Márquez", 1967),
            ("Pedro Páramo", "Juan Rulfo", 1955),
            ("The Mythical Man-Month", "Frederick P. Brooks", 1975),
            ("Database System Concepts", "Silberschatz, Korth, Sudarshan", 1986),
            ("Ficciones", "Jorge Luis Borges", 1944),
            ("Structure and Interpretation of Computer Programs", "Abelson, Sussman", 1985),
            ("La casa de los espíritus", "Isabel Allende", 1982),
            ("Operating System Concepts", "Silberschatz, Galvin, Gagne", 1983),
        ]
        conn.executemany("INSERT INTO books(title, author, year) VALUES (?, ?, ?)", books)
        loans = [(1 + i % len(books), f"student{i:03d}", f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
                  None if i % 3 else f"2026-{1 + i % 12:02d}-28") for i in range(40)]
        conn.executemany("INSERT INTO loans(book_id, borrower, lent_on, returned_on) VALUES (?, ?, ?, ?)", loans)


def _git_project(path: Path) -> None:
    if (path / ".git").exists():
        return
    path.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "DSE demo", "GIT_AUTHOR_EMAIL": "demo@dse.invalid",
           "GIT_COMMITTER_NAME": "DSE demo", "GIT_COMMITTER_EMAIL": "demo@dse.invalid",
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(path)}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=path, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    files = [
        ("README.md", "# Timetable\n\nCourse timetables for the faculty.\n", "Start the timetable project"),
        ("timetable.py", "def slots(day):\n    return [f'{day} {h}:00' for h in range(8, 20)]\n", "Add time slots"),
        ("timetable.py", "def slots(day, start=8, end=20):\n    return [f'{day} {h}:00' for h in range(start, end)]\n",
         "Make the day's hours configurable"),
        ("rooms.csv", "room,seats\nA-101,40\nA-102,35\nLab-3,24\n", "Add the rooms list"),
    ]
    for name, text, message in files:
        (path / name).write_text(text, encoding="utf-8")
        git("add", name)
        git("commit", "-q", "-m", message)
    git("tag", "v1.0")


def _docroot(path: Path) -> None:
    (path / "css").mkdir(parents=True, exist_ok=True)
    (path / "docs").mkdir(exist_ok=True)
    (path / "cache").mkdir(exist_ok=True)
    (path / "index.html").write_text(
        "<!doctype html><html lang='es'><head><meta charset='utf-8'><title>DSE</title>"
        "<link rel='stylesheet' href='css/site.css'></head><body><h1>Servicios Electrónicos</h1>"
        "<p>Bienvenidos.</p></body></html>\n", encoding="utf-8")
    (path / "css" / "site.css").write_text("body { font-family: sans-serif; margin: 2em; }\n", encoding="utf-8")
    (path / "docs" / "horarios.txt").write_text("Lunes a viernes, 8:00-20:00\n", encoding="utf-8")
    (path / "docs" / "logo.bin").write_bytes(bytes(range(256)) * 64)
    (path / "cache" / "page.tmp").write_text("regenerated on demand\n", encoding="utf-8")


def _config_tree(path: Path) -> None:
    (path / "apache2" / "sites-available").mkdir(parents=True, exist_ok=True)
    (path / "cron.d").mkdir(exist_ok=True)
    (path / "hostname").write_text("www-demo\n", encoding="utf-8")
    (path / "apache2" / "sites-available" / "dse.conf").write_text(
        "<VirtualHost *:80>\n  ServerName dse.demo.invalid\n  DocumentRoot /var/www/dse\n</VirtualHost>\n",
        encoding="utf-8")
    (path / "cron.d" / "dse-tui").write_text(
        "# m h dom mon dow user command\n15 2 * * * root dse-tui run --due\n", encoding="utf-8")

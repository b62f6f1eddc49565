from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.catalog_backend import catalog_backend  # noqa: F401 (an autouse fixture: DSE_TEST_CATALOG)

# Times on screen and in snapshots must not depend on the machine's zone.
os.environ["TZ"] = "UTC"
time.tzset()
os.environ.pop("DSE_TUI_PROFILE", None)
# The validated-profile cache of the tests stays out of the user's own cache folder.
os.environ["XDG_CACHE_HOME"] = __import__("tempfile").mkdtemp(prefix="dse-tui-test-cache-")
for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
    os.environ.pop(var, None)

FIXED_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def fixed_clock() -> datetime:
    return FIXED_NOW


@pytest.fixture
def demo_profile(tmp_path: Path) -> Path:
    from dse_tui.core.profile.demo import init_demo

    return init_demo(tmp_path / "demo")


def write_profile(directory: Path, body: str, name: str = "profile.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(body, encoding="utf-8")
    return path


def record_runs(catalog_path: Path, repo: str, outcomes: str, *, now: datetime = FIXED_NOW,
                every: timedelta = timedelta(days=1), size: int = 100_000, shrink: int = 0,
                failure: str = "pg_dump exited with status 1") -> list[int]:
    """One run per period ending at `now`, oldest first: g=good, f=failed, c=cancelled, .=no run. Returns
    run ids."""
    from dse_tui.core.catalog import Catalog

    ids = []
    with Catalog(catalog_path) as catalog:
        for i, outcome in enumerate(outcomes):
            if outcome == ".":
                continue
            at = now - every * (len(outcomes) - i) + timedelta(minutes=5)
            run = catalog.start_run(repo, at=at)
            good = outcome == "g"
            state = {"g": "good", "f": "failed", "c": "cancelled"}[outcome]
            message = {"g": None, "f": failure, "c": "cancelled by the operator"}[outcome]
            catalog.finish_run(run, state, size=size - shrink * i if good else None, message=message,
                               at=at + timedelta(seconds=42))
            ids.append(run)
    return ids


# ------------------------------------------------------------------ real servers

def _unavailable(what: str, why: str):
    message = f"{what} is not reachable ({why}); start it as the README says"
    if IN_CI:
        pytest.fail(f"under CI=true the {what} tests must not skip: {message}")
    pytest.skip(message)


@pytest.fixture
def postgres_db():
    """A fresh PostgreSQL database on 127.0.0.1:5432 (trust auth), dropped afterwards."""
    if not shutil.which("psql"):
        _unavailable("PostgreSQL", "psql is not installed")
    name = f"dse_test_{uuid.uuid4().hex[:10]}"
    base = ["psql", "-XAtq", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d", "postgres"]
    probe = subprocess.run(base + ["-c", "select 1"], capture_output=True, text=True)
    if probe.returncode != 0:
        _unavailable("PostgreSQL", probe.stderr.strip())
    subprocess.run(base + ["-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    yield {"host": "127.0.0.1", "port": 5432, "user": "postgres", "database": name}
    subprocess.run(base + ["-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True)


@pytest.fixture
def mariadb_db():
    """A fresh MariaDB database on 127.0.0.1:3306 (root, empty password), dropped afterwards."""
    client = shutil.which("mariadb") or shutil.which("mysql")
    if not client:
        _unavailable("MariaDB", "the mariadb client is not installed")
    name = f"dse_test_{uuid.uuid4().hex[:10]}"
    base = [client, "-h", "127.0.0.1", "-P", "3306", "-u", "root", "--connect-timeout=5"]
    probe = subprocess.run(base + ["-e", "select 1"], capture_output=True, text=True)
    if probe.returncode != 0:
        _unavailable("MariaDB", probe.stderr.strip())
    subprocess.run(base + ["-e", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    yield {"host": "127.0.0.1", "port": 3306, "user": "root", "database": name, "client": client}
    subprocess.run(base + ["-e", f"DROP DATABASE IF EXISTS {name}"], capture_output=True)


@pytest.fixture
def mariadb_user(mariadb_db):
    """A MariaDB login with a password, as a site's backup user would be: (user, password)."""
    user, password = f"dse_{uuid.uuid4().hex[:8]}", f"My-S3cret-{uuid.uuid4().hex}"
    base = [mariadb_db["client"], "-h", "127.0.0.1", "-P", "3306", "-u", "root", "-e"]
    subprocess.run(base + [f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'; GRANT ALL ON *.* TO '{user}'@'%';"],
                   check=True, capture_output=True)
    yield user, password
    subprocess.run(base + [f"DROP USER IF EXISTS '{user}'@'%'"], capture_output=True)


# ------------------------------------------------------------------ a real sshd on loopback

@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    """sshd on 127.0.0.1 with a throwaway host key and user key; yields the ssh settings for a profile."""
    sshd_bin = shutil.which("sshd") or "/usr/sbin/sshd"
    if not os.path.exists(sshd_bin) or not shutil.which("ssh"):
        _unavailable("sshd", "openssh-server is not installed")
    if os.geteuid() != 0:
        pytest.skip("the sshd fixture logs in as root and needs to run as root")
    home = tmp_path_factory.mktemp("sshd")
    for key in ("host_key", "user_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(home / key)], check=True)
    (home / "authorized_keys").write_text((home / "user_key.pub").read_text())
    (home / "authorized_keys").chmod(0o600)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = home / "sshd_config"
    config.write_text(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {home / 'host_key'}
AuthorizedKeysFile {home / 'authorized_keys'} .ssh/authorized_keys
PidFile {home / 'sshd.pid'}
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
""")
    Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation directory
    proc = subprocess.Popen([sshd_bin, "-D", "-e", "-f", str(config)], stderr=open(home / "sshd.log", "w"))
    settings = {"host": "127.0.0.1", "user": "root", "port": port, "identity_file": str(home / "user_key"),
                "options": ["StrictHostKeyChecking=no", f"UserKnownHostsFile={home / 'known_hosts'}"]}
    argv = ["ssh", "-o", "BatchMode=yes", "-p", str(port), "-i", settings["identity_file"],
            *sum((["-o", o] for o in settings["options"]), []), "root@127.0.0.1", "true"]
    for _ in range(50):
        if subprocess.run(argv, capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    else:
        proc.kill()
        _unavailable("sshd", (home / "sshd.log").read_text()[-300:])
    yield settings
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def ssh_user(sshd):
    """The same sshd, logged into as a user who is not root, as a site's backup user is: its settings."""
    import pwd

    name = "dse-ssh-test"
    made = subprocess.run(["id", name], capture_output=True).returncode != 0
    if made:  # '*': no password, yet not a locked account (sshd refuses those)
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", "-p", "*", name], check=True, capture_output=True)
    home = Path(pwd.getpwnam(name).pw_dir)
    (home / ".ssh").mkdir(exist_ok=True)
    (home / ".ssh" / "authorized_keys").write_text(Path(sshd["identity_file"] + ".pub").read_text())
    subprocess.run(["chown", "-R", f"{name}:", str(home / ".ssh")], check=True)
    yield {**sshd, "user": name}
    if made:
        subprocess.run(["userdel", "-r", name], capture_output=True)


def ssh_yaml(settings: dict) -> str:
    options = ", ".join(f"'{o}'" for o in settings["options"])
    return (f"{{host: {settings['host']}, user: {settings['user']}, port: {settings['port']}, "
            f"identity_file: {settings['identity_file']}, options: [{options}]}}")


@pytest.fixture(scope="session")
def cups_queue():
    """A CUPS queue that prints to PDF files (cups-pdf): its name and the folder its PDFs land in."""
    if not shutil.which("lpadmin") or not shutil.which("lp"):
        _unavailable("CUPS", "cups is not installed")
    if not os.path.exists("/usr/lib/cups/backend/cups-pdf"):
        _unavailable("CUPS", "printer-driver-cups-pdf is not installed")
    if subprocess.run(["lpstat", "-r"], capture_output=True, text=True).stdout.strip() != "scheduler is running":
        if os.geteuid() != 0:
            _unavailable("CUPS", "the scheduler is not running")
        subprocess.run(["cupsd"], check=False)
        for _ in range(50):
            if subprocess.run(["lpstat", "-r"], capture_output=True, text=True).stdout.strip() == "scheduler is running":
                break
            time.sleep(0.1)
    queue = "dse-test-pdf"
    if subprocess.run(["lpstat", "-p", queue], capture_output=True).returncode != 0:
        ppd = next((line.split()[0] for line in subprocess.run(["lpinfo", "-m"], capture_output=True,
                                                                 text=True).stdout.splitlines() if "CUPS-PDF" in line), None)
        made = subprocess.run(["lpadmin", "-p", queue, "-E", "-v", "cups-pdf:/", *(["-m", ppd] if ppd else [])],
                              capture_output=True, text=True)
        if made.returncode != 0:
            _unavailable("CUPS", f"cannot add the queue: {made.stderr.strip()}")
    import pwd

    yield queue, Path(pwd.getpwuid(os.getuid()).pw_dir) / "PDF"  # cups-pdf's `Out ${HOME}/PDF`: the passwd home


# ------------------------------------------------------------------ waiting for a condition, never a time

def _deadline(timeout: float, what: str):
    """A check to call between polls: it ends a test that would hang, and says what never came (`what` may be
    a function: what it says then, the state found at the end)."""
    end = time.monotonic() + timeout

    def check() -> None:
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what() if callable(what) else what}")
    return check


def wait_until(condition, timeout: float = 120.0, interval: float = 0.02, what: str = "the condition"):
    """Poll `condition` until it is truthy (and return it). A loaded CI machine is slow, not wrong: the
    timeout is only there to end a test that would hang."""
    check = _deadline(timeout, what)
    while not (value := condition()):
        check()
        time.sleep(interval)
    return value


async def pilot_until(pilot, condition, timeout: float = 120.0, what: str = "the condition"):
    """wait_until for a Textual Pilot: the app keeps running between the polls."""
    check = _deadline(timeout, what)
    while not (value := condition()):
        check()
        await pilot.pause(0.02)
    return value


def tables_measured(screen) -> bool:
    """Every table on the screen has measured the rows it was given: a DataTable sizes its columns and its
    height when the app is next idle, which on a loaded machine can come after a pilot's pause."""
    from textual.widgets import DataTable

    return all(t.virtual_size.height >= t.row_count + (1 if t.show_header else 0) for t in screen.query(DataTable))


def shown(app, screen: type) -> bool:
    """The app's top screen is a `screen`, mounted: what it builds in on_mount is there."""
    return isinstance(app.screen, screen) and app.screen.is_mounted


def media_listed(app) -> bool:
    """The media screen is up and has read the inventory (in its thread) into its table."""
    from dse_tui.ui.screens.media_screen import MediaScreen

    return shown(app, MediaScreen) and app.screen.loaded


def dashboard_shown(app) -> bool:
    """The dashboard is up, its widgets mounted. It is the app's first screen, mounted once Textual has
    started: a pilot may run before it is (snap_compare's run_before does)."""
    from dse_tui.ui.screens.dashboard import DashboardScreen

    return shown(app, DashboardScreen)


def detail_follows_cursor(app) -> bool:
    """The dashboard's detail pane shows the repository under the cursor: it follows once the cursor rests."""
    if not dashboard_shown(app):
        return False
    status = app.screen.selected()
    return status is not None and status.repository.name in str(app.screen.query_one("#detail #title").render())


def text_of(widget) -> str:
    """What a Static says now (its content as given: markup, Text or a string), as plain text."""
    content = widget.content
    return getattr(content, "plain", str(content))


async def dismissed(pilot, dialog: type) -> None:
    """The dialog (a screen class) has closed, and what it answered has reached the screen below it: the
    callback is queued before the dialog leaves, and a pause lets the queues empty."""
    await pilot_until(pilot, lambda: not isinstance(pilot.app.screen, dialog), what=f"the {dialog.__name__} to close")
    await pilot.pause()


class Gate:
    """A slow step held until the test lets it go: where it ran, and whether it is held now."""

    def __init__(self):
        self.entered, self.released, self.threads = threading.Event(), threading.Event(), []

    def hold(self) -> None:
        self.threads.append(threading.current_thread())
        self.entered.set()
        self.released.wait(timeout=30)  # a UI thread held here freezes the test: it then fails, not hangs

    def off_the_ui_thread(self) -> bool:
        return bool(self.threads) and threading.main_thread() not in self.threads


class Notices(list):
    """Every notification an app posts, kept as it is posted (the app's own list forgets them as they
    expire, which a slow machine may let happen before a test looks): pass `hook` as run_test's
    message_hook."""

    def hook(self, message) -> None:
        from textual.notifications import Notify

        if isinstance(message, Notify):
            self.append(message.notification.message)


@pytest.fixture(autouse=True)
def _english_until_told():
    """The active language is the process's: a test that speaks Spanish must not leave the next one so."""
    from dse_tui.core.common.fmt import set_language

    set_language("en")
    yield

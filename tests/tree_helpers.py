"""File trees as servers have them (read-only folders, hard links, symbolic links, a FIFO, a socket, files
nobody may read, times to the nanosecond), what is on disk of one, and the user nobody to run dse-tui and
tar as someone who is not root (the tests run as root on CI).

A stand-in such as root without capabilities will not do: GNU tar asks whether it runs as uid 0 and, if
so, makes a read-only folder read-only at once instead of after its contents."""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import sys
import sysconfig
import tempfile
from collections import defaultdict
from pathlib import Path

NOBODY = pwd.getpwnam("nobody")
RO_FOLDERS = ("a-ro/inner-ro", "a-ro")  # deepest first: a folder's contents are made before it is locked


def _write(root: Path, rel: str, data: bytes | str = b"", mode: int = 0o644) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    path.chmod(mode)


def fidelity_tree(root: Path, *, unreadable: int = 0, with_socket: bool = True) -> None:
    """A tree of what GNU tar must bring back as it was, then every entry's time set apart (to the
    nanosecond, folders too)."""
    root.mkdir(parents=True)
    _write(root, "docs/guide.txt", "ñandú\n" * 200)
    _write(root, "docs/deep/table.csv", "a,b\n1,2\n")
    _write(root, "bin/run.sh", "#!/bin/sh\necho hola\n", 0o755)
    _write(root, "private/key.pem", "not a key\n", 0o600)
    (root / "private").chmod(0o700)
    _write(root, "a-ro/f.txt", "in a read-only folder\n", 0o444)
    _write(root, "a-ro/inner-ro/g.txt", "deeper\n", 0o444)
    _write(root, "data.bin", os.urandom(200_000))
    os.link(root / "data.bin", root / "docs/data-again.bin")  # three names of one file, across folders,
    os.link(root / "data.bin", root / "a-ro/data-ro.bin")  # one in a read-only folder
    (root / "links").mkdir()
    os.symlink("../docs/guide.txt", root / "links/guide")
    os.symlink("nowhere", root / "links/dangling")
    os.symlink("../docs", root / "links/docs-dir")
    os.mkfifo(root / "pipe")
    (root / "pipe").chmod(0o640)
    (root / "empty").mkdir()
    for i in range(unreadable):
        _write(root, f"secrets/s{i:02d}.key", "secret\n", 0o000)
    if with_socket:
        make_socket(root / "app.sock")
    for folder in RO_FOLDERS:
        (root / folder).chmod(0o555)
    _set_times(root)


def make_socket(path: Path) -> None:
    # A socket's path must be short (108 bytes): bound in a short folder, then moved into the tree.
    short = Path(tempfile.mkdtemp(prefix="s", dir="/tmp"))
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(short / "s"))
    os.rename(short / "s", path)
    short.rmdir()


def _set_times(root: Path) -> None:
    paths = sorted((p for p in root.rglob("*")), key=lambda p: -len(p.parts))
    base = 1_500_000_000 * 10**9
    for i, path in enumerate([*paths, root]):
        t = base + i * 86_400 * 10**9 + 123_456_789 + i  # days apart, nanoseconds that all count
        os.utime(path, ns=(t, t), follow_symlinks=False)


def _kind(mode: int) -> str:
    return {stat.S_IFDIR: "dir", stat.S_IFLNK: "symlink", stat.S_IFREG: "file", stat.S_IFIFO: "fifo",
            stat.S_IFCHR: "char", stat.S_IFBLK: "block", stat.S_IFSOCK: "socket"}[stat.S_IFMT(mode)]


def snapshot(root: Path, *, skip: set[str] = frozenset(), owners: bool = False) -> tuple[dict, list]:
    """Every entry of a tree as (type, mode, mtime in ns, owner, content's SHA-256 or link target), the
    tree's own folder as ".", and its hard links as the groups of paths that share an inode."""
    entries, inodes = {}, defaultdict(list)
    paths = [root, *root.rglob("*")]
    for path in paths:
        rel = "." if path == root else path.relative_to(root).as_posix()
        if rel in skip:
            continue
        st = os.lstat(path)
        kind = _kind(st.st_mode)
        detail = (hashlib.sha256(path.read_bytes()).hexdigest() if kind == "file"
                  else os.readlink(path) if kind == "symlink"
                  else (os.major(st.st_rdev), os.minor(st.st_rdev)) if kind in ("char", "block") else None)
        entries[rel] = (kind, None if kind == "symlink" else f"{stat.S_IMODE(st.st_mode):04o}", st.st_mtime_ns,
                        (st.st_uid, st.st_gid) if owners else None, detail)
        if kind != "dir" and st.st_nlink > 1:
            inodes[(st.st_dev, st.st_ino)].append(rel)
    return entries, sorted(sorted(group) for group in inodes.values())


def differences(source: tuple[dict, list], copy: tuple[dict, list]) -> list[str]:
    """What differs between two snapshots, in words (an empty list when nothing does)."""
    (want, want_links), (got, got_links) = source, copy
    out = [f"{p}: missing" for p in want if p not in got] + [f"{p}: extra" for p in got if p not in want]
    out += [f"{p}: {got[p]} where the source has {want[p]}" for p in want if p in got and got[p] != want[p]]
    if got_links != want_links:
        out.append(f"hard links {got_links} where the source has {want_links}")
    return out


def as_nobody(argv: list[str], env: dict[str, str] | None = None) -> list[str]:
    """`argv` as the user nobody (the tests run as root), or as it is for a user who is not root."""
    extra = [f"{k}={v}" for k, v in (env or {}).items()]
    if os.geteuid() != 0:
        return ["env", *extra, *argv]
    return ["setpriv", f"--reuid={NOBODY.pw_uid}", f"--regid={NOBODY.pw_gid}", "--clear-groups", "env", *extra,
            *argv]


def give_to_nobody(tree: Path) -> None:
    if os.geteuid() != 0:
        return
    os.lchown(tree, NOBODY.pw_uid, NOBODY.pw_gid)
    for path in tree.rglob("*"):
        os.lchown(path, NOBODY.pw_uid, NOBODY.pw_gid)


def python_for_nobody(folder: Path) -> tuple[str, dict[str, str]]:
    """An interpreter with dse-tui's packages that nobody can run, and the environment it needs: this one,
    or, where no other user may read it (pyenv under /root), a twin in `folder` of the interpreter, its
    standard library and the packages dse-tui needs, hard-linked (copied across filesystems), and told
    where its libpython is."""
    probe = subprocess.run(as_nobody([sys.executable, "-c", "import yaml, textual"]), capture_output=True)
    if probe.returncode == 0:
        return sys.executable, {}
    if sys.prefix != sys.base_prefix:
        raise RuntimeError(f"nobody cannot run {sys.executable}, and a virtual environment's twin is not made here")
    prefix, twin = Path(sys.prefix), folder / "python"
    paths = sysconfig.get_paths()
    stdlib, site = Path(paths["stdlib"]), Path(paths["purelib"])
    files = [Path(sys.executable).resolve(), *(prefix / "lib").glob("libpython*")]
    files += [p for p in stdlib.rglob("*") if p.is_file() and not p.is_relative_to(site)
              and not p.is_relative_to(stdlib / "test")]
    files += [Path(dist.locate_file(f)) for dist in _needed_distributions("dse-tui") + _catalog_client()
              for f in dist.files or ()]
    for path in dict.fromkeys(files):  # two distributions may need one (typing_extensions)
        copy = twin / path.relative_to(prefix)
        copy.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, copy)
        except OSError:
            shutil.copy2(path, copy)
    return str(twin / Path(sys.executable).resolve().relative_to(prefix)), {"LD_LIBRARY_PATH": str(twin / "lib")}


def _catalog_client() -> list:
    """psycopg and what it needs, when the test's catalogs are on PostgreSQL (an extra dse-tui does not ask)."""
    from importlib import metadata

    from tests.pg_catalogs import ON_POSTGRESQL

    if not ON_POSTGRESQL:
        return []
    names = [n for n in ("psycopg", "psycopg-binary") if _installed(n)]
    return [metadata.distribution(n) for n in names] + [d for n in names for d in _needed_distributions(n)]


def _installed(name: str) -> bool:
    from importlib import metadata

    try:
        metadata.distribution(name)
        return True
    except metadata.PackageNotFoundError:
        return False


def _needed_distributions(name: str) -> list:
    """The installed distributions `name` requires, at any depth (not its own: tests import it from here)."""
    from importlib import metadata

    seen, todo, found = {name.lower()}, [name], []
    while todo:
        for requirement in metadata.requires(todo.pop()) or ():
            dependency = re.match(r"[A-Za-z0-9._-]+", requirement).group().lower()
            if "extra ==" in requirement or dependency in seen:
                continue
            seen.add(dependency)
            try:
                found.append(metadata.distribution(dependency))
            except metadata.PackageNotFoundError:  # for another platform or Python
                continue
            todo.append(dependency)
    return found


def plain_tar_extract(part: Path, into: Path) -> subprocess.CompletedProcess:
    """The README's restore by hand, `zstd -dc PART | tar -xf -`, as nobody with the usual umask, into a new
    folder of theirs."""
    into.mkdir()
    if os.geteuid() == 0:
        shutil.chown(into, NOBODY.pw_uid, NOBODY.pw_gid)
    data = subprocess.run(["zstd", "-dc", str(part)], capture_output=True, check=True).stdout
    return subprocess.run(as_nobody(["sh", "-c", f"umask 022 && tar -xf - -C {into}"]), input=data,
                          capture_output=True)


def world_folder() -> Path:
    """A new folder under /tmp that nobody can reach (pytest's own are root's only), removed by the caller."""
    folder = Path(tempfile.mkdtemp(prefix="dse-tree-", dir="/tmp"))
    folder.chmod(0o755)
    return folder


def remove(folder: Path) -> None:
    """A folder removed with its read-only folders (made writable first, as nobody's would need)."""
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(folder, ignore_errors=True)


class Nobody:
    """dse-tui and tar run as the user nobody, in a folder of theirs (`folder`, removed by `close`)."""

    def __init__(self, python: str, env: dict[str, str]):
        from tests.conftest import ROOT

        self.folder = world_folder()
        give_to_nobody(self.folder)
        self.python = python
        # The test's own path first: under DSE_TEST_CATALOG=postgresql it holds what opens the test's catalogs.
        path = os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p)
        self.env = {**env, "PYTHONPATH": path, "HOME": str(self.folder),
                    **{f"XDG_{d}_HOME": str(self.folder / f".{d.lower()}") for d in ("CACHE", "CONFIG", "DATA")}}

    def dse(self, profile, *args: str) -> subprocess.CompletedProcess:
        """`dse-tui ARGS --json --profile P` as nobody (give_to_nobody the profile's folder first)."""
        argv = [self.python, "-m", "dse_tui", *args, "--json", "--profile", str(profile.file)]
        return subprocess.run(as_nobody(argv, self.env), capture_output=True, text=True, cwd=self.folder)

    def close(self) -> None:
        remove(self.folder)

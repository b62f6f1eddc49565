"""A run's contents from its per-file manifest: a tree to browse, each folder's children listed only when
asked for, its size and number of files summed, and a search by name or path.

A web tree has a hundred thousand entries, and the console must show its top at once: json.loads of each
line costs more than the whole budget. The manifest's entries are written one to a line by dse-tui's own
writers (verification/manifest.py), so the index reads the file once and takes its columns with a few
regular expressions run in C: the paths, the types, the sizes. Anything else (an older manifest, a line
these do not read) is read entry by entry, slower and the same.

The entries are kept sorted by their path with "/" as the lowest character: each folder is then followed
by everything under it, so a folder's size is a difference of two running sums and its descendants one
bisection away, for a folder the manifest lists itself and for one it does not (only things under it)."""

from __future__ import annotations

import fnmatch
import json
import re
from bisect import bisect_left
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from dse_tui.core.verification.manifest import Entries, VerifyFailed, load_manifest
from dse_tui.core.texts import Told

_STRING = rb'[^"\\]*(?:\\.[^"\\]*)*'  # a JSON string's text, escapes and all
_PATH = re.compile(rb'\{"path":"(' + _STRING + rb')"')
# The local writer's line (tarstream._file_line and _line), read in one pass.
_LOCAL = re.compile(rb'\{"path":"(' + _STRING + rb')","mode":"\d+","mtime":-?\d+,"mtime_ns":-?\d+,"uid":\d+,'
                    rb'"gid":\d+,"type":"(\w+)"(?:,"size":(\d+))?')
_TYPE_SIZE = re.compile(rb'"type":"(\w+)"(?:,"size":(\d+))?')  # the local writer's order
_SIZE = re.compile(rb'"size":(\d+)')
_TAIL = b"\n]}\n"
SEARCH_LIMIT = 500


class ContentsError(Told):
    """The run's contents cannot be listed; the message says why."""


@dataclass(frozen=True)
class Node:
    path: str  # relative to the tree's root; "" is the root
    kind: str  # the manifest's type: file, dir, symlink, hardlink…; a folder not listed itself is "dir"
    size: int  # a file's bytes; a folder's: the bytes of every file under it
    files: int  # a folder's: the files under it, at any depth
    listed: bool = True  # False: a folder the manifest does not list, only what is under it

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2] if self.path else ""

    @property
    def is_dir(self) -> bool:
        return self.kind == "dir"


class Contents:
    """The entries of one run, sorted by path. `paths` and `kinds` (the manifest's types, as bytes) are
    parallel lists, `sizes` the files' sizes (0 for the rest)."""

    def __init__(self, paths: list[str], kinds: list[bytes], sizes, *, listed: bool = True):
        order = sorted(range(len(paths)), key=paths.__getitem__)  # nearly linear: the writers sort names
        if order != list(range(len(order))):
            sizes = list(sizes)
            paths, kinds, sizes = [paths[k] for k in order], [kinds[k] for k in order], [sizes[k] for k in order]
        self._set(paths, kinds, list(accumulate(sizes, initial=0)),
                  list(accumulate(map(b"file".__eq__, kinds), initial=0)), listed)

    def _set(self, paths: list[str], kinds: list[bytes], bytes_before, files_before, listed: bool) -> None:
        """`bytes_before[i]`, `files_before[i]`: the bytes and the files of the entries before the i-th (one
        more than the entries: the last is the total)."""
        self.paths, self.kinds = paths, kinds
        self.listed = listed  # False: the run's manifest lists no files (a database dump, a manual session)
        self._bytes, self._files = bytes_before, files_before
        self._lowered: list[str] | None = None

    @classmethod
    def of(cls, paths: list[str], kinds: list[bytes], bytes_before, files_before, listed: bool = True) -> "Contents":
        """Contents already sorted and summed (contents_index.py's file)."""
        contents = cls.__new__(cls)
        contents._set(paths, kinds, bytes_before, files_before, listed)
        return contents

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def root(self) -> Node:
        return Node("", "dir", self._bytes[-1], self._files[-1])

    def _under(self, path: str, lo: int = 0) -> tuple[int, int]:
        """The range of the entries under `path` (the root: all): in sorted order, those that begin with
        "path/" are together, "path0" the first after them."""
        if not path:
            return 0, len(self.paths)
        return bisect_left(self.paths, path + "/", lo), bisect_left(self.paths, path + "0", lo)

    def _folder(self, path: str, listed: bool) -> Node:
        lo, hi = self._under(path)
        return Node(path, "dir", self._bytes[hi] - self._bytes[lo], self._files[hi] - self._files[lo], listed)

    def _node(self, i: int) -> Node:
        kind = self.kinds[i]
        if kind == b"dir":
            return self._folder(self.paths[i], True)
        return Node(self.paths[i], kind.decode(), self._bytes[i + 1] - self._bytes[i], 0)

    def node(self, path: str) -> Node | None:
        """The file or folder at `path`, None when the run does not have it."""
        path = path.strip("/")
        if not path:
            return self.root
        i = bisect_left(self.paths, path)
        if i < len(self.paths) and self.paths[i] == path:
            return self._node(i)
        lo, hi = self._under(path, i)
        return self._folder(path, False) if lo < hi else None

    def children(self, path: str = "") -> list[Node]:
        """What is directly in the folder `path`: folders first, then the rest, each by name."""
        lo, hi = self._under(path)
        prefix = f"{path}/" if path else ""
        found: list[Node] = []
        folders: set[str] = set()
        i = lo
        while i < hi:
            rest = self.paths[i][len(prefix):]
            name, under, _ = rest.partition("/")
            if under:  # under a folder, listed before it or not at all (then the folder stands for it)
                if name not in folders:
                    found.append(self._folder(prefix + name, False))
                i = self._under(prefix + name, i)[1]
                continue
            node = self._node(i)
            if node.is_dir:
                folders.add(name)
            found.append(node)
            i += 1
        found.sort(key=lambda n: (not n.is_dir, n.name))
        return found

    def search(self, query: str, limit: int = SEARCH_LIMIT) -> tuple[list[Node], int]:
        """Entries whose name or path holds `query` (case-insensitive; * ? [ ] as in a shell, against the
        name, or the path when the pattern has a "/"): those whose name matches first. Returns at most
        `limit` of them and how many matched in all."""
        query = query.strip().lower()
        if not query:
            return [], 0
        if self._lowered is None:
            self._lowered = [p.lower() for p in self.paths]
        lowered = self._lowered
        if any(c in query for c in "*?["):
            match = re.compile(fnmatch.translate(query), re.S).match
            if "/" in query:
                hits = [i for i, p in enumerate(lowered) if match(p)]
            else:
                hits = [i for i, p in enumerate(lowered) if match(p.rpartition("/")[2])]
            by_name = hits
        else:
            hits = [i for i, p in enumerate(lowered) if query in p]
            by_name = [i for i in hits if query in lowered[i].rpartition("/")[2]]
        if len(by_name) < len(hits):
            named = set(by_name)
            hits = by_name + [i for i in hits if i not in named]
        return [self._node(i) for i in hits[:limit]], len(hits)


def open_contents(manifest_path: str | Path) -> Contents:
    """The contents of the run whose manifest is at `manifest_path`; ContentsError when it cannot be read."""
    try:
        manifest = load_manifest(manifest_path)
    except VerifyFailed as exc:
        raise ContentsError(str(exc)) from None
    files = manifest.get("files")
    if files is None:
        return Contents([], [], [], listed=False)
    try:
        if isinstance(files, Entries):
            return _from_lines(files)
        return _from_dicts(files)
    except VerifyFailed as exc:
        raise ContentsError(str(exc)) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ContentsError(f"the manifest {manifest_path} cannot be read: {exc}") from None


def _from_dicts(entries) -> Contents:
    paths, kinds, sizes = [], [], []
    for e in entries:
        paths.append(e["path"])
        kinds.append(e["type"].encode())
        sizes.append(int(e.get("size", 0)) if e["type"] == "file" else 0)
    return Contents(paths, kinds, sizes)


def _decoded(raw: list[bytes]) -> list[str]:
    """The paths as the manifest's JSON strings say them (ASCII, the rest escaped)."""
    paths = b"\n".join(raw).decode().split("\n")  # one decoding: a name has no raw newline in JSON
    for i in (i for i, p in enumerate(paths) if "\\" in p):
        paths[i] = json.loads(f'"{paths[i]}"')
    return paths


def _from_lines(entries: Entries) -> Contents:
    with open(entries.path, "rb") as f:
        f.seek(entries.offset)
        data = f.read()
    if not (data.endswith(_TAIL) or data == _TAIL[1:]):
        raise VerifyFailed("manifest.cut", path=entries.path)
    lines = data.count(b"},\n") + 1 if data != _TAIL[1:] else 0  # every entry but the last ends so
    found = _LOCAL.findall(data)
    if len(found) == lines:
        kinds = [t for _, t, _ in found]
        caught = [s for _, _, s in found]
        if caught.count(b"") == len(caught) - kinds.count(b"file"):
            return Contents(_decoded([p for p, _, _ in found]), kinds, map(int, [s or b"0" for s in caught]))
    raw = _PATH.findall(data)  # another writer's order of keys (the SSH reader's): path, type and size apart
    pairs = _TYPE_SIZE.findall(data)
    if len(raw) != lines or len(pairs) != lines or data.count(b"\n") != lines + 1:
        return _from_dicts(entries)  # not the one-line form read here: every entry parsed (and checked)
    kinds = [t for t, _ in pairs]
    caught = [s for _, s in pairs]
    if caught.count(b"") == len(caught) - kinds.count(b"file"):  # each file's size right after its type
        return Contents(_decoded(raw), kinds, map(int, [s or b"0" for s in caught]))
    found = _SIZE.findall(data)  # elsewhere on the line: in the files' order all the same
    if len(found) != kinds.count(b"file"):
        return _from_dicts(entries)
    sizes = iter(found)
    return Contents(_decoded(raw), kinds, [int(next(sizes)) if k == b"file" else 0 for k in kinds])

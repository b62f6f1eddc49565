"""A run's contents kept as an index file, so that opening them again costs a read and two splits rather
than the manifest's hundred thousand lines taken apart (a quarter of a second on this machine's Python).

The file is a cache, nothing more: named by the run and the SHA-256 of its manifest (the catalog's), so a
manifest rewritten or another run's is never read through it; written to a temporary name and renamed; and
anything it does not hold as written (cut short, another format) is read from the manifest again.

    {"format":"dse-tui-contents/1","entries":N,"paths":P,"kinds":K}\\n   then P bytes of paths (UTF-8, one
    to a line), K bytes of types (one to a line), and two arrays of N+1 signed 64-bit integers: the bytes
    and the files before each entry."""

from __future__ import annotations

import json
import os
import threading
from array import array
from pathlib import Path

from dse_tui.core.restore.contents import Contents, open_contents

FORMAT = "dse-tui-contents/1"


def index_path(folder: Path, run_id: int, manifest_sha256: str) -> Path:
    return folder / f"r{run_id}-{manifest_sha256[:16]}.idx"


def run_contents(storage_root: Path, run) -> Contents:
    """A run's contents, its index kept under the storage root's .contents/ (a run whose manifest's hash the
    catalog lacks is read from its manifest every time)."""
    index = index_path(storage_root / ".contents", run.id, run.sha256) if run.sha256 else None
    return contents_of(run.manifest or "", index)


def contents_of(manifest: str | Path, index: Path | None) -> Contents:
    """The run's contents: from its index file when there is one, else from the manifest, then written to
    `index` for the next time (when it can be: a read-only storage is read every time)."""
    if index is not None:
        try:
            return read_index(index)
        except (OSError, ValueError, KeyError, EOFError):
            pass
    contents = open_contents(manifest)
    if index is not None and contents.listed:
        try:
            write_index(index, contents)
        except OSError:
            pass
    return contents


def write_index(path: Path, contents: Contents) -> None:
    paths = "\n".join(contents.paths).encode("utf-8", "surrogatepass")
    kinds = b"\n".join(contents.kinds)
    head = json.dumps({"format": FORMAT, "entries": len(contents), "paths": len(paths), "kinds": len(kinds)})
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f"{path.name.split('-')[0]}-*.idx"):  # the same run's, of another manifest
        stale.unlink(missing_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")  # two threads may write it
    with open(temporary, "wb") as f:
        f.write(head.encode() + b"\n" + paths + kinds)
        array("q", contents._bytes).tofile(f)
        array("q", contents._files).tofile(f)
    os.replace(temporary, path)


def read_index(path: Path) -> Contents:
    with open(path, "rb") as f:
        head = json.loads(f.readline())
        if head.get("format") != FORMAT:
            raise ValueError(f"{path} is not a contents index")
        n = head["entries"]
        paths, kinds = f.read(head["paths"]), f.read(head["kinds"])
        before_bytes, before_files = array("q"), array("q")
        before_bytes.fromfile(f, n + 1)  # EOFError when cut short
        before_files.fromfile(f, n + 1)
        if f.read(1):
            raise ValueError(f"{path} is longer than it says")
    if len(paths) != head["paths"] or len(kinds) != head["kinds"]:
        raise ValueError(f"{path} is cut short")
    names = paths.decode("utf-8", "surrogatepass").split("\n") if n else []
    types = kinds.split(b"\n") if n else []
    if len(names) != n or len(types) != n:
        raise ValueError(f"{path} does not hold {n} entries")
    return Contents.of(names, types, before_bytes, before_files)

"""`python -m dse_tui.core.drivers.files.tartee MANIFEST`: copy a tar stream from stdin to stdout, writing the
per-file manifest of its members to MANIFEST: {"files": [...], "root": {...} or null}, each entry as the
local tar writer records it (path, type, mode, mtime, owner; size and SHA-256 of files, targets of links)."""

from __future__ import annotations

import hashlib
import json
import sys
import tarfile

from dse_tui.core.drivers.files.tarstream import member_entry


class _Tee:
    def __init__(self, src, dst):
        self.src, self.dst = src, dst

    def read(self, n=-1):
        data = self.src.read(n)
        self.dst.write(data)
        return data


def main(path: str) -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    files, root = [], None
    with tarfile.open(fileobj=_Tee(stdin, stdout), mode="r|") as tar:
        for member in tar:
            entry = member_entry(member)
            if entry["path"] in ("", "."):  # the tree's own folder (`tar -C ROOT .`)
                root = {k: v for k, v in entry.items() if k not in ("path", "type")}
                continue
            if entry["type"] == "file":
                digest = hashlib.sha256()
                f = tar.extractfile(member)
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
                entry |= {"size": member.size, "sha256": digest.hexdigest()}
            files.append(entry)
    while chunk := stdin.read(1 << 20):  # the end-of-archive blocks
        stdout.write(chunk)
    stdout.flush()
    with open(path, "w") as f:
        json.dump({"files": files, "root": root}, f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))

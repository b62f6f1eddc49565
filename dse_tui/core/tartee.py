"""`python -m dse_tui.core.tartee MANIFEST`: copy a tar stream from stdin to stdout, writing the
per-file manifest (path, type, size, mtime, mode, SHA-256) of its members to MANIFEST."""

from __future__ import annotations

import hashlib
import json
import sys
import tarfile


class _Tee:
    def __init__(self, src, dst):
        self.src, self.dst = src, dst

    def read(self, n=-1):
        data = self.src.read(n)
        self.dst.write(data)
        return data


def main(path: str) -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    files = []
    with tarfile.open(fileobj=_Tee(stdin, stdout), mode="r|") as tar:
        for member in tar:
            entry = {"path": member.name.removeprefix("./"), "mode": f"{member.mode:04o}", "mtime": int(member.mtime)}
            if member.isdir():
                files.append({**entry, "type": "dir"})
            elif member.issym():
                files.append({**entry, "type": "symlink", "target": member.linkname})
            elif member.isfile():
                digest = hashlib.sha256()
                f = tar.extractfile(member)
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
                files.append({**entry, "type": "file", "size": member.size, "sha256": digest.hexdigest()})
    while chunk := stdin.read(1 << 20):  # the end-of-archive blocks
        stdout.write(chunk)
    stdout.flush()
    with open(path, "w") as f:
        json.dump([e for e in files if e["path"] not in ("", ".")], f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))

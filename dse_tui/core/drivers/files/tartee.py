"""`python -m dse_tui.core.drivers.files.tartee REPORT ENTRIES`: copy a tar stream from stdin to stdout, writing
the manifest entry of each member to ENTRIES as a JSON line the moment it is read (path, type, mode, mtime,
owner; size and SHA-256 of files, targets of links), as the local tar writer does, and the rest to REPORT
at the end: {"root": {...} or null, "file_count": n, "bytes_read": n}."""

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


def main(report: str, entries: str) -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    root, files, size = None, 0, 0
    with open(entries, "w", encoding="ascii", buffering=1 << 20) as out, \
            tarfile.open(fileobj=_Tee(stdin, stdout), mode="r|") as tar:
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
                files, size = files + 1, size + member.size
            # ASCII JSON: file names that are not UTF-8 (surrogate escapes) must not break the manifest.
            out.write(json.dumps(entry, separators=(",", ":")) + "\n")
    while chunk := stdin.read(1 << 20):  # the end-of-archive blocks
        stdout.write(chunk)
    stdout.flush()
    with open(report, "w") as f:
        json.dump({"root": root, "file_count": files, "bytes_read": size}, f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))

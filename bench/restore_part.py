"""One file restored from a files run of 2 GiB, against the plain tools doing it by hand:
`zstd -dc ARTIFACT | tar -xf - PATH`. Not a test: run it by hand.

    python bench/restore_part.py [--size-gib 2] [--rounds 5]

Both read the whole archive (a tar in one zstd stream has no index: the file is found by reading up to it,
and tar reads on to the end, as it cannot know the name does not come again); the target ratio is 1.1x.
dse-tui also checks the manifest against the catalog, extracts into a staging folder, holds the file to its
manifest entry (SHA-256, mode, time) and moves it into place; it does not read the artifact a second time
for its checksum (restore/run.py): the restored file's own SHA-256 stands for it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Bench, measured, shell  # noqa: E402
from dse_tui.core.catalog import Catalog  # noqa: E402
from dse_tui.core.engine.runner import run_repository  # noqa: E402
from dse_tui.core.profile.config import load_profile  # noqa: E402
from dse_tui.core.restore.run import plan, restore  # noqa: E402

FILE = 16 << 20


def make_tree(root: Path, size: int) -> list[str]:
    """Files of 16 MiB in folders of 16, half of each random and half text (a tree that compresses about
    two to one, as a web site's or a file server's does)."""
    text = (b"<p>Departamento de Servicios Electr\xc3\xb3nicos: horario, aulas y avisos.</p>\n" * 200_000)
    names = []
    for i in range(max(1, size // FILE)):
        rel = f"d{i // 16:03d}/f{i:04d}.bin"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        with open(root / rel, "wb") as f:
            f.write(os.urandom(FILE // 2))
            f.write(text[:FILE - FILE // 2])
        names.append(rel)
    return names


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-gib", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dse-bench-part-", dir="/var/tmp") as tmp:
        tmp = Path(tmp)
        (tmp / "src").mkdir()
        names = make_tree(tmp / "src", int(args.size_gib * (1 << 30)))
        wanted = names[len(names) // 2]  # in the middle of the archive
        (tmp / "profile.yaml").write_text("""site: {id: bench, name: Bench}
storage: {root: ./backups, catalog: ./catalog.sqlite, compression_level: 1}
repositories: [{id: data, kind: config, driver: files, source: {path: ./src}, copies: 0}]
""")
        profile = load_profile(tmp / "profile.yaml", cache=False)
        outcome = run_repository(profile, profile.repository("data"))
        assert outcome.state == "good", outcome.message
        artifact = Path(outcome.artifact) / "data.tar.zst"
        PLAIN, OURS = "zstd -dc | tar -xf - PATH", "dse-tui restore --path"
        out = {PLAIN: tmp / "out-plain", OURS: tmp / "out-dse"}

        def fresh(name: str) -> None:
            shutil.rmtree(out[name], ignore_errors=True)
            out[name].mkdir()

        with Catalog(profile.catalog_path) as catalog:
            run = catalog.run(outcome.run_id)

            def ours() -> None:
                result = restore(profile, catalog, plan(profile, run, str(out[OURS]), parts=[wanted]),
                                 force=True)
                assert result.outcome == "done", result.message

            with Bench(f"restore of one 16 MiB file from a files run of {outcome.size / (1 << 30):.2f} GiB "
                       f"({args.size_gib:g} GiB of files)") as b:
                samples = b.alternate({
                    PLAIN: shell(f"zstd -dc {artifact} | tar -xf - -C {out[PLAIN]} {wanted}"),
                    OURS: measured(ours),
                }, rounds=args.rounds, before_each=fresh)
                b.ratio("dse-tui / plain tools, wall", samples[OURS], samples[PLAIN], target="<= 1.1x")
                b.ratio("dse-tui / plain tools, CPU", samples[OURS], samples[PLAIN], key="cpu")
        same = (out[PLAIN] / wanted).read_bytes() == (out[OURS] / wanted).read_bytes()
        print(f"  the two restored files are {'identical' if same else 'DIFFERENT'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

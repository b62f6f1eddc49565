"""A run's process for the dashboard's tests (`python -m tests.phase_worker PROFILE REPO`, in place of
core/engine/worker.py): it reports each phase of a run with figures the test knows, and moves to the next
phase only once the test has made the file `<DSE_TEST_PHASES>/<n>`, so the test sees each phase as long as
it needs. SIGTERM ends it at once."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

from dse_tui.core.engine.outcome import RunOutcome, RunProgress

MIB, GIB = 1 << 20, 1 << 30
# (phase, destination, done, total, phase_elapsed, expected_seconds)
PHASES = (
    ("backup", None, 600 * MIB, GIB, 10.0, None),
    ("read-back", None, 300 * MIB, 600 * MIB, 4.0, None),
    ("verify", None, 300 * MIB, None, 30.0, 120.0),
    ("copy", "shelf-disk", 150 * MIB, 600 * MIB, 3.0, None),
)


def main() -> int:
    steps = Path(os.environ["DSE_TEST_PHASES"])
    repo = sys.argv[2]
    elapsed = 0.0
    for n, (phase, destination, done, total, phase_elapsed, expected_seconds) in enumerate(PHASES):
        elapsed += phase_elapsed
        progress = RunProgress(repo, 600 * MIB, GIB, elapsed, phase, done, total, phase_elapsed, destination,
                               expected_seconds)
        print(json.dumps({"progress": asdict(progress)}), flush=True)
        while not (steps / str(n)).exists():  # the test's word that it has seen this phase
            time.sleep(0.01)
    print(json.dumps({"outcome": asdict(RunOutcome(repo, None, "good", size=600 * MIB))}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

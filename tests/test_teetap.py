"""The plaintext tap hashed through tee(2)/splice(2): the same size, SHA-256 and head as a plain copy,
with no copy of the stream through Python on its way to the next stage."""

from __future__ import annotations

import hashlib
import io

import pytest

from dse_tui.core.engine import pipeline, teetap
from dse_tui.core.engine.pipeline import Stage, stream

pytestmark = pytest.mark.skipif(not teetap.available(), reason="tee(2) and splice(2) are Linux-only")

SIZE = 9 << 20  # several times the 1 MiB pipes


def test_a_tapped_stream_is_relayed_kernel_side_and_hashed_whole(tmp_path, monkeypatch):
    data = bytes(range(256)) * (SIZE // 256) + b"tail"
    src = tmp_path / "plain"
    src.write_bytes(data)
    used = []

    def spy(*args):
        used.append(True)
        return real(*args)

    real = teetap.relay
    monkeypatch.setattr(teetap, "relay", spy)
    out = io.BytesIO()
    result = stream([Stage(["cat", str(src)], tap=True), Stage(["cat"])], out, sync=False)
    assert result.ok, result.failure()
    assert used, "the tee relay was not used"
    assert out.getvalue() == data
    assert result.tap.size == len(data)
    assert result.tap.sha256 == hashlib.sha256(data).hexdigest()
    assert result.tap.head == data[:pipeline.HEAD]


def test_a_next_stage_that_dies_marks_the_tap_broken(tmp_path):
    src = tmp_path / "plain"
    src.write_bytes(b"x" * SIZE)
    result = stream([Stage(["cat", str(src)], tap=True), Stage(["head", "-c", "10"])], io.BytesIO(), sync=False)
    assert result.tap.broken
    assert not result.ok

"""A stream's file that is synced and read back is written past the page cache (engine/directout.py): whole
blocks with O_DIRECT, the last part through the cache; the same bytes, the same read-back, wherever O_DIRECT
is refused too."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import threading
import time

import pytest

from dse_tui.core.engine import directout
from dse_tui.core.engine.pipeline import Stage, stream
from tests.conftest import wait_until

SIZE = 5 * directout.SIZE + 12345  # several whole writes, and a tail that is not a whole block


@pytest.fixture
def source(tmp_path):
    data = os.urandom(SIZE)
    path = tmp_path / "source.bin"
    path.write_bytes(data)
    return path, data


@pytest.fixture
def direct_writes(monkeypatch):
    """(fd is O_DIRECT, bytes) of each pwrite the stream makes."""
    seen = []
    real = os.pwrite

    def spy(fd, data, offset):
        got = real(fd, data, offset)
        seen.append((bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT), got))
        return got

    monkeypatch.setattr(directout.os, "pwrite", spy)
    return seen


def direct_possible(tmp_path) -> bool:
    try:
        os.close(os.open(tmp_path / "probe", os.O_WRONLY | os.O_CREAT | os.O_DIRECT))
        return True
    except OSError:
        return False


def test_the_file_is_written_past_the_page_cache_and_reads_back(tmp_path, source, direct_writes):
    if not direct_possible(tmp_path):
        pytest.skip("this filesystem refuses O_DIRECT (tmpfs?)")
    path, data = source
    with open(tmp_path / "out", "wb") as out:
        result = stream([Stage(["cat", str(path)])], out, read_back=True)
    assert result.ok, result.failure()
    assert (tmp_path / "out").read_bytes() == data
    assert (result.size, result.sha256) == (SIZE, hashlib.sha256(data).hexdigest())
    assert result.read_back == (result.size, result.sha256)
    direct = sum(n for is_direct, n in direct_writes if is_direct)
    assert direct == SIZE - SIZE % directout.ALIGN, direct_writes
    assert sum(n for is_direct, n in direct_writes if not is_direct) == SIZE % directout.ALIGN


def test_where_direct_writes_are_refused_all_goes_through_the_cache(tmp_path, source, direct_writes, monkeypatch):
    path, data = source
    real = os.pwrite

    def refusing(fd, buf, offset):
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(fd, buf, offset)

    monkeypatch.setattr(directout.os, "pwrite", lambda fd, buf, offset: direct_writes.append(0) or refusing(
        fd, buf, offset))
    with open(tmp_path / "out", "wb") as out:
        result = stream([Stage(["cat", str(path)])], out, read_back=True)
    assert result.ok and (tmp_path / "out").read_bytes() == data
    assert result.read_back == (SIZE, hashlib.sha256(data).hexdigest())


def test_a_full_disk_is_the_streams_failure_not_a_fallback(tmp_path, source, monkeypatch):
    path, _ = source

    def full(fd, buf, offset):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(directout.os, "pwrite", full)
    with open(tmp_path / "out", "wb") as out, pytest.raises(OSError) as raised:
        stream([Stage(["cat", str(path)])], out, read_back=True)
    assert raised.value.errno == errno.ENOSPC


def test_a_stream_that_trickles_reaches_its_file_before_it_ends(tmp_path, monkeypatch):
    """Whole blocks do not wait in memory for a megabyte that is slow to come (a tree of sparse files)."""
    if not direct_possible(tmp_path):
        pytest.skip("this filesystem refuses O_DIRECT (tmpfs?)")
    monkeypatch.setattr(directout, "LINGER", 0.1)
    trickle = Stage(["sh", "-c", "head -c 8192 /dev/zero; sleep 0.3; head -c 8192 /dev/zero; sleep 30"])
    cancel = threading.Event()
    done = []
    with open(tmp_path / "out", "wb") as out:
        thread = threading.Thread(target=lambda: done.append(_cancelled(trickle, out, cancel)))
        thread.start()
        try:
            wait_until(lambda: os.path.getsize(tmp_path / "out") >= 16384, timeout=20,
                       what="the first blocks in the file")
        finally:
            cancel.set()
            thread.join()
    assert done == ["cancelled"]


def _cancelled(stage, out, cancel) -> str:
    from dse_tui.core.engine.pipeline import Cancelled

    try:
        stream([stage], out, read_back=True, cancel=cancel)
    except Cancelled:
        return "cancelled"
    return "ended"


# ------------------------------------------------------------------ the read-back compared, not hashed again

def _compared(tmp_path, written: bytes, kept: list[bytes], expected: str = "") -> tuple[int, str]:
    """A ReadBehind in compare mode over a file holding `written`, told the pieces `kept`."""
    from dse_tui.core.engine.readbehind import ReadBehind

    with open(tmp_path / "f", "wb") as f:
        behind = ReadBehind(f.fileno(), window=1 << 20, compare=True)
        done = 0
        for piece in kept:
            behind.kept(piece)
        for at in range(0, len(written), 1 << 20):
            done += os.write(f.fileno(), written[at:at + (1 << 20)])
            behind.wrote(done)
        os.fsync(f.fileno())
        behind.expect(expected or hashlib.sha256(b"".join(kept)).hexdigest())
        return behind.finish(done)


def test_the_bytes_read_back_are_compared_with_those_written(tmp_path):
    data = os.urandom(3 * (1 << 20) + 777)
    pieces = [data[i:i + (1 << 20)] for i in range(0, len(data), 1 << 20)]
    assert _compared(tmp_path, data, pieces) == (len(data), hashlib.sha256(data).hexdigest())
    # pieces that do not fall on the reads' boundaries: compared all the same
    odd = [data[:5000], data[5000:1 << 21], data[1 << 21:]]
    assert _compared(tmp_path, data, odd) == (len(data), hashlib.sha256(data).hexdigest())


def test_a_byte_the_device_returns_otherwise_is_a_read_back_that_differs(tmp_path):
    data = bytearray(os.urandom(2 * (1 << 20) + 100))
    kept = [bytes(data[:1 << 20]), bytes(data[1 << 20:])]
    data[(1 << 20) + 12345] ^= 1
    assert _compared(tmp_path, bytes(data), kept) == (len(data), "")


def test_more_or_less_on_the_device_than_written_differs(tmp_path):
    data = os.urandom(1 << 20)
    assert _compared(tmp_path, data + b"x", [data]) == (len(data) + 1, "")
    assert _compared(tmp_path, data[:-1], [data]) == (len(data) - 1, "")


def test_a_stream_reads_back_by_comparing_and_holds_little(tmp_path, monkeypatch):
    """The stream's own read-back compares (no second SHA-256 of the file), and what it holds waiting to be
    compared stays within HELD windows even when the device reads back slower than the stream writes."""
    if not direct_possible(tmp_path):
        pytest.skip("this filesystem refuses O_DIRECT (tmpfs?)")
    from dse_tui.core.engine import readbehind

    data = os.urandom(16 << 20)
    path = tmp_path / "source.bin"
    path.write_bytes(data)
    held, hashed = [], []
    real_kept, real_init = readbehind.ReadBehind.kept, readbehind.ReadBehind.__init__

    def kept(self, piece):
        real_kept(self, piece)
        held.append(sum(len(p) for p in self._pieces))

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self._digest = type("Spy", (), {"update": lambda _, b: hashed.append(len(b)),
                                        "hexdigest": lambda _: "not compared"})()

    monkeypatch.setattr(readbehind.ReadBehind, "kept", kept)
    monkeypatch.setattr(readbehind.ReadBehind, "__init__", init)
    monkeypatch.setattr(readbehind, "WINDOW", 4 << 20)  # a 1 MiB window when comparing
    real_preadv = os.preadv

    def slow_device(fd, buffers, offset):
        time.sleep(0.005)
        return real_preadv(fd, buffers, offset)

    monkeypatch.setattr(readbehind.os, "preadv", slow_device)
    with open(tmp_path / "out", "wb") as out:
        result = stream([Stage(["cat", str(path)])], out, read_back=True)
    assert result.read_back == (len(data), hashlib.sha256(data).hexdigest())
    assert hashed == [] and held
    assert max(held) <= (readbehind.HELD + 1) << 20, max(held)  # HELD windows and the piece past them

"""A writer process appending and publishing while a reader process
refreshes: the reader never sees a torn record, nor one not yet published."""

import subprocess
import sys
import time

import numpy as np
import recstore

from conftest import VERTEX

BATCH = 1000
BATCHES = 200

WRITER = """
import sys, time, numpy as np, recstore
dt = np.dtype([("position", "<f4", 3), ("color", "<u2", 3)], align=True)
path, batch, batches = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
w = recstore.open_writer(path)
print("ready", flush=True)
for k in range(batches):
    i = np.arange(k * batch, (k + 1) * batch)
    recs = np.zeros(batch, dt)
    recs["position"] = np.stack([i, -i, i * 0.5], axis=1)
    recs["color"] = np.stack([i % 65536, (i >> 16), i % 7], axis=1)
    # in two appends: a reader must never see the first half alone
    w.append(recs[: batch // 2])
    time.sleep(0.001)
    w.append(recs[batch // 2:])
    w.publish()
w.close()
print("done", flush=True)
"""


def check(records: np.ndarray, start: int) -> None:
    i = np.arange(start, len(records))
    part = records[start:]
    np.testing.assert_array_equal(part["position"][:, 0], i.astype(np.float32))
    np.testing.assert_array_equal(part["position"][:, 1], (-i).astype(np.float32))
    np.testing.assert_array_equal(part["position"][:, 2], (i * 0.5).astype(np.float32))
    np.testing.assert_array_equal(part["color"][:, 0], i % 65536)
    np.testing.assert_array_equal(part["color"][:, 1], i >> 16)
    np.testing.assert_array_equal(part["color"][:, 2], i % 7)


def test_a_live_reader_never_sees_torn_or_unpublished_records(tmp_path):
    path = tmp_path / "live.recs"
    recstore.create(path, VERTEX).close()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(BATCH), str(BATCHES)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "ready"
    r = recstore.open(path)
    seen, lengths = 0, set()
    deadline = time.monotonic() + 120
    while seen < BATCH * BATCHES:
        assert time.monotonic() < deadline, "the reader never saw every record"
        assert writer.poll() is None or writer.returncode == 0, writer.stderr.read()
        if not r.refresh():
            time.sleep(0.0005)
            continue
        n = len(r)
        assert n % BATCH == 0, f"saw {n} records: half a batch, never published"
        assert n >= seen
        check(r.records, seen)
        lengths.add(n)
        seen = n
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert out.strip() == "done"
    assert len(lengths) > 1  # the reader followed the writer, not just the end
    r.verify()

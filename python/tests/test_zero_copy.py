"""Zero copy: `records` is a read-only view straight over the file's mapping,
it keeps the mapping alive after `close()`, and opening and summing a 1 GiB
store costs no anonymous memory in proportion to its size."""

import ctypes
import gc
import os

import numpy as np
import pytest
import recstore

from conftest import VERTEX, run_python


def test_records_are_read_only(vertex_store):
    r = recstore.open(vertex_store)
    a = r.records
    assert not a.flags.writeable
    with pytest.raises(ValueError):
        a["color"][0] = 1
    with pytest.raises(ValueError):
        a.flags.writeable = True
    with pytest.raises(TypeError, match="not writable"):  # no writable buffer, whoever asks
        (ctypes.c_char * 20).from_buffer(a.base.obj)
    view = memoryview(a.base.obj)
    assert view.readonly and view.nbytes == 1000 * 20
    with pytest.raises(TypeError):
        view[0:1] = b"x"


def test_records_are_a_view_of_the_mapping_not_a_copy(vertex_store):
    r = recstore.open(vertex_store)
    a = r.records
    # numpy keeps the exported buffer: a memoryview of the store's Mapping
    assert isinstance(a.base.obj, recstore._native.Mapping)
    assert not a.flags.owndata
    # the data region is page-aligned in the file, and so in the mapping
    assert a.__array_interface__["data"][0] % 4096 == 0
    assert r.records is a  # fetched once, not copied again
    assert np.shares_memory(r[10:20], a)


def test_the_array_outlives_close_and_the_reader(vertex_store):
    r = recstore.open(vertex_store)
    a = r.records
    color = r.records["color"][:, 0]
    r.close()
    assert r.closed
    with pytest.raises(ValueError):
        len(r)
    del r
    gc.collect()
    assert int(color.sum()) == sum(range(1000))
    assert a[999]["position"].tolist() == [999.0, 1998.0, 2997.0]


def test_a_writers_records_are_read_only_views(vertex_store):
    with recstore.open_writer(vertex_store) as w:
        a = w.records
        assert not a.flags.writeable
        assert len(a) == 1000
        del a


SUM_1GIB = """
import sys, numpy as np, recstore
def kib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])
path, n = sys.argv[1], int(sys.argv[2])
anon0 = kib("RssAnon:")
file0 = kib("RssFile:")
r = recstore.open(path)
total = int(r.records["color"][:, 0].sum(dtype=np.uint64))
anon1 = kib("RssAnon:")
file1 = kib("RssFile:")
assert len(r) == n
print(total, anon1 - anon0, file1 - file0)
"""


def test_opening_and_summing_1_gib_costs_no_anonymous_memory(tmp_path):
    path = tmp_path / "big.recs"
    mib = int(os.environ.get("RECSTORE_MEMORY_MIB", "1024"))
    n = (mib << 20) // VERTEX.itemsize
    batch = np.zeros(1 << 20, VERTEX)
    batch["color"][:, 0] = 1
    with recstore.create(path, VERTEX, capacity=n) as w:
        left = n
        while left:
            k = min(left, len(batch))
            w.append(batch[:k])
            left -= k
        w.publish()
    out = run_python(SUM_1GIB, path, n)
    assert out.returncode == 0, out.stderr
    total, anon_kib, file_kib = map(int, out.stdout.split())
    assert total == n
    print(f"{mib} MiB store: RssAnon +{anon_kib} KiB, RssFile +{file_kib} KiB")
    assert anon_kib < 8 * 1024, f"opening and summing grew anonymous memory by {anon_kib} KiB"
    # the scan touched the records: they are file pages of the mapping
    assert file_kib > (mib << 10) // 2

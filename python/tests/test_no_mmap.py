"""The read path without a memory mapping: ``recstore.open(path,
mmap=False)`` reads the records into memory and must give the same arrays,
checksums and errors as the mapped path, follow a writer through
``refresh``, and say which path it took in ``info()``."""

import numpy as np
import pytest
import recstore

from conftest import VERTEX


def test_loaded_reader_gives_the_mapped_records(vertex_store):
    mapped = recstore.open(vertex_store)
    loaded = recstore.open(vertex_store, mmap=False)
    assert mapped.info()["read_path"] == "mapped"
    info = loaded.info()
    assert info["read_path"] == "loaded"
    assert info["map_error"] is None
    assert loaded.records.tobytes() == mapped.records.tobytes()
    assert loaded[999]["color"][0] == 999
    # Page-aligned, as a mapping is.
    assert loaded.records.ctypes.data % 4096 == 0
    assert not loaded.records.flags.writeable
    loaded.verify()


def test_a_flipped_byte_is_the_same_checksum_error(vertex_store):
    offset = recstore.open(vertex_store).info()["data_offset"]
    data = bytearray(vertex_store.read_bytes())
    data[offset + 20 * 500 + 1] ^= 1
    vertex_store.write_bytes(bytes(data))
    with pytest.raises(recstore.ChecksumError) as by_map:
        recstore.open(vertex_store).verify()
    with pytest.raises(recstore.ChecksumError) as by_read:
        recstore.open(vertex_store, mmap=False).verify()
    assert str(by_read.value) == str(by_map.value)


def test_refresh_follows_a_writer_and_stays_loaded(vertex_store):
    r = recstore.open(vertex_store, mmap=False)
    held = r.records
    with recstore.open_writer(vertex_store) as w:
        for k in range(5):
            batch = np.zeros(30_000, VERTEX)
            batch["color"][:, 0] = k
            w.append(batch)
            w.publish()
            assert r.refresh()
            assert len(r) == 1000 + 30_000 * (k + 1)
            assert r.info()["read_path"] == "loaded"
    assert len(held) == 1000
    assert int(r.records["color"][-1, 0]) == 4
    r.verify()


def test_a_writer_refuses_to_go_without_a_mapping(vertex_store):
    # (`Error::Unsupported`, an operation this handle cannot do, is a plain
    # recstore.Error; UnsupportedError is a format this build cannot read.)
    with pytest.raises(recstore.Error, match="a writer needs a memory mapping"):
        recstore._native.Store.open(str(vertex_store), True, False)

"""Corruption: a damaged record raises ChecksumError (a CorruptError) from
`verify`, naming the bad record range; a damaged header raises on open."""

import pytest
import recstore


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x40]))


def test_a_damaged_record_fails_verify(vertex_store):
    r = recstore.open(vertex_store)
    r.verify()
    offset = r.info()["data_offset"]
    flip(vertex_store, offset + 20 * 500 + 3)
    r = recstore.open(vertex_store)  # open is O(1): it does not read records
    with pytest.raises(recstore.ChecksumError) as e:
        r.verify()
    assert isinstance(e.value, recstore.CorruptError)
    assert "records 0..1000" in str(e.value)
    assert "restore the file from a copy" in str(e.value)
    assert e.value.path == str(vertex_store)


def test_a_damaged_header_fails_open(vertex_store):
    flip(vertex_store, 20)
    with pytest.raises(recstore.CorruptError, match="corrupt header|superblock"):
        recstore.open(vertex_store)


def test_both_commit_slots_damaged_fail_open(vertex_store):
    # docs/FORMAT.md, format 1.2: each commit slot at the start of its own
    # page, the two pages right before data_offset (here 4096 and 8192)
    flip(vertex_store, 4096 + 8)
    flip(vertex_store, 8192 + 8)
    with pytest.raises(recstore.CorruptError, match="no valid commit"):
        recstore.open(vertex_store)


def test_one_damaged_slot_is_reported_not_silent(vertex_store):
    info = recstore.open(vertex_store).info()
    assert info["recovery"] is None
    flip(vertex_store, 4096 + 8)
    info = recstore.open(vertex_store).info()
    assert info["recovery"] is not None and "slot" in info["recovery"]

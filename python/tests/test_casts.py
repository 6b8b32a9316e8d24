"""Appending converts only without loss: an array numpy casts "safe" to the
store's dtype is converted; anything lossy is refused with LossyCastError
and appends nothing."""

import numpy as np
import pytest
import recstore

from conftest import VERTEX


@pytest.fixture
def writer(tmp_path):
    with recstore.create(tmp_path / "c.recs", VERTEX) as w:
        yield w


def test_a_safe_cast_is_converted(writer):
    wide = np.dtype([("color", "<u1", 3), ("position", "<i2", 3)])  # other order, narrower types
    src = np.zeros(4, wide)
    src["color"] = 200
    src["position"] = -7
    writer.append(src)
    got = writer.records
    assert got["color"].tolist() == [[200] * 3] * 4
    assert got["position"].tolist() == [[-7.0] * 3] * 4
    del got


def test_big_endian_input_is_converted(writer):
    src = np.zeros(2, [("position", ">f4", 3), ("color", ">u2", 3)])
    src["color"] = 513
    writer.append(src)
    assert writer.records["color"][1, 2] == 513


@pytest.mark.parametrize("fields", [
    [("position", "<f8", 3), ("color", "<u2", 3)],   # float64 -> float32
    [("position", "<f4", 3), ("color", "<i4", 3)],   # int32 -> uint16
    [("position", "<f4", 3), ("color", "<i2", 3)],   # signed -> unsigned
    [("position", "<f4", 3), ("color", "<u2", 2)],   # wrong shape
    [("position", "<f4", 3)],                        # a field missing
    [("position", "<f4", 3), ("color", "<u2", 3), ("extra", "<u1")],  # one too many
])
def test_a_lossy_cast_is_refused(writer, fields):
    with pytest.raises(recstore.LossyCastError):
        writer.append(np.zeros(3, fields))
    assert len(writer) == 0


def test_plain_arrays_are_refused(writer):
    with pytest.raises(recstore.LossyCastError):
        writer.append(np.zeros(20, np.uint8))
    with pytest.raises(ValueError):
        writer.append(np.zeros((2, 2), VERTEX))
    assert len(writer) == 0


def test_tuples_are_checked_value_by_value(writer):
    writer.append(((1.5, 2, 3), (1, 2, 65535)))
    assert writer.records[0]["color"].tolist() == [1, 2, 65535]
    for bad in [((1, 2, 3), (1, 2, 65536)),     # out of range
                ((1, 2, 3), (1, 2, -1)),        # negative into unsigned
                ((1, 2, 3), (1.5, 2, 3)),       # a float into an integer
                ((1, 2, 3),)]:                  # a field missing
        with pytest.raises(recstore.LossyCastError):
            writer.append(bad)
    assert len(writer) == 1


def test_a_record_of_the_store_appends_as_is(writer):
    rec = np.zeros(1, VERTEX)[0]
    writer.append(rec)
    writer.append(np.zeros(3, VERTEX)[::2])  # not contiguous: copied once
    assert len(writer) == 3

"""Text and bool fields (type codes 12 and 11) in Python: a store of the
bundled tagged_reading schema reads them as numpy ``S16``/``S3`` (bytes
without the NUL padding) and ``bool``; a dtype with ``S<n>`` and ``?``
fields makes the same schema as the schema file; Arrow gets ``utf8`` and
``bool`` columns, null where the bytes are not text or not a bool."""

import numpy as np
import pyarrow as pa
import pytest
import recstore
from recstore.errors import SchemaError

from conftest import ROOT

TAGGED = ROOT / "schemas/tagged_reading.toml"
GOLDEN = ROOT / "tests/data/v1.2-tagged-reading.recs"


def test_the_golden_file_reads_texts_and_bools():
    with recstore.open(GOLDEN) as r:
        assert r.dtype["label"] == np.dtype("S16")
        assert r.dtype["unit"] == np.dtype("S3")
        assert r.dtype["valid"] == np.dtype("?")
        recs = r.records
        assert recs["label"][0].decode() == "sensor-0"
        assert recs["label"][7] == b"0123456789abcdef"  # fills its room
        assert recs["label"][13].decode() == "Grüße ✓"
        assert recs["unit"][0].decode() == "°C"  # 3 bytes: fills its room
        assert recs["unit"][2] == b""
        assert int(recs["valid"].sum()) == 66


def test_a_dtype_with_bytes_and_bool_fields_is_the_schema_files_schema(tmp_path):
    dt = np.dtype([("timestamp_ns", "<u8"), ("value", "<f4"), ("label", "S16"),
                   ("unit", "S3"), ("valid", "?")])
    with recstore.create(tmp_path / "a.recs", schema=TAGGED) as a:
        assert recstore.schema_of(dt, name="TaggedReading") == a.schema()
        assert a.dtype == dt


def test_text_is_written_nul_padded_and_read_back(tmp_path):
    path = tmp_path / "t.recs"
    with recstore.create(path, schema=TAGGED) as w:
        recs = np.zeros(2, w.dtype)
        recs["label"] = ["pump".encode(), "ÄÖÜäöüßé".encode()]
        recs["valid"] = [True, False]
        w.append(recs)
    raw = path.read_bytes()
    with recstore.open(path) as r:
        assert r.records["label"][1].decode() == "ÄÖÜäöüßé"
        assert r.records["valid"].tolist() == [True, False]
        offset = r.info()["data_offset"]
    assert raw[offset + 12:offset + 28] == b"pump" + bytes(12)


def test_an_array_of_byte_strings_is_refused():
    with pytest.raises(SchemaError, match="one text per field"):
        recstore.schema_of(np.dtype([("labels", "S4", 2)]))


def test_arrow_has_utf8_and_bool_columns_with_nulls_for_bad_bytes(tmp_path):
    path = tmp_path / "t.recs"
    with recstore.create(path, schema=TAGGED) as w:
        recs = np.zeros(3, w.dtype)
        recs["label"] = [b"ok", b"ab\xff", b"x"]
        recs["unit"] = [b"K", b"K", b"Pa"]
        # A bool byte of 2, as a foreign writer might leave it.
        recs.view("u1").reshape(3, 32)[2, 31] = 2
        w.append(recs)
    with recstore.open(path) as r:
        table = pa.table(r)
    assert table.schema.field("label").type == pa.utf8()
    assert table.schema.field("valid").type == pa.bool_()
    assert table.column("label").to_pylist() == ["ok", None, "x"]
    assert table.column("valid").to_pylist() == [False, False, None]

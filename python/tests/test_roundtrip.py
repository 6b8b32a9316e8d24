"""Round trips: every bundled schema, created from its schema file and from a
numpy dtype, written from Python and read back bit for bit; a dtype maps to
the same schema and fingerprint as the equivalent Rust type."""

from pathlib import Path

import numpy as np
import pytest
import recstore

from conftest import ROOT, SCHEMAS, VERTEX, assert_same_records, random_records


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda p: p.stem)
def test_every_bundled_schema_round_trips(tmp_path, schema):
    path = tmp_path / "s.recs"
    with recstore.create(path, schema=schema) as w:
        data = random_records(w.dtype, 5000)
        w.append(data[:10])
        w.append(data[10])
        w.append(data[11:])
        w.flush()
        assert len(w) == 5000
    with recstore.open(path) as r:
        assert len(r) == 5000
        assert r.dtype.itemsize == r.schema()["stride"]
        assert_same_records(r.records, data)
        r.verify()


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda p: p.stem)
def test_the_dtype_of_a_store_recreates_its_schema(tmp_path, schema):
    with recstore.create(tmp_path / "a.recs", schema=schema) as a:
        with recstore.create(tmp_path / "b.recs", a.dtype) as b:
            assert b.schema() == a.schema()
    assert recstore.schema_of(a.dtype) == a.schema()


def test_padding_is_left_out_of_the_dtype(tmp_path):
    with recstore.create(tmp_path / "a.recs", schema=ROOT / "schemas/colored_vertex.toml") as w:
        assert w.dtype.names == ("position", "color")
        assert w.dtype.itemsize == 20
        assert w.dtype.fields["color"][1] == 12


def test_nested_structs_are_nested_dtypes(tmp_path):
    with recstore.create(tmp_path / "p.recs", schema=ROOT / "schemas/particle.toml") as w:
        assert w.dtype.names == ("position", "velocity", "color", "mass")
        assert w.dtype["position"].names == ("x", "y", "z")
        assert w.dtype.fields["velocity"][1] == 12
        assert w.dtype["color"].itemsize == 4


def test_a_numpy_dtype_has_the_rust_types_fingerprint():
    # tests/data/v1.1-colored-vertex.recs was written by a #[derive(Record)]
    # ColoredVertex { position: [f32; 3], color: [u16; 3], _pad: [u8; 2] }.
    with recstore.open(ROOT / "tests/data/v1.1-colored-vertex.recs") as golden:
        rust = golden.schema()
    assert recstore.schema_of(VERTEX, name=rust["name"]) == rust
    explicit = np.dtype([("position", "<f4", 3), ("color", "<u2", 3), ("_pad", "u1", 2)])
    assert recstore.schema_of(explicit, name=rust["name"]) == rust


def test_big_endian_fields_keep_their_byte_order(tmp_path):
    dt = np.dtype([("a", ">u4"), ("b", "<f8"), ("c", ">i2", 2)], align=True)
    data = random_records(dt, 100)
    with recstore.create(tmp_path / "e.recs", dt) as w:
        assert [f[2] for f in w.schema()["fields"] if not f[5]] == [">", "<", ">"]
        w.append(data)
    r = recstore.open(tmp_path / "e.recs")
    assert r.dtype["a"].byteorder == ">"
    assert_same_records(r.records, data)


def test_a_schema_file_and_a_dtype_are_exclusive(tmp_path):
    with pytest.raises(TypeError):
        recstore.create(tmp_path / "x.recs")
    with pytest.raises(TypeError):
        recstore.create(tmp_path / "x.recs", VERTEX, schema=SCHEMAS[0])


def test_unsupported_dtypes_are_schema_errors(tmp_path):
    for dt in (np.dtype("f4"), np.dtype([("a", "M8[s]")]), np.dtype([("a", "U3")]),
               np.dtype([("a", "c8")])):
        with pytest.raises(recstore.SchemaError):
            recstore.create(tmp_path / "x.recs", dt)
    with pytest.raises(recstore.SchemaError):  # a bad schema file
        bad = tmp_path / "bad.toml"
        bad.write_text('name = "X"\nfields = [{ name = "a", type = "f7" }]\n')
        recstore.create(tmp_path / "x.recs", schema=bad)
    assert not Path(tmp_path / "x.recs").exists()


def test_create_refuses_an_existing_file(vertex_store):
    with pytest.raises(recstore.AlreadyExistsError) as e:
        recstore.create(vertex_store, VERTEX)
    assert isinstance(e.value, FileExistsError)
    assert e.value.path == str(vertex_store)
    assert len(recstore.open(vertex_store)) == 1000

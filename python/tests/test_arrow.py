"""The Arrow PyCapsule stream: pyarrow, polars and DuckDB read a Reader
through `__arrow_c_stream__`; arrays are FixedSizeList columns, nested
structs are struct columns, big-endian fields arrive swapped, and a store
larger than one batch arrives whole."""

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pytest
import recstore

from conftest import ROOT, SCHEMAS, VERTEX, get, leaves, random_records


def column_values(table: pa.Table, path):
    col = table.column(path[0]).combine_chunks()
    for p in path[1:]:
        col = col.field(p)
    if isinstance(col.type, pa.FixedSizeListType):
        return col.flatten().to_numpy(zero_copy_only=False).reshape(len(col), col.type.list_size)
    if pa.types.is_string(col.type):  # a text field: numpy holds its UTF-8 bytes
        return np.array([v.encode() for v in col.to_pylist()])
    return col.to_numpy(zero_copy_only=False)  # bools are bits in Arrow: a copy


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda p: p.stem)
def test_pyarrow_reads_every_bundled_schema(tmp_path, schema):
    path = tmp_path / "s.recs"
    with recstore.create(path, schema=schema) as w:
        data = random_records(w.dtype, 1000)
        w.append(data)
    r = recstore.open(path)
    table = pa.table(r)
    assert table.num_rows == 1000
    assert table.column_names == list(r.dtype.names)
    for p, _ in leaves(r.dtype):
        np.testing.assert_array_equal(column_values(table, p), get(data, p), err_msg=".".join(p))


def test_arrow_types_follow_the_schema(tmp_path):
    with recstore.create(tmp_path / "p.recs", schema=ROOT / "schemas/particle.toml") as w:
        w.append(random_records(w.dtype, 3))
    schema = pa.table(recstore.open(tmp_path / "p.recs")).schema
    assert schema.field("position").type == pa.struct(
        [pa.field(n, pa.float32(), nullable=False) for n in "xyz"])
    assert schema.field("color").type.field("a").type == pa.uint8()
    assert schema.field("mass").type == pa.float32()
    with recstore.create(tmp_path / "v.recs", VERTEX) as w:
        w.append(np.zeros(1, VERTEX))
    v = pa.table(recstore.open(tmp_path / "v.recs")).schema
    assert v.field("color").type == pa.list_(pa.field("item", pa.uint16(), nullable=False), 3)


def test_big_endian_fields_arrive_in_arrows_byte_order(tmp_path):
    dt = np.dtype([("a", ">u4"), ("b", ">f8", 2)], align=True)
    data = random_records(dt, 50)
    with recstore.create(tmp_path / "e.recs", dt) as w:
        w.append(data)
    table = pa.table(recstore.open(tmp_path / "e.recs"))
    np.testing.assert_array_equal(table.column("a").to_numpy(), data["a"])
    np.testing.assert_array_equal(column_values(table, ("b",)), data["b"])


def test_a_store_larger_than_a_batch_arrives_whole(vertex_store):
    with recstore.open_writer(vertex_store) as w:
        more = np.zeros(600_000, VERTEX)  # 12 MB: several 4 MiB batches
        more["color"][:, 0] = np.arange(600_000) % 1000
        w.append(more)
    r = recstore.open(vertex_store)
    reader = pa.RecordBatchReader.from_stream(r)
    batches = list(reader)
    assert len(batches) > 1
    assert sum(b.num_rows for b in batches) == len(r)
    table = pa.Table.from_batches(batches)
    assert column_values(table, ("color",))[:, 0].sum() == r.records["color"][:, 0].sum()


def test_polars_reads_a_reader(vertex_store):
    r = recstore.open(vertex_store)
    df = pl.DataFrame(r)
    assert df.shape == (1000, 2)
    assert df["color"].arr.get(0).sum() == sum(range(1000))
    assert df["position"].arr.get(2).to_list() == [3.0 * i for i in range(1000)]


def test_duckdb_queries_a_reader(vertex_store):
    r = recstore.open(vertex_store)
    rows = duckdb.sql("SELECT count(*), sum(color[1]), max(position[3]) FROM r").fetchall()
    assert rows == [(1000, sum(range(1000)), 2997.0)]


def test_an_empty_store_is_an_empty_table(tmp_path):
    recstore.create(tmp_path / "e.recs", VERTEX).close()
    table = pa.table(recstore.open(tmp_path / "e.recs"))
    assert table.num_rows == 0
    assert table.column_names == ["position", "color"]


def test_the_stream_outlives_close(vertex_store):
    r = recstore.open(vertex_store)
    capsule = r.__arrow_c_stream__()
    r.close()
    reader = pa.RecordBatchReader._import_from_c_capsule(capsule)
    assert reader.read_all().num_rows == 1000

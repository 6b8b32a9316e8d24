"""recstore.dask.read_stores: many stores as one Dask DataFrame, read on the
worker processes of a distributed cluster. Guards that a group-by and a sum
over 200 stores equal numpy's over the same records, that columns are named
as the CSV export names them, that a large store splits into record ranges,
that each partition reads the records published when the read was planned,
and that an empty glob or stores of different record types fail clearly
(compared by their whole schemas: two can share a fingerprint)."""

import os

import numpy as np
import pytest
import recstore

from conftest import run_cli, run_python

dask = pytest.importorskip("dask")
pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
import recstore.dask as rd  # noqa: E402 (after the skips)

# Scalars, a fixed-size array, a nested struct and a big-endian field: 40 bytes.
SENSOR = np.dtype([("sensor_id", "<u4"), ("position", "<f4", 3),
                   ("color", [("r", "u1"), ("g", "u1"), ("b", "u1"), ("a", "u1")]),
                   ("value", "<f8"), ("ticks", ">i8")], align=True)
COLUMNS = ["sensor_id", "position[0]", "position[1]", "position[2]", "color.r", "color.g",
           "color.b", "color.a", "value", "ticks"]
STORES = 200


def make_records(n: int, seed: int) -> np.ndarray:
    """Integer-valued floats, so that sums are exact whatever their order."""
    rng = np.random.default_rng(seed)
    out = np.zeros(n, SENSOR)
    out["sensor_id"] = rng.integers(0, 17, n)
    out["position"] = rng.integers(-100, 100, (n, 3))
    for c in "rgba":
        out["color"][c] = rng.integers(0, 256, n)
    out["value"] = rng.integers(-10**6, 10**6, n)
    out["ticks"] = rng.integers(-2**40, 2**40, n)
    return out


def write_store(path, records) -> None:
    with recstore.create(path, SENSOR, name="Sensor") as w:
        w.append(records)


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """200 small stores (0 to 299 records each) and all their records."""
    root = tmp_path_factory.mktemp("many")
    parts = []
    for k in range(STORES):
        recs = make_records(int(np.random.default_rng(k).integers(0, 300)), seed=k)
        write_store(root / f"s{k:03}.recs", recs)
        parts.append(recs)
    return root, np.concatenate(parts)


@pytest.fixture(scope="module")
def client():
    """A cluster of two worker processes on this machine."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


def test_group_by_and_sum_over_200_stores_on_two_worker_processes(many, client):
    root, recs = many
    df = rd.read_stores(str(root / "*.recs"))
    assert df.npartitions == STORES
    assert list(df.columns) == COLUMNS
    client.wait_for_workers(2, timeout=60)
    assert len(client.scheduler_info()["workers"]) == 2

    # one pass over the stores for both: a group-by (a tree reduction, few
    # groups) and the sums of two columns
    by_sensor, sums = dask.compute(
        df.groupby("sensor_id").agg(total=("value", "sum"), n=("value", "count"), split_out=1),
        df[["position[1]", "ticks"]].sum())
    ids = np.unique(recs["sensor_id"])
    by_sensor = by_sensor.sort_index()
    assert by_sensor.index.tolist() == ids.tolist()
    assert by_sensor["total"].tolist() == [recs["value"][recs["sensor_id"] == i].sum() for i in ids]
    assert by_sensor["n"].tolist() == [(recs["sensor_id"] == i).sum() for i in ids]
    assert by_sensor["n"].sum() == len(recs)
    assert sums["position[1]"] == recs["position"][:, 1].astype(np.float64).sum()
    assert sums["ticks"] == recs["ticks"].astype(np.int64).sum()

def test_columns_are_named_as_the_csv_export_names_them(tmp_path):
    path = tmp_path / "one.recs"
    write_store(path, make_records(3, seed=1))
    out = tmp_path / "one.csv"
    run_cli("export", path, out)
    header = out.read_text().splitlines()[0].split(",")
    df = rd.read_stores(path)
    assert list(df.columns) == header
    # the CSV's numbers are the DataFrame's
    got = df.compute(scheduler="sync")
    rows = [line.split(",") for line in out.read_text().splitlines()[1:]]
    for j, name in enumerate(header):
        assert [float(r[j]) for r in rows] == got[name].astype(np.float64).tolist()


def test_fixed_arrays_nested_fields_and_byte_order(tmp_path):
    recs = make_records(500, seed=2)
    write_store(tmp_path / "a.recs", recs)
    got = rd.read_stores(tmp_path / "a.recs").compute(scheduler="sync")
    for i in range(3):
        np.testing.assert_array_equal(got[f"position[{i}]"].to_numpy(), recs["position"][:, i])
        assert got[f"position[{i}]"].dtype == np.float32
    for c in "rgba":
        np.testing.assert_array_equal(got[f"color.{c}"].to_numpy(), recs["color"][c])
        assert got[f"color.{c}"].dtype == np.uint8
    # a big-endian field arrives in native byte order, same values
    assert got["ticks"].dtype == np.dtype("int64")
    np.testing.assert_array_equal(got["ticks"].to_numpy(), recs["ticks"])
    assert got.index.tolist() == list(range(500))


def test_columns_selects_fields_and_single_columns(tmp_path):
    recs = make_records(100, seed=3)
    write_store(tmp_path / "a.recs", recs)
    df = rd.read_stores(tmp_path / "a.recs", columns=["value", "position", "color.b"])
    assert list(df.columns) == ["value", "position[0]", "position[1]", "position[2]", "color.b"]
    got = df.compute(scheduler="sync")
    np.testing.assert_array_equal(got["value"].to_numpy(), recs["value"])
    np.testing.assert_array_equal(got["position[2]"].to_numpy(), recs["position"][:, 2])
    np.testing.assert_array_equal(got["color.b"].to_numpy(), recs["color"]["b"])
    one = rd.read_stores(tmp_path / "a.recs", columns="position[1]")
    assert list(one.columns) == ["position[1]"]
    with pytest.raises(KeyError, match=r"no column or field 'speed'.*position\[0\]"):
        rd.read_stores(tmp_path / "a.recs", columns=["speed"])


def test_a_large_store_splits_into_record_ranges(tmp_path):
    recs = make_records(10_000, seed=4)
    write_store(tmp_path / "big.recs", recs)
    write_store(tmp_path / "small.recs", recs[:5])
    df = rd.read_stores([tmp_path / "big.recs", tmp_path / "small.recs"], partition_records=3000)
    assert df.npartitions == 5
    parts = [df.get_partition(i).compute(scheduler="sync") for i in range(5)]
    assert [len(p) for p in parts] == [3000, 3000, 3000, 1000, 5]
    # the index is the record's number in its store
    assert parts[1].index[0] == 3000 and parts[3].index[-1] == 9999 and parts[4].index[0] == 0
    got = df.compute(scheduler="sync")
    np.testing.assert_array_equal(got["value"].to_numpy(), np.concatenate([recs["value"],
                                                                           recs["value"][:5]]))
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="partition_records must be a positive integer"):
            rd.read_stores(tmp_path / "big.recs", partition_records=bad)


def test_globs_paths_and_lists(tmp_path):
    (tmp_path / "x" / "deep").mkdir(parents=True)
    for name, n in [("x/b.recs", 2), ("x/a.recs", 3), ("x/deep/c.recs", 4), ("x/other.txt", 0)]:
        if name.endswith(".recs"):
            write_store(tmp_path / name, make_records(n, seed=n))
        else:
            (tmp_path / name).write_text("not a store")
    flat = rd.read_stores(str(tmp_path / "x" / "*.recs"))
    assert flat.npartitions == 2
    # sorted: a (3 records) before b (2)
    assert [len(flat.get_partition(i).compute(scheduler="sync")) for i in range(2)] == [3, 2]
    deep = rd.read_stores(str(tmp_path / "x" / "**" / "*.recs"))
    assert len(deep.compute(scheduler="sync")) == 9
    mixed = rd.read_stores([str(tmp_path / "x" / "deep" / "*.recs"), tmp_path / "x" / "b.recs"])
    assert len(mixed.compute(scheduler="sync")) == 6
    # a store named twice is read once
    twice = rd.read_stores([tmp_path / "x" / "a.recs", str(tmp_path / "x" / "*.recs")])
    assert twice.npartitions == 2
    assert len(twice.compute(scheduler="sync")) == 5
    with pytest.raises(IsADirectoryError, match=r"pass a glob of its stores"):
        rd.read_stores(tmp_path / "x")


def test_an_empty_glob_is_a_clear_error(tmp_path):
    pattern = str(tmp_path / "nothing" / "*.recs")
    with pytest.raises(recstore.NotFoundError, match=r"no store matches .*nothing/\*\.recs") as e:
        rd.read_stores(pattern)
    assert isinstance(e.value, FileNotFoundError)
    assert e.value.path == pattern
    with pytest.raises(recstore.NotFoundError):
        rd.read_stores(tmp_path / "missing.recs")
    with pytest.raises(ValueError, match="at least one store"):
        rd.read_stores([])


def test_stores_of_different_record_types_are_a_clear_error(tmp_path):
    write_store(tmp_path / "a.recs", make_records(3, seed=5))
    other = np.dtype([("sensor_id", "<u4"), ("value", "<f4")])
    with recstore.create(tmp_path / "b.recs", other, name="Other") as w:
        w.append(np.zeros(2, other))
    with pytest.raises(recstore.SchemaMismatchError,
                       match=r"b\.recs holds Other records \(sensor_id, value\), but .*a\.recs "
                             r"holds Sensor records .*one record type") as e:
        rd.read_stores(str(tmp_path / "*.recs"))
    assert e.value.path == str(tmp_path / "b.recs")


def test_each_partition_reads_the_records_published_when_planned(tmp_path):
    path = tmp_path / "live.recs"
    recs = make_records(1000, seed=6)
    write_store(path, recs[:600])
    df = rd.read_stores(path, partition_records=250)
    w = recstore.open_writer(path)
    w.append(recs[600:])
    w.publish()
    # appended after planning: not in this DataFrame ...
    got = df.compute(scheduler="sync")
    np.testing.assert_array_equal(got["value"].to_numpy(), recs["value"][:600])
    # ... but in the next one
    again = rd.read_stores(path, partition_records=250).compute(scheduler="sync")
    np.testing.assert_array_equal(again["value"].to_numpy(), recs["value"])
    w.close()


def test_a_store_replaced_while_read_fails_its_partition(tmp_path):
    path = tmp_path / "s.recs"
    write_store(path, make_records(100, seed=7))
    df = rd.read_stores(path)
    write_store(tmp_path / "smaller.recs", make_records(10, seed=8))
    os.replace(tmp_path / "smaller.recs", path)
    with pytest.raises(recstore.CorruptError, match=r"has 10 published records, fewer than the "
                                                    r"100 .*call read_stores again"):
        df.compute(scheduler="sync")
    other = np.dtype([("x", "<f8")])
    with recstore.create(tmp_path / "other.recs", other) as w:
        w.append(np.zeros(200, other))
    os.replace(tmp_path / "other.recs", path)
    with pytest.raises(recstore.SchemaMismatchError, match=r"no longer the one read_stores "
                                                           r"planned with"):
        df.compute(scheduler="sync")


def test_stores_whose_schemas_share_a_fingerprint_are_not_of_one_type(pair_stores, colliding):
    # Schemas are compared whole (a crafted one can share another's
    # fingerprint): when the read is planned ...
    with pytest.raises(recstore.SchemaMismatchError,
                       match=r"f\.recs holds Pair records \(a float32, b uint32\), but .*u\.recs "
                             r"holds Pair records \(a uint32, b float32\)"):
        rd.read_stores(pair_stores)
    # ... and when a partition is read, the file replaced since.
    df = rd.read_stores(pair_stores[0])
    os.replace(pair_stores[1], pair_stores[0])
    with pytest.raises(recstore.SchemaMismatchError, match=r"no longer the one read_stores "
                                                           r"planned with"):
        df.compute(scheduler="sync")


def test_import_recstore_does_not_import_dask():
    code = ("import sys, recstore, recstore.dask\n"
            "bad = [m for m in ('dask', 'distributed', 'pandas') if m in sys.modules]\n"
            "assert not bad, bad\n")
    done = run_python(code)
    assert done.returncode == 0, done.stderr


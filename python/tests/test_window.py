"""``recstore.open(path, window=(start, stop))`` (issue 16, item 3): a reader of
records ``start..stop`` only, whose array equals the whole reader's slice for
any window (chunk edges, empty, the whole store), mapped or read into memory,
which maps only the chunks around it (``/proc/self/maps``), refuses a window
past the count with ``IndexOutOfBoundsError``, stays fixed on ``refresh()``,
pickles with its window; and ``recstore.dask.read_stores`` reads each
partition through such a window, so a worker maps only its slice."""

import pickle

import numpy as np
import pytest
import recstore

from conftest import VERTEX


def mapped_bytes_of(path) -> int:
    """Bytes of the file at ``path`` mapped into this process."""
    target = str(path.resolve())
    total = 0
    with open("/proc/self/maps") as f:
        for line in f:
            if line.rstrip("\n").endswith(target):
                a, b = line.split()[0].split("-")
                total += int(b, 16) - int(a, 16)
    return total


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """200 000 vertices (4 MB), several dozen checksum chunks."""
    path = tmp_path_factory.mktemp("window") / "big.recs"
    recs = np.zeros(200_000, VERTEX)
    recs["position"][:, 0] = np.arange(200_000)
    recs["color"][:, 0] = np.arange(200_000) % 65536
    with recstore.create(path, VERTEX, name="Vertex") as w:
        w.append(recs)
    return path, recs


def bound(n: int, chunk: int) -> int:
    """Bytes a window of ``n`` records may map: them, a chunk each side, a page."""
    return (n + 2 * chunk) * VERTEX.itemsize + 4096


def test_windows_show_the_whole_readers_records(big):
    path, recs = big
    whole = recstore.open(path)
    chunk = whole.info()["chunk_records"]
    n = len(recs)
    windows = [(0, 0), (0, n), (n, n), (chunk - 1, chunk + 1), (chunk, 2 * chunk),
               (n - 1, n), (n // chunk * chunk, n)]
    rng = np.random.default_rng(3)
    for _ in range(20):
        a = int(rng.integers(0, n + 1))
        windows.append((a, int(rng.integers(a, n + 1))))
    for a, b in windows:
        for mmap in (True, False):
            r = recstore.open(path, mmap=mmap, window=(a, b))
            assert len(r) == b - a
            assert r.records.tobytes() == whole.records[a:b].tobytes(), (a, b, mmap)
            info = r.info()
            assert info["window"] == (a, b)
            assert r.window == (a, b)
            assert info["count"] == n
            assert info["mapped_len"] <= bound(b - a, chunk), (a, b)
            assert info["read_path"] == ("mapped" if mmap else "loaded")
            r.verify()
            r.close()
    # other spellings: a range, a slice, an open end
    assert recstore.open(path, window=range(10, 20)).records.tobytes() == \
        recs[10:20].tobytes()
    assert len(recstore.open(path, window=slice(None, 5))) == 5
    assert len(recstore.open(path, window=(n - 7, None))) == 7
    assert len(recstore.open(path, window=(np.int64(3), np.uint32(9)))) == 6


def test_a_window_maps_only_its_chunks(big):
    path, recs = big
    whole = recstore.open(path)
    chunk = whole.info()["chunk_records"]
    assert mapped_bytes_of(path) >= recs.nbytes  # the measure sees a whole mapping
    whole.close()
    assert mapped_bytes_of(path) == 0
    r = recstore.open(path, window=(150_000, 150_100))
    assert 100 * VERTEX.itemsize <= mapped_bytes_of(path) <= bound(100, chunk)
    assert r.records["position"][:, 0].tolist() == list(range(150_000, 150_100))
    arr = r.records
    r.close()
    # the array keeps its (small) mapping alive
    assert 0 < mapped_bytes_of(path) <= bound(100, chunk)
    del arr
    assert mapped_bytes_of(path) == 0


def test_a_window_past_the_count_is_refused(big):
    path, recs = big
    n = len(recs)
    for w in [(n - 1, n + 1), (n + 1, None), (5, 3)]:
        with pytest.raises(recstore.IndexOutOfBoundsError) as e:
            recstore.open(path, window=w)
        assert f"holds {n} committed records" in str(e.value)
        assert isinstance(e.value, IndexError)
        assert e.value.path == str(path)
    for bad in [(-1, 3), (1.5, 3), "ab", (1, 2, 3), range(0, 10, 2)]:
        with pytest.raises((ValueError, TypeError)):
            recstore.open(path, window=bad)


def test_refresh_keeps_a_window_fixed_and_pickle_keeps_it(tmp_path):
    path = tmp_path / "grow.recs"
    w = recstore.create(path, VERTEX, name="Vertex")
    w.append(np.zeros(100, VERTEX))
    w.publish()
    r = recstore.open(path, window=(90, None))
    held = r.records
    w.append(np.ones(50, VERTEX))
    w.flush()
    assert r.refresh() is False
    assert len(r) == 10 and len(r.records) == 10
    del held
    assert r.refresh() is False
    again = pickle.loads(pickle.dumps(r))
    assert again.window == (90, 100)
    assert again.records.tobytes() == r.records.tobytes()
    w.close()


def test_dask_partitions_read_through_windows(big, monkeypatch):
    pytest.importorskip("dask.dataframe")
    import recstore.dask as rd

    path, recs = big
    chunk = recstore.open(path).info()["chunk_records"]
    seen = []
    real_open = recstore.open

    def spying_open(p, mmap=True, window=None):
        r = real_open(p, mmap, window)
        seen.append((window, r.info()["mapped_len"], mapped_bytes_of(path)))
        return r

    monkeypatch.setattr(recstore, "open", spying_open)
    df = rd.read_stores(path, columns=["position[0]"], partition_records=20_000)
    assert df.npartitions == 10
    # planning opened an empty window: no record mapped
    assert seen and all(w == (0, 0) and m == 0 for w, m, _ in seen)
    seen.clear()
    got = df["position[0]"].compute(scheduler="sync")
    np.testing.assert_array_equal(got.to_numpy(), recs["position"][:, 0])
    assert got.index.tolist() == list(range(len(recs)))
    windows = sorted(w for w, _, _ in seen)
    assert windows == [(a, a + 20_000) for a in range(0, 200_000, 20_000)]
    for w, mapped_len, in_maps in seen:
        assert mapped_len <= bound(20_000, chunk), w
        assert in_maps <= bound(20_000, chunk), w

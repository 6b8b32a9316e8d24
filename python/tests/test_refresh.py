"""The refresh rule: a reader sees what a writer published, never what it
only appended; arrays handed out before a refresh keep their mapping and
show the records they showed, unchanged."""

import os

import numpy as np
import pytest
import recstore

from conftest import VERTEX


def batch(start, n):
    out = np.zeros(n, VERTEX)
    i = np.arange(start, start + n)
    out["position"][:, 0] = i
    out["color"][:, 0] = i % 65536
    return out


def test_refresh_sees_published_records_only(vertex_store):
    r = recstore.open(vertex_store)
    with recstore.open_writer(vertex_store) as w:
        w.append(batch(1000, 10))
        assert not r.refresh()
        assert len(r) == 1000
        w.publish()
        assert r.refresh()
        assert len(r) == 1010
        assert r[1009]["position"][0] == 1009
        assert not r.refresh()


def test_arrays_from_before_a_refresh_stay_valid_and_unchanged(vertex_store):
    r = recstore.open(vertex_store)
    old = r.records
    first = {name: old[:5][name].copy() for name in VERTEX.names}
    with recstore.open_writer(vertex_store) as w:
        # enough to grow the file (and so the writer's mapping) several times
        for k in range(20):
            w.append(batch(1000 + k * 50_000, 50_000))
            w.publish()
            assert r.refresh()
    new = r.records
    assert len(old) == 1000
    assert len(new) == 1000 + 20 * 50_000
    assert new is not old
    for name, values in first.items():
        np.testing.assert_array_equal(old[:5][name], values)
    assert old.base.obj is not new.base.obj
    assert int(new["position"][:, 0].astype(np.int64).sum()) == sum(range(len(new)))
    del r
    assert old[999]["position"][0] == 999


def test_refresh_without_arrays_out_and_with_them_agree(vertex_store):
    plain = recstore.open(vertex_store)
    holding = recstore.open(vertex_store)
    held = holding.records
    with recstore.open_writer(vertex_store) as w:
        for k in range(3):
            w.append(batch(1000 + k, 1))
            w.publish()
            assert plain.refresh() and holding.refresh()
            assert len(plain) == len(holding) == 1001 + k
            assert plain.records.tobytes() == holding.records.tobytes()
    assert len(held) == 1000


def test_a_slice_or_record_keeps_the_mapping_alive(vertex_store):
    r = recstore.open(vertex_store)
    one = r[500]
    part = r[100:200]
    with recstore.open_writer(vertex_store) as w:
        w.append(batch(1000, 100_000))
        w.publish()
    assert r.refresh()
    r.close()
    assert one["position"][0] == 500
    assert part["color"][:, 0].tolist() == list(range(100, 200))


def test_a_writer_refuses_to_change_while_its_arrays_exist(vertex_store):
    w = recstore.open_writer(vertex_store)
    view = w.records
    for op in (lambda: w.append(batch(0, 1)), w.publish, w.flush, w.close):
        try:
            op()
        except BufferError as e:
            assert "del" in str(e)
        else:
            raise AssertionError(f"{op} did not raise BufferError")
    assert len(view) == 1000
    del view
    w.append(batch(1000, 1))
    w.close()
    assert len(recstore.open(vertex_store)) == 1001


def test_arrow_streams_hold_the_mapping_too(vertex_store):
    w = recstore.open_writer(vertex_store)
    capsule = w._h.arrow_stream()
    try:
        w.append(batch(0, 1))
    except BufferError:
        pass
    else:
        raise AssertionError("append did not raise BufferError while a stream exists")
    del capsule
    w.append(batch(0, 1))
    w.close()


def test_refresh_after_a_change_of_directory(vertex_store, tmp_path, monkeypatch):
    monkeypatch.chdir(vertex_store.parent)
    r = recstore.open(vertex_store.name)  # a relative path
    held = r.records
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with recstore.open_writer(vertex_store) as w:
        w.append(batch(1000, 3))
    assert r.refresh()  # maps the store afresh (arrays are out): the same file
    assert len(r) == 1003 and len(held) == 1000


def test_a_reader_refreshes_while_another_thread_verifies(tmp_path):
    import threading
    dt = np.dtype([("a", "<f8")])
    path = tmp_path / "t.recs"
    with recstore.create(path, dt) as w:
        w.append(np.zeros(2_000_000, dt))
    r = recstore.open(path)
    errors = []

    def verify():
        try:
            for _ in range(5):
                r.verify()
        except BaseException as e:  # noqa: BLE001 (a PyO3 panic too; reported below)
            errors.append(e)

    t = threading.Thread(target=verify)
    t.start()
    while t.is_alive():
        r.refresh()
        assert len(r.records) == 2_000_000
    t.join()
    assert errors == []


def test_a_file_replaced_by_a_rename_raises_replaced_error(vertex_store, tmp_path):
    r = recstore.open(vertex_store)
    new = tmp_path / "new.recs"
    with recstore.create(new, VERTEX, name="ColoredVertex") as w:
        w.append(batch(0, 5))
    os.replace(new, vertex_store)
    with pytest.raises(recstore.ReplacedError, match="open the store again") as e:
        r.refresh()
    assert e.value.path.endswith("v.recs")
    assert len(r) == 1000
    assert len(recstore.open(vertex_store)) == 5


def test_a_file_replaced_while_arrays_are_out_raises_replaced_error(vertex_store, tmp_path):
    # With an array out, refresh opens the path again instead of remapping:
    # it must not follow another store renamed over the path either.
    r = recstore.open(vertex_store)
    held = r.records
    new = tmp_path / "new.recs"
    with recstore.create(new, VERTEX, name="ColoredVertex") as w:
        w.append(batch(0, 5))
    os.replace(new, vertex_store)
    with pytest.raises(recstore.ReplacedError, match="open the store again"):
        r.refresh()
    assert len(r) == 1000
    assert len(held) == 1000

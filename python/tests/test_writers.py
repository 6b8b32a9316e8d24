"""One writer: a second writer, in this or another process, is refused with
LockedError; readers do not block writers; a clean close is durable."""

import numpy as np
import pytest
import recstore

from conftest import VERTEX, run_python


def test_a_second_writer_is_refused(vertex_store):
    with recstore.open_writer(vertex_store):
        with pytest.raises(recstore.LockedError) as e:
            recstore.open_writer(vertex_store)
        assert "locked by another writer" in str(e.value)
        assert e.value.path == str(vertex_store)
        assert len(recstore.open(vertex_store)) == 1000  # readers are never blocked
    recstore.open_writer(vertex_store).close()  # free again after close


def test_a_writer_in_another_process_is_refused(vertex_store):
    code = ("import sys, recstore\n"
            "try:\n    recstore.open_writer(sys.argv[1])\n"
            "except recstore.LockedError as e:\n    print('locked:', e)\n")
    with recstore.open_writer(vertex_store):
        out = run_python(code, vertex_store)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("locked:")


def test_a_reader_cannot_write(vertex_store):
    r = recstore.open(vertex_store)
    assert not hasattr(r, "append")
    with pytest.raises(recstore.ReadOnlyError):
        r._h.append(np.zeros(1, VERTEX).view(np.uint8))


def test_close_is_durable_and_idempotent(tmp_path):
    path = tmp_path / "c.recs"
    w = recstore.create(path, VERTEX)
    w.append(np.ones(7, VERTEX))
    w.close()
    w.close()
    info = recstore.open(path).info()
    assert info["count"] == 7 and not info["unsynced"]


def test_dropping_a_writer_is_a_clean_close(tmp_path):
    path = tmp_path / "d.recs"
    code = ("import sys, numpy as np, recstore\n"
            "from conftest import VERTEX\n"
            "w = recstore.create(sys.argv[1], VERTEX)\nw.append(np.ones(3, VERTEX))\n")
    import os
    env_code = f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r})\n" + code
    out = run_python(env_code, path)
    assert out.returncode == 0, out.stderr
    r = recstore.open(path)
    assert len(r) == 3
    r.verify()


def test_records_of_bad_length_are_refused(vertex_store):
    with recstore.open_writer(vertex_store) as w:
        with pytest.raises(recstore.RecordLengthError):
            w._h.append(np.zeros(7, np.uint8))
        assert len(w) == 1000

"""Pickling a Reader pickles its path (numpy#2049): unpickling opens the
store again, and sees what it holds then."""

import pickle

import numpy as np
import recstore

from conftest import VERTEX


def test_a_reader_pickles_as_its_path(vertex_store):
    r = recstore.open(vertex_store)
    data = pickle.dumps(r)
    assert len(data) < 300  # the path, not the records
    with recstore.open_writer(vertex_store) as w:
        w.append(np.zeros(5, VERTEX))
    again = pickle.loads(data)
    assert isinstance(again, recstore.Reader)
    assert again.path == str(vertex_store)
    assert len(again) == 1005
    assert again.records[:1000].tobytes() == r.records.tobytes()

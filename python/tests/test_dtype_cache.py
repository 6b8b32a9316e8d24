"""The dtype cache (`recstore._dtype`) is keyed by the whole schema, not by
its 64-bit fingerprint alone: two schemas with one fingerprint (FNV-1a
collisions can be crafted) used to share the first one's dtype, so the
second store's records were read through the wrong fields. The collision
is played by a native handle whose schema claims a fixed fingerprint."""

import numpy as np
import pytest
import recstore
from recstore import _dtype, _native
from recstore._dtype import dtype_of, dtype_of_store

# Not the fingerprint of any schema in these tests.
COLLIDING = 0x5EED_C011_1DE5_0001

UINT_FIRST = np.dtype([("a", "<u4"), ("b", "<f4")])
FLOAT_FIRST = np.dtype([("a", "<f4"), ("b", "<u4")])


class _Colliding:
    """A native store handle whose schema has the fingerprint COLLIDING,
    as a crafted schema sharing another's fingerprint would."""

    _native_store = _native.Store

    def __init__(self, handle):
        self._h = handle

    @classmethod
    def open(cls, *args):
        return cls(cls._native_store.open(*args))

    def schema(self) -> dict:
        return {**self._h.schema(), "fingerprint": COLLIDING}

    @property
    def fingerprint(self) -> int:
        return COLLIDING

    def __len__(self) -> int:
        return len(self._h)

    def __getattr__(self, name):
        return getattr(self._h, name)


@pytest.fixture
def colliding(monkeypatch):
    """Every handle opened claims the fingerprint COLLIDING; the cache
    starts empty (no entry of another test answers)."""
    monkeypatch.setattr(_native, "Store", _Colliding)
    monkeypatch.setattr(_dtype, "_cache", {})
    monkeypatch.setattr(_dtype, "_by_block", {})


@pytest.fixture
def stores(tmp_path):
    """Two stores of 8-byte records, `a` and `b` of other types in each."""
    paths = []
    for name, dt in [("u", UINT_FIRST), ("f", FLOAT_FIRST)]:
        path = tmp_path / f"{name}.recs"
        with recstore.create(path, dt, name="Pair") as w:
            w.append(np.array([(7, 1.5)], dt))
        paths.append(path)
    return paths


def test_two_schemas_with_one_fingerprint_get_their_own_dtypes(stores, colliding):
    u, f = (recstore.open(p) for p in stores)
    assert u.schema()["fingerprint"] == f.schema()["fingerprint"] == COLLIDING
    assert u.dtype.descr == UINT_FIRST.descr
    assert f.dtype.descr == FLOAT_FIRST.descr
    assert (int(u[0]["a"]), float(u[0]["b"])) == (7, 1.5)
    assert (float(f[0]["a"]), int(f[0]["b"])) == (7.0, 1)
    # The handle's path (recstore.mesh) too.
    handles = [_Colliding.open(str(p), False, True, None) for p in stores]
    assert [dtype_of_store(h).descr for h in handles] == [UINT_FIRST.descr, FLOAT_FIRST.descr]


def test_a_cached_schema_does_not_change_with_the_callers_dict(stores, colliding):
    u = recstore.open(stores[0])
    # A caller changing the schema it got (its list of fields too) changes
    # neither the cache nor the other store's dtype.
    schema = u.schema()
    schema["fields"][:] = recstore.open(stores[1]).schema()["fields"]
    assert dtype_of(schema).descr == FLOAT_FIRST.descr
    assert recstore.open(stores[0]).dtype.descr == UINT_FIRST.descr

"""The dtype cache (`recstore._dtype`) is keyed by the whole schema, not by
its 64-bit fingerprint alone: two schemas with one fingerprint (FNV-1a
collisions can be crafted) used to share the first one's dtype, so the
second store's records were read through the wrong fields. The collision
is played by a native handle whose schema claims a fixed fingerprint."""

import recstore
from recstore._dtype import dtype_of, dtype_of_store

from conftest import COLLIDING, FLOAT_FIRST, UINT_FIRST, Colliding


def test_two_schemas_with_one_fingerprint_get_their_own_dtypes(pair_stores, colliding):
    u, f = (recstore.open(p) for p in pair_stores)
    assert u.schema()["fingerprint"] == f.schema()["fingerprint"] == COLLIDING
    assert u.dtype.descr == UINT_FIRST.descr
    assert f.dtype.descr == FLOAT_FIRST.descr
    assert (int(u[0]["a"]), float(u[0]["b"])) == (7, 1.5)
    assert (float(f[0]["a"]), int(f[0]["b"])) == (7.0, 1)
    # The handle's path (recstore.mesh) too.
    handles = [Colliding.open(str(p), False, True, None) for p in pair_stores]
    assert [dtype_of_store(h).descr for h in handles] == [UINT_FIRST.descr, FLOAT_FIRST.descr]


def test_a_cached_schema_does_not_change_with_the_callers_dict(pair_stores, colliding):
    u = recstore.open(pair_stores[0])
    # A caller changing the schema it got (its list of fields too) changes
    # neither the cache nor the other store's dtype.
    schema = u.schema()
    schema["fields"][:] = recstore.open(pair_stores[1]).schema()["fields"]
    assert dtype_of(schema).descr == FLOAT_FIRST.descr
    assert recstore.open(pair_stores[0]).dtype.descr == UINT_FIRST.descr

"""Bad paths and garbage files raise a recstore.Error subclass, never crash
the interpreter: truncations of a store at many lengths, every header byte
flipped, random bytes, directories, missing files."""

import os

import numpy as np
import pytest
import recstore

from conftest import VERTEX, run_python

TORTURE = """
import os, sys, numpy as np, recstore
src = open(sys.argv[1], "rb").read()
work = sys.argv[2]
cases = []
for n in list(range(0, 4200, 7)) + [len(src) - 1, len(src) // 2]:
    cases.append(("truncated at %d" % n, src[:n]))
for i in range(0, 4096, 3):
    b = bytearray(src); b[i] ^= 0xA5; cases.append(("byte %d flipped" % i, bytes(b)))
rng = np.random.default_rng(1)
for k in range(50):
    cases.append(("random %d" % k, rng.bytes(int(rng.integers(0, 20000)))))
cases.append(("magic then zeros", src[:8] + bytes(8000)))
errors = {}
for name, data in cases:
    p = os.path.join(work, "case.recs")
    with open(p, "wb") as f:
        f.write(data)
    try:
        r = recstore.open(p)
        r.records["color"].sum()
        r.verify()
        pa = __import__("pyarrow")
        pa.table(r)
        r.refresh()
    except recstore.Error as e:
        errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
print(len(cases), sorted(errors.items()))
"""


def test_garbage_files_raise_and_never_crash(vertex_store, tmp_path):
    out = run_python(TORTURE, vertex_store, tmp_path)
    assert out.returncode == 0, f"the interpreter died ({out.returncode}): {out.stderr[-2000:]}"
    count, _ = out.stdout.split(" ", 1)
    assert int(count) > 1000
    assert "CorruptError" in out.stdout and "NotRecstoreError" in out.stdout


def test_missing_paths_raise_not_found(tmp_path):
    with pytest.raises(recstore.NotFoundError) as e:
        recstore.open(tmp_path / "missing.recs")
    assert isinstance(e.value, FileNotFoundError)
    assert "no such file" in str(e.value).lower()
    with pytest.raises(recstore.NotFoundError):
        recstore.open_writer(tmp_path / "missing.recs")
    with pytest.raises(recstore.NotFoundError):
        recstore.create(tmp_path / "no" / "dir.recs", VERTEX)


def test_a_directory_is_not_a_store(tmp_path):
    with pytest.raises(recstore.Error):
        recstore.open(tmp_path)


def test_an_empty_file_is_not_a_store(tmp_path):
    p = tmp_path / "empty.recs"
    p.write_bytes(b"")
    with pytest.raises(recstore.CorruptError):
        recstore.open(p)


def test_paths_of_every_kind_are_accepted(vertex_store):
    for p in (vertex_store, str(vertex_store), os.fsencode(vertex_store)):
        assert len(recstore.open(p)) == 1000
    with pytest.raises(TypeError):
        recstore.open(42)


def test_an_unreadable_file_raises(vertex_store):
    if os.geteuid() == 0:
        # root reads anything: use a path whose parent is a file instead
        with pytest.raises(recstore.IoError):
            recstore.open(os.path.join(vertex_store, "x.recs"))
        return
    os.chmod(vertex_store, 0)
    with pytest.raises(recstore.PermissionDeniedError):
        recstore.open(vertex_store)

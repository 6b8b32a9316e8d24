"""Shared helpers of the Python package's tests."""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = sorted((ROOT / "schemas").glob("*.toml"))

# The colour vertex of the README, as #[repr(C)] lays it out: 20 bytes.
VERTEX = np.dtype([("position", "<f4", 3), ("color", "<u2", 3)], align=True)


def cli() -> str:
    """The `recstore` binary: $RECSTORE_BIN, else a cargo build of it, else PATH."""
    found = os.environ.get("RECSTORE_BIN")
    if found:
        return found
    for profile in ("release", "debug"):
        p = ROOT / "target" / profile / "recstore"
        if p.exists():
            return str(p)
    found = shutil.which("recstore")
    if found is None:
        pytest.fail("no recstore binary: run `cargo build --release -p recstore-cli` first "
                    "(scripts/test.sh does)")
    return found


def run_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([cli(), *map(str, args)], check=True, capture_output=True, text=True)


def run_python(code: str, *args, timeout=300) -> subprocess.CompletedProcess:
    """Runs `code` in a fresh interpreter (crashes show as a bad return code)."""
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


def random_records(dtype: np.dtype, n: int, seed: int = 7) -> np.ndarray:
    """`n` records of `dtype` with every leaf field filled over its range."""
    rng = np.random.default_rng(seed)
    out = np.zeros(n, dtype)

    def fill(arr, dt):
        for name in dt.names:
            sub = dt.fields[name][0]
            if sub.names is not None:
                fill(arr[name], sub)
                continue
            base = sub.subdtype[0] if sub.subdtype else sub
            shape = arr[name].shape
            if base.kind == "f":
                arr[name] = rng.standard_normal(shape) * 1e3
            elif base.kind == "b":
                arr[name] = rng.integers(0, 2, shape).astype(bool)
            elif base.kind == "S":
                # ASCII text of 0 to itemsize bytes (valid UTF-8, NUL-padded).
                lengths = rng.integers(0, base.itemsize, shape, endpoint=True)
                arr[name] = [bytes(rng.integers(32, 127, k).astype("u1")) for k in lengths]
            else:
                info = np.iinfo(base)
                arr[name] = rng.integers(info.min, info.max, shape, dtype=base.newbyteorder("="),
                                         endpoint=True)

    fill(out, dtype)
    return out


def leaves(dt: np.dtype, prefix=()):
    """(path, dtype) of every leaf field."""
    for name in dt.names:
        sub = dt.fields[name][0]
        if sub.names is not None:
            yield from leaves(sub, prefix + (name,))
        else:
            yield prefix + (name,), sub


def get(arr, path):
    for p in path:
        arr = arr[p]
    return arr


def assert_same_records(a: np.ndarray, b: np.ndarray) -> None:
    """Every leaf field of `a` and `b` equal (padding ignored)."""
    assert len(a) == len(b)
    for path, _ in leaves(a.dtype):
        np.testing.assert_array_equal(get(a, path), get(b, path), err_msg=".".join(path))


@pytest.fixture
def vertex_store(tmp_path):
    """A store of 1000 colour vertices, record i at position (i, 2i, 3i), colour i."""
    import recstore

    path = tmp_path / "v.recs"
    recs = np.zeros(1000, VERTEX)
    i = np.arange(1000)
    recs["position"] = np.stack([i, 2 * i, 3 * i], axis=1)
    recs["color"] = np.stack([i, i, i], axis=1)
    with recstore.create(path, VERTEX, name="ColoredVertex") as w:
        w.append(recs)
    return path


# Not the fingerprint of any schema in these tests.
COLLIDING = 0x5EED_C011_1DE5_0001

UINT_FIRST = np.dtype([("a", "<u4"), ("b", "<f4")])
FLOAT_FIRST = np.dtype([("a", "<f4"), ("b", "<u4")])


class Colliding:
    """A native store handle whose schema has the fingerprint COLLIDING,
    as a crafted schema sharing another's fingerprint would."""

    #: The native class it wraps (set by the `colliding` fixture).
    native: Any = None

    def __init__(self, handle):
        self._h = handle

    @classmethod
    def open(cls, *args):
        return cls(cls.native.open(*args))

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
    from recstore import _dtype, _native

    monkeypatch.setattr(Colliding, "native", _native.Store)
    monkeypatch.setattr(_native, "Store", Colliding)
    monkeypatch.setattr(_dtype, "_cache", {})
    monkeypatch.setattr(_dtype, "_by_block", {})


@pytest.fixture
def pair_stores(tmp_path):
    """Two stores of 8-byte `Pair` records, `a` and `b` of other types in
    each (UINT_FIRST, FLOAT_FIRST)."""
    import recstore

    paths = []
    for name, dt in [("u", UINT_FIRST), ("f", FLOAT_FIRST)]:
        path = tmp_path / f"{name}.recs"
        with recstore.create(path, dt, name="Pair") as w:
            w.append(np.array([(7, 1.5)], dt))
        paths.append(path)
    return paths

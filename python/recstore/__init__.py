"""recstore: fixed-size typed records in one memory-mapped file, as numpy arrays.

>>> import numpy as np, recstore
>>> dt = np.dtype([("position", "<f4", 3), ("color", "<u2", 3)], align=True)
>>> with recstore.create("mesh.recs", dt, name="Vertex") as w:   # doctest: +SKIP
...     w.append(np.zeros(10, dt)); w.flush()
>>> r = recstore.open("mesh.recs")                                # doctest: +SKIP
>>> r.records["color"].sum()                                      # doctest: +SKIP

Readers never block a writer's appends; while a reader, or an array it
handed out, is alive, a writer's in-place changes (Rust's ``get_mut``,
``truncate``) are refused with :class:`ReadersPresentError`, so the records
under an array never change. ``Reader.records`` is a
read-only numpy array straight over the file's mapping (no copy); it, and
every view of it, keeps the mapping alive after ``close()``. ``refresh()``
picks up what a writer has published since: arrays handed out before keep
showing the records they showed (their mapping stays alive); fetch
``records`` again to see the new ones.

A ``Writer`` holds the store's write lock (a second writer gets
:class:`LockedError`). ``Writer.records`` is a view too, but a writer cannot
append, publish, flush or close while arrays of its records exist: it raises
``BufferError``, as ``mmap.resize`` does. Read through a ``Reader`` to keep
arrays while appending.
"""

from __future__ import annotations

import operator
import os
from typing import Any

import numpy as np

from . import _native
from ._dtype import dtype_of, schema_parts
from .errors import (
    Error,
    IoError,
    NotFoundError,
    PermissionDeniedError,
    AlreadyExistsError,
    DiskFullError,
    PoisonedError,
    CorruptError,
    NotRecstoreError,
    ChecksumError,
    UnsupportedError,
    SchemaMismatchError,
    SchemaError,
    LockedError,
    ReadersPresentError,
    UpdateInProgressError,
    UnsupportedOperationError,
    ReadOnlyError,
    IndexOutOfBoundsError,
    CapacityError,
    RecordLengthError,
    ReplacedError,
    LossyCastError,
    MeshError,
)

__all__ = [
    "open",
    "open_writer",
    "create",
    "schema_of",
    "Reader",
    "Writer",
    "mesh",
    "Error",
    "IoError",
    "NotFoundError",
    "PermissionDeniedError",
    "AlreadyExistsError",
    "DiskFullError",
    "PoisonedError",
    "CorruptError",
    "NotRecstoreError",
    "ChecksumError",
    "UnsupportedError",
    "SchemaMismatchError",
    "SchemaError",
    "LockedError",
    "ReadersPresentError",
    "UpdateInProgressError",
    "UnsupportedOperationError",
    "ReadOnlyError",
    "IndexOutOfBoundsError",
    "CapacityError",
    "RecordLengthError",
    "ReplacedError",
    "LossyCastError",
    "MeshError",
]


def _fspath(path) -> str:
    return os.fsdecode(os.fspath(path))


class _Base:
    __slots__ = ("_h", "_dtype", "_schema", "__weakref__")

    def __init__(self, handle):
        self._h = handle
        self._schema = handle.schema()
        self._dtype = dtype_of(self._schema)

    @property
    def path(self) -> str:
        """The path the store was opened at."""
        return os.fspath(self._h.path)

    @property
    def dtype(self) -> np.dtype:
        """The records' numpy dtype: named fields at their offsets, no padding,
        ``itemsize`` equal to the stride."""
        return self._dtype

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._h.closed

    def __len__(self) -> int:
        return len(self._h)

    def schema(self) -> dict:
        """The stored schema: name, size, align, stride, fingerprint, fields."""
        return dict(self._schema)

    def info(self) -> dict:
        """Facts about the store, named as ``recstore info --json`` names them."""
        s = self._schema
        i = self._h.info()
        out = {"path": self.path, "record": s["name"], "size": s["size"], "align": s["align"],
               "stride": s["stride"], "fingerprint": f"{s['fingerprint']:#018x}",
               "fields": [{"name": n, "type": t, "count": c, "offset": o,
                           "endian": "big" if e == ">" else "little", "padding": p}
                          for n, t, e, c, o, p in s["fields"]],
               "file_size": os.stat(self.path).st_size}
        out.update(i)
        return out

    def verify(self) -> None:
        """Checks every committed record against its checksum; raises
        :class:`ChecksumError` naming the first bad record range."""
        self._h.verify()

    def close(self) -> None:
        """Closes the handle."""
        self._h.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self)} records"
        return f"<recstore.{type(self).__name__} {self.path!r}: {state}>"


class Reader(_Base):
    """A store opened read-only: see :func:`open`."""

    __slots__ = ("_records",)

    def __init__(self, handle):
        super().__init__(handle)
        self._records = None

    @property
    def records(self) -> np.ndarray:
        """All records as a read-only numpy array over the mapping (no copy).
        It keeps the mapping alive after ``close()``."""
        r = self._records
        if r is None:
            r = self._records = np.frombuffer(self._h.mapping(), dtype=self._dtype)
        return r

    def __getitem__(self, index):
        return self.records[index]

    def __iter__(self):
        return iter(self.records)

    def refresh(self) -> bool:
        """Picks up records a writer published since; returns whether any
        changed. Arrays handed out before stay valid and unchanged."""
        self._records = None
        return self._h.refresh()

    def close(self) -> None:
        """Closes the reader. Arrays handed out keep their mapping alive."""
        self._records = None
        self._h.close()

    def __arrow_c_stream__(self, requested_schema: Any = None):
        """The records as an Arrow C stream (Arrow PyCapsule interface): a
        copy, column by column, in batches. Fixed-size arrays are
        ``FixedSizeList`` columns, nested structs are struct columns."""
        return self._h.arrow_stream()

    @property
    def window(self) -> tuple[int, int] | None:
        """The records ``(start, stop)`` of the store this reader shows, if
        it was opened on a window (``open(path, window=...)``), else ``None``."""
        w = self._h.info()["window"]
        return None if w is None else (w[0], w[1])

    def __reduce__(self):
        w = self.window
        if w is None:
            return (open, (self.path,))
        return (open, (self.path, True, w))


class Writer(_Base):
    """A store opened read-write, holding its write lock: see
    :func:`open_writer` and :func:`create`."""

    __slots__ = ()

    @property
    def records(self) -> np.ndarray:
        """The records appended so far (published or not), read-only, no copy.
        The writer cannot append, publish, flush or close while such an
        array exists (``BufferError``)."""
        return np.frombuffer(self._h.mapping(), dtype=self._dtype)

    def append(self, records) -> None:
        """Appends one record or an array of records.

        ``records`` is an array (or scalar) of the store's dtype, or a
        structured array with the same field names whose every field numpy
        converts without loss (``np.can_cast(..., "safe")``), or a tuple of
        field values. A lossy conversion raises :class:`LossyCastError`.
        Appended records are visible to readers after ``publish()`` and
        durable after ``flush()``."""
        arr = _coerce(records, self._dtype)
        self._h.append(arr.view(np.uint8).reshape(-1))

    def publish(self) -> None:
        """Makes every appended record visible to readers (no disk sync)."""
        self._h.publish()

    def flush(self) -> None:
        """Makes every appended record durable (synced to disk)."""
        self._h.flush()

    def close(self) -> None:
        """A clean close: everything appended is made durable."""
        self._h.close()


def open(path, mmap: bool = True, window=None) -> Reader:
    """Opens the store at ``path`` read-only. A reader never blocks a
    writer's appends; it keeps in-place changes away from its records
    (and its arrays') while it lives.

    The records are mapped; with ``mmap=False`` (or where the file cannot
    be mapped) they are read into memory instead: the same arrays, at the
    cost of a copy. ``info()["read_path"]`` says which path was taken.

    ``window=(start, stop)`` (or a ``range`` or ``slice`` of step 1; ``stop``
    ``None`` for up to the committed count) opens only those records:
    ``records[0]`` is record ``start``, ``len()`` is ``stop - start``, and
    only the checksum chunks around them are mapped (or read), so a slice
    of a store larger than the address space opens, and ``verify()``
    checks those chunks only. A window past the committed count raises
    :class:`IndexOutOfBoundsError`. It is fixed: ``refresh()`` returns
    ``False``. ``info()["window"]`` and ``info()["mapped_len"]`` report it."""
    return Reader(_native.Store.open(_fspath(path), False, mmap, _window(window)))


def _window(window) -> tuple[int, int | None] | None:
    """``window=`` as ``(start, stop)`` for the native open."""
    if window is None:
        return None
    if isinstance(window, (range, slice)):
        if window.step not in (None, 1):
            raise ValueError(f"a window is a range of step 1, not {window!r}")
        start, stop = window.start, window.stop
    else:
        try:
            start, stop = window
        except (TypeError, ValueError):
            raise TypeError(f"window= takes (start, stop), a range or a slice, "
                            f"not {window!r}") from None
    def bound(v):
        try:
            n = operator.index(v)
        except TypeError:
            n = -1
        if isinstance(v, bool) or n < 0:
            raise ValueError(f"a window's bounds are record numbers (integers >= 0), "
                             f"not {v!r}")
        return n
    return (0 if start is None else bound(start), None if stop is None else bound(stop))


def open_writer(path) -> Writer:
    """Opens the store at ``path`` read-write; raises :class:`LockedError`
    if another writer holds it."""
    return Writer(_native.Store.open(_fspath(path), True))


def create(path, dtype=None, *, name: str | None = None, schema=None,
           capacity: int | None = None) -> Writer:
    """Creates a new store at ``path`` and returns its writer.

    The record type is a numpy structured dtype (``name`` names the record,
    default ``"Record"``, or the name in a store's dtype), or ``schema=`` a
    schema file (TOML, see docs/SCHEMA.md). ``capacity`` reserves room for
    that many records."""
    if (dtype is None) == (schema is None):
        raise TypeError("pass either a dtype or schema= a schema file")
    if schema is not None:
        s = _native.load_schema_file(_fspath(schema))
        parts = (name or s["name"], s["size"], s["align"], s["fields"])
    else:
        parts = schema_parts(dtype, name)
    return Writer(_native.Store.create(_fspath(path), *parts, capacity))


def schema_of(dtype, name: str | None = None) -> dict:
    """The schema a store created from ``dtype`` would have (with its
    fingerprint), checked by the library: the same as the Rust type's."""
    return _native.check_schema(*schema_parts(dtype, name))


def _leaf_paths(dt: np.dtype, prefix=()):
    assert dt.names is not None and dt.fields is not None
    for name in dt.names:
        sub = dt.fields[name][0]
        if sub.names is not None:
            yield from _leaf_paths(sub, prefix + (name,))
        else:
            yield prefix + (name,), sub


def _get(arr, path):
    for p in path:
        arr = arr[p]
    return arr


def _coerce(records, dtype: np.dtype) -> np.ndarray:
    """``records`` as a C-contiguous 1-d array of ``dtype``, or
    :class:`LossyCastError`."""
    if isinstance(records, tuple):
        return _from_tuple(records, dtype)
    arr = np.asarray(records)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"records to append must be one record or a 1-d array, not shape {arr.shape}")
    if arr.dtype == dtype:
        return np.ascontiguousarray(arr)
    if arr.dtype.names is None:
        raise LossyCastError(f"cannot append an array of {arr.dtype} to a store of {dtype}: "
                             f"pass a structured array with the store's field names")
    src = dict(_leaf_paths(arr.dtype))
    dst = dict(_leaf_paths(dtype))
    if set(src) != set(dst):
        missing = sorted(".".join(p) for p in set(dst) - set(src))
        extra = sorted(".".join(p) for p in set(src) - set(dst))
        raise LossyCastError(f"cannot append: the fields differ from the store's "
                             f"(missing {missing}, not in the store {extra})")
    for path, d in dst.items():
        s = src[path]
        s_base, s_shape = s.subdtype if s.subdtype else (s, ())
        d_base, d_shape = d.subdtype if d.subdtype else (d, ())
        if s_shape != d_shape or not np.can_cast(s_base, d_base, "safe"):
            raise LossyCastError(f"cannot append: field {'.'.join(path)!r} is {s}, and converting "
                                 f"it to the store's {d} could lose data; convert it yourself "
                                 f"(arr.astype(...)) if that is what you want")
    out = np.zeros(len(arr), dtype=dtype)
    for path, _ in dst.items():
        _get(out, path)[...] = _get(arr, path)
    return out


def _from_tuple(values: tuple, dtype: np.dtype) -> np.ndarray:
    def check(v, dt, where):
        if dt.names is not None:
            if not isinstance(v, tuple) or len(v) != len(dt.names):
                raise LossyCastError(f"{where or 'the record'} needs a tuple of {len(dt.names)} "
                                     f"values {dt.names}, not {v!r}")
            for x, n in zip(v, dt.names):
                check(x, dt.fields[n][0], f"{where}.{n}" if where else n)
            return
        base = dt.subdtype[0] if dt.subdtype else dt
        a = np.asarray(v)
        if a.dtype.kind in "fc" and base.kind in "iu":
            raise LossyCastError(f"field {where!r} is {base}, not {v!r} (a float)")
        if a.dtype.kind in "iu" and base.kind in "iu":
            info = np.iinfo(base)
            if a.size and (a.min() < info.min or a.max() > info.max):
                raise LossyCastError(f"field {where!r} is {base}: {v!r} is out of its range")
    check(values, dtype, "")
    return np.array([values], dtype=dtype)


from . import mesh  # noqa: E402 (needs the names above)

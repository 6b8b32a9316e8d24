"""Many stores as one Dask DataFrame: :func:`read_stores`.

>>> import recstore.dask                                            # doctest: +SKIP
>>> df = recstore.dask.read_stores("logs/*.recs", columns=["sensor_id", "value"])
>>> df.groupby("sensor_id")["value"].sum().compute()                # doctest: +SKIP

One partition per store (or per range of ``partition_records`` records of a
store). Each partition is read on a Dask worker through the zero-copy reader:
the worker opens a window of the store on its range (``recstore.open(path,
window=(start, stop))``), which maps only the pages of that range, however
large the store, and copies the chosen columns into a pandas DataFrame.

Columns are named as ``recstore export --format csv`` names them: a scalar
field is one column (nested fields dotted, ``position.x``), each element of
a fixed-size array is its own column (``position[0]``, ``position[1]``, ...),
padding is left out. The index is the record's number within its store.

**A snapshot as of planning.** ``read_stores`` opens every store once on the
client (headers only, no data) to check that all hold the same record type
and to count their records; each partition then reads exactly the records
its store had published at that moment. Records appended (and published)
later are not in the DataFrame: call ``read_stores`` again to see them. A
store that has fewer records when a partition reads it than when it was
planned (it was truncated, or replaced by another file) makes that partition
fail with :class:`recstore.CorruptError` naming the store, rather than
return other data. See docs/SCALE-OUT.md.

Dask is imported only when :func:`read_stores` is called: ``import recstore``
never needs it. Install it with ``pip install "dask[dataframe]" distributed``.
"""

from __future__ import annotations

import glob
import os
from typing import Any, Iterable, Sequence

import numpy as np

from ._dtype import _TO_NUMPY
from .errors import (CorruptError, Error, IndexOutOfBoundsError, NotFoundError,
                     SchemaMismatchError)

__all__ = ["read_stores", "columns_of"]


def _error(cls: type[Error], message: str, path: str) -> Error:
    err = cls(message)
    err.path = path
    return err


def columns_of(schema: dict) -> list[tuple[str, str, int | None, str]]:
    """The DataFrame columns of a store's schema (``Reader.schema()``), in
    record order: ``(column, field, element, numpy type)``; ``element`` is
    ``None`` for a scalar field, else the index of the array element."""
    out: list[tuple[str, str, int | None, str]] = []
    for name, ty, _endian, count, _offset, padding in schema["fields"]:
        if padding:
            continue
        np_type = np.dtype(_TO_NUMPY[ty]).str
        if count == 1:
            out.append((name, name, None, np_type))
        else:
            out.extend((f"{name}[{e}]", name, e, np_type) for e in range(count))
    return out


def _listing(columns: list, typed: bool) -> str:
    """Column names (``columns_of``) for a message, with their types if ``typed``."""
    return ", ".join(f"{c[0]} {np.dtype(c[3]).name}" if typed else c[0] for c in columns)


def _select(available: list, columns) -> list:
    """The columns named by ``columns`` (field names, which take all their
    elements, or column names), in the order asked."""
    if columns is None:
        return list(available)
    if isinstance(columns, str):
        columns = [columns]
    by_column = {c[0]: c for c in available}
    by_field: dict[str, list] = {}
    for c in available:
        by_field.setdefault(c[1], []).append(c)
    out, seen = [], set()
    for name in columns:
        picked = [by_column[name]] if name in by_column else by_field.get(name)
        if picked is None:
            raise KeyError(f"no column or field {name!r} in the stores; the columns are "
                           f"{', '.join(c[0] for c in available)}")
        for c in picked:
            if c[0] not in seen:
                seen.add(c[0])
                out.append(c)
    if not out:
        raise ValueError("columns= selects no column; name at least one field or column")
    return out


def _expand(paths_or_glob) -> list[str]:
    """Store paths, absolute and each once, from a path, a glob, or a list
    of either."""
    if isinstance(paths_or_glob, (str, bytes, os.PathLike)):
        items: Iterable = [paths_or_glob]
    else:
        items = paths_or_glob
    out: list[str] = []
    for item in items:
        p = os.fsdecode(os.fspath(item))
        if glob.has_magic(p):
            found = sorted(f for f in glob.glob(p, recursive=True) if os.path.isfile(f))
            if not found:
                raise _error(NotFoundError, f"no store matches {p!r} (globs are expanded on the "
                             f"client, relative to {os.getcwd()!r}): check the pattern and "
                             f"that the stores' filesystem is mounted here", p)
            out.extend(os.path.abspath(f) for f in found)
        elif os.path.isdir(p):
            raise IsADirectoryError(f"{p!r} is a directory: pass a glob of its stores, such as "
                                    f"{os.path.join(p, '*.recs')!r}")
        else:
            out.append(os.path.abspath(p))
    if not out:
        raise ValueError("read_stores needs at least one store path or glob")
    # a store named twice (by a path and a glob, say) is read once
    return list(dict.fromkeys(out))


def _native_dtype(np_type: str) -> np.dtype:
    return np.dtype(np_type).newbyteorder("=")


class _ReadRange:
    """Reads one range of one store into a pandas DataFrame (runs on a
    worker). Its ``columns=`` keyword lets dask read only the columns a
    computation uses (dask's column projection of ``from_map``)."""

    def __init__(self, columns: Sequence[tuple], schema: dict):
        self._columns = tuple(columns)
        self._schema = schema

    def _check_schema(self, path: str, reader) -> None:
        # the whole schema: another can share its 64-bit fingerprint
        schema = reader.schema()
        if schema != self._schema:
            raise _error(SchemaMismatchError,
                         f"{path}: the store's schema ({schema['name']} records, fingerprint "
                         f"{schema['fingerprint']:#018x}) is no longer the one read_stores "
                         f"planned with ({self._schema['name']} records, fingerprint "
                         f"{self._schema['fingerprint']:#018x}); the file was replaced: call "
                         f"read_stores again", path)

    def __call__(self, piece: tuple[str, int, int], columns=None):
        import pandas as pd  # type: ignore[import-untyped,unused-ignore]

        from . import open as open_store

        path, start, stop = piece
        chosen = self._columns
        if columns is not None:
            by_name = {c[0]: c for c in self._columns}
            chosen = tuple(by_name[c] for c in columns)
        try:
            # one published commit; only the pages of [start, stop) are mapped
            reader = open_store(path, window=(start, stop))
        except IndexOutOfBoundsError:
            # fewer records than planned: another file, or a truncated store
            with open_store(path, window=(0, 0)) as empty:
                self._check_schema(path, empty)
                count = empty.info()["count"]
            raise _error(CorruptError,
                         f"{path}: the store has {count} published records, fewer than the "
                         f"{stop} it had when read_stores planned this read; it was "
                         f"truncated or replaced while being read: call read_stores again",
                         path) from None
        with reader:
            self._check_schema(path, reader)
            # a zero-copy view of the records [start, stop)
            records = reader.records
            data: dict[str, Any] = {}
            for name, field, element, np_type in chosen:
                values = records
                for part in field.split("."):
                    values = values[part]
                if element is not None:
                    values = values[:, element]
                # the copy that leaves the mapping: native byte order, contiguous
                data[name] = np.array(values, dtype=_native_dtype(np_type), copy=True)
            del records
        return pd.DataFrame(data, index=pd.RangeIndex(start, stop))


def read_stores(paths_or_glob, columns=None, *, partition_records: int | None = None):
    """Many stores of one record type as one lazy ``dask.dataframe.DataFrame``.

    ``paths_or_glob`` is a store path, a glob (``"data/**/*.recs"``) or a
    list of paths and globs; globs are expanded on the client, in sorted
    order, and an empty match raises :class:`recstore.NotFoundError`; a
    store named twice is read once.
    ``columns`` selects fields (``"position"`` takes all its elements) or
    single columns (``"position[0]"``, ``"color.r"``), in the order given.
    ``partition_records`` splits every store into partitions of at most that
    many records (default: one partition per store).

    The client opens every store (its header only) to check that all hold
    the same record type (else :class:`recstore.SchemaMismatchError`) and to
    fix the range each partition reads; the DataFrame is the stores as they
    were published at that moment (see the module's doc). ``meta`` comes
    from the first store's schema, without reading any data.
    """
    try:
        import dask
        import dask.dataframe as dd
        import pandas as pd  # type: ignore[import-untyped,unused-ignore]
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(f"recstore.dask needs dask's DataFrame: pip install "
                          f"\"dask[dataframe]\" distributed ({e})") from e
    from . import open as open_store

    if partition_records is not None and (
            isinstance(partition_records, bool) or not isinstance(partition_records, int)
            or partition_records < 1):
        raise ValueError(f"partition_records must be a positive integer, not {partition_records!r}")

    paths = _expand(paths_or_glob)
    first_schema = None
    pieces: list[tuple[str, int, int]] = []
    for path in paths:
        # an empty window: the header and the commit, no record mapped
        with open_store(path, window=(0, 0)) as reader:
            schema = reader.schema()
            count = reader.info()["count"]
        if first_schema is None:
            first_schema = schema
        elif schema != first_schema:  # the whole schema, not only its fingerprint
            found, planned = columns_of(schema), columns_of(first_schema)
            # the columns' types too where their names do not tell them apart
            typed = [c[0] for c in found] == [c[0] for c in planned]
            raise _error(
                SchemaMismatchError,
                f"{path} holds {schema['name']} records ({_listing(found, typed)}), but "
                f"{paths[0]} holds {first_schema['name']} records "
                f"({_listing(planned, typed)}): read_stores reads stores "
                f"of one record type; read each type with its own read_stores call", path)
        step = partition_records or max(count, 1)
        pieces.extend((path, a, min(a + step, count)) for a in range(0, max(count, 1), step))
    assert first_schema is not None

    chosen = _select(columns_of(first_schema), columns)
    meta = pd.DataFrame({c[0]: np.empty(0, dtype=_native_dtype(c[3])) for c in chosen},
                        index=pd.RangeIndex(0, 0), columns=[c[0] for c in chosen])
    func = _ReadRange(chosen, first_schema)
    # records hold numbers only: no string columns for dask to convert to
    # Arrow strings, so no conversion step (a task per partition) either
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_map(func, pieces, meta=meta, label="read-recstore",
                           enforce_metadata=False)

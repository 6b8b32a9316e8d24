"""numpy dtypes from recstore schemas and back.

A schema crosses from Rust as a dict (``name``, ``size``, ``align``,
``stride``, ``fingerprint``, ``fields``: tuples ``(name, type, endian,
count, offset, padding)``). Its dtype has the data fields at their offsets,
``bool`` fields as numpy ``bool`` (``?``; a byte other than 0 or 1 reads as
True in numpy: check ``arr.view('u1')`` when it matters), ``text`` fields
as ``S<count>`` (bytes without the NUL padding: ``.decode()`` them),
nested structs (dotted names such as ``position.x``) as nested structured
dtypes, arrays as subarrays, the byte order of each field, no padding
fields, and ``itemsize`` equal to the stride. The record name, the
alignment and the padding fields' names ride in ``dtype.metadata`` so that
``create(path, reader.dtype)`` makes the very same schema.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import SchemaError

_TO_NUMPY = {"u8": "u1", "i8": "i1", "u16": "u2", "i16": "i2", "u32": "u4", "i32": "i4",
             "u64": "u8", "i64": "i8", "f32": "f4", "f64": "f8", "bool": "b1", "text": "S1"}
_FROM_NUMPY = {np.dtype(v).str[1:]: k for k, v in _TO_NUMPY.items() if k != "text"}
#: dtypes by fingerprint, each with the schema it was built from: a hit
#: needs the whole schema equal, not only its 64-bit fingerprint, which a
#: crafted schema can share with another (FNV-1a is no cryptographic hash)
#: to be read through the other's dtype. The fingerprint finds the entry
#: at once; one dict comparison then costs less than hashing a whole-schema key.
_cache: dict[int, list[tuple[dict, np.dtype]]] = {}
#: dtypes of open handles by their schema block (``dtype_of_store``).
_by_block: dict[bytes, np.dtype] = {}


def _width(f) -> int:
    """Bytes of a field tuple."""
    return f[3] if f[5] else np.dtype(_TO_NUMPY[f[1]]).itemsize * f[3]


def _group(fields: list, depth: int) -> list:
    """Fields grouped by the name part at ``depth``, in order."""
    out: list[tuple[str, object]] = []
    for f in fields:
        parts = f[0].split(".")
        head = parts[depth]
        if len(parts) == depth + 1:
            out.append((head, f))
        elif out and out[-1][0] == head and isinstance(out[-1][1], list):
            out[-1][1].append(f)
        else:
            out.append((head, [f]))
    return out


def _struct(fields, depth, base, itemsize, metadata=None):
    names, formats, offsets = [], [], []
    for name, x in _group(fields, depth):
        if isinstance(x, list):
            if all(f[5] for f in x):
                continue
            lo = min(f[4] for f in x)
            hi = max(f[4] + _width(f) for f in x)
            names.append(name)
            formats.append(_struct(x, depth + 1, lo, hi - lo))
            offsets.append(lo - base)
            continue
        _, ty, endian, count, offset, padding = x
        if padding:
            continue
        names.append(name)
        if ty == "text":
            formats.append(np.dtype(f"S{count}"))  # one text of `count` bytes
        else:
            scalar = np.dtype(endian + _TO_NUMPY[ty])
            formats.append((scalar, (count,)) if count != 1 else scalar)
        offsets.append(offset - base)
    spec = {"names": names, "formats": formats, "offsets": offsets, "itemsize": itemsize}
    if metadata is None:
        return np.dtype(spec)
    return np.dtype(spec, metadata=metadata)


def dtype_of(schema: dict) -> np.dtype:
    """The numpy dtype of a schema dict (cached, by the whole schema)."""
    entries = _cache.get(schema["fingerprint"])
    if entries is not None:
        for known, dt in entries:
            if known == schema:
                return dt
    padding = [(f[0], f[4], f[3]) for f in schema["fields"] if f[5]]
    meta = {"recstore": {"name": schema["name"], "align": schema["align"], "padding": padding}}
    dt = _struct(schema["fields"], 0, 0, schema["stride"], meta)
    # A copy: the caller may change its dict (or its list of fields) later.
    known = {**schema, "fields": list(schema["fields"])}
    _cache.setdefault(schema["fingerprint"], []).append((known, dt))
    return dt


def dtype_of_store(handle) -> np.dtype:
    """The numpy dtype of an open ``_native.Store``: from the cache by its
    schema block (the whole schema, canonical), without building its
    schema dict, when it is there."""
    block = handle.schema_block
    cached = _by_block.get(block)
    if cached is None:
        cached = _by_block[block] = dtype_of(handle.schema())
    return cached


def _leaves(dt: np.dtype, prefix: str, base: int, out: list):
    assert dt.names is not None and dt.fields is not None
    for name in dt.names:
        sub, offset = dt.fields[name][:2]
        full = prefix + name
        if sub.names is not None:
            _leaves(sub, full + ".", base + offset, out)
            continue
        scalar, shape = (sub.subdtype if sub.subdtype is not None else (sub, ()))
        count = math.prod(shape)
        if name.startswith("_") or scalar.kind == "V" and scalar.names is None:
            if not name.startswith("_"):
                raise SchemaError(f"field {full!r} is raw bytes ({sub}); name it with a leading "
                                  f"underscore to make it padding, or give it a numeric type")
            out.append((full, "u8", "<", sub.itemsize, base + offset, True))
            continue
        if scalar.kind == "S":
            if count != 1:
                raise SchemaError(f"field {full!r} is an array of byte strings ({sub}); recstore "
                                  f"stores one text per field: use a nested struct per text")
            out.append((full, "text", "<", scalar.itemsize, base + offset, False))
            continue
        ty = _FROM_NUMPY.get(scalar.str[1:])
        if ty is None or scalar.kind not in "uifb":
            raise SchemaError(f"field {full!r} has dtype {scalar}; recstore stores unsigned and "
                              f"signed integers of 1 to 8 bytes, float32/float64, bool and "
                              f"byte strings (S<n>, UTF-8 text)")
        endian = ">" if scalar.byteorder == ">" or (scalar.byteorder == "=" and
                                                   np.little_endian is False) else "<"
        out.append((full, ty, endian, count, base + offset, False))


def schema_parts(dtype, name: str | None = None) -> tuple[str, int, int, list]:
    """``(name, size, align, fields)`` of a numpy structured dtype.

    Gaps between fields (and at the end) become padding fields, named as in
    the dtype's metadata when it came from a store, else ``_pad`` (one gap)
    or ``_pad0``, ``_pad1``, ... Fields whose name starts with ``_`` are
    padding too, as in ``#[derive(Record)]``. The alignment is the largest
    element size, as ``#[repr(C)]`` makes it.
    """
    dt = np.dtype(dtype)
    if dt.names is None:
        raise SchemaError(f"a store needs a structured dtype (with named fields), not {dt}; "
                          f"e.g. np.dtype([('position', '<f4', 3), ('color', '<u2', 3)])")
    meta = (dt.metadata or {}).get("recstore", {})
    fields: list = []
    _leaves(dt, "", 0, fields)
    fields.sort(key=lambda f: f[4])
    named = {offset: (pname, length) for pname, offset, length in meta.get("padding", [])}
    gaps, at = [], 0
    for f in fields + [(None, "u8", "<", 0, dt.itemsize, True)]:
        size = _width(f)
        if f[4] > at:
            gaps.append((at, f[4] - at))
        elif f[4] < at:
            raise SchemaError(f"field {f[0]!r} at byte {f[4]} overlaps the field before it; "
                              f"recstore fields do not overlap")
        at = max(at, f[4] + size)
    for i, (offset, length) in enumerate(gaps):
        pname = named.get(offset, (None, None))[0]
        if pname is None or named[offset][1] != length:
            pname = "_pad" if len(gaps) == 1 else f"_pad{i}"
        fields.append((pname, "u8", "<", length, offset, True))
    fields.sort(key=lambda f: f[4])
    align = meta.get("align") or max(
        [np.dtype(_TO_NUMPY[f[1]]).itemsize for f in fields if not f[5]] or [1])
    return (name or meta.get("name") or "Record", dt.itemsize, int(align), fields)

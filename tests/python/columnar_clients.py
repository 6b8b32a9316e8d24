"""Real clients read recstore's columnar exports: DuckDB runs SQL over a
Parquet file and over a directory of them, pyarrow reads the Arrow IPC file
(and the Parquet file, to the same table), numpy maps the .npy file. Every
sum must equal the one recstore computed, and text and bool fields must
read as strings and booleans with recstore's values (cli/tests/columnar_clients.rs
writes them to the JSON file given as argument). Exits non-zero, never
skips, when a client is missing: run scripts/setup-python.sh.
"""

import json
import re
import sys

try:
    import duckdb
    import numpy as np
    import pyarrow as pa
    import pyarrow.ipc
    import pyarrow.parquet as pq
except ImportError as e:
    sys.exit(f"{e}: the columnar client tests need duckdb, pyarrow and numpy; run scripts/setup-python.sh")

failures = []


def check(what, got, want):
    if got != want:
        failures.append(f"{what}: got {got!r}, recstore says {want!r}")


def sql_column(name):
    """`position[0]` -> "position"[1] (DuckDB lists are 1-based); `a.b` -> "a"."b"."""
    m = re.fullmatch(r"(.*)\[(\d+)\]", name)
    base, index = (m.group(1), int(m.group(2)) + 1) if m else (name, None)
    expr = ".".join(f'"{part}"' for part in base.split("."))
    return f"{expr}[{index}]" if index is not None else expr


def arrow_column(table, name):
    """The values of `name` (dotted, maybe `[i]`) as a numpy array."""
    m = re.fullmatch(r"(.*)\[(\d+)\]", name)
    base, index = (m.group(1), int(m.group(2))) if m else (name, None)
    parts = base.split(".")
    col = table.column(parts[0]).combine_chunks()
    for p in parts[1:]:
        col = col.field(p)
    if index is not None:
        width = col.type.list_size
        return np.asarray(col.flatten()).reshape(-1, width)[:, index]
    return np.asarray(col)


def total(values):
    if values.dtype.kind == "f":
        return float(values.sum(dtype=np.float64))
    return int(values.sum(dtype=np.int64))


def main():
    exp = json.load(open(sys.argv[1]))
    con = duckdb.connect()

    # DuckDB: one file, and a directory of files.
    for case in ("vertices", "particles", "many"):
        e = exp[case]
        names = sorted(e["sums"])
        exprs = ", ".join(f"sum({sql_column(n)})" for n in names)
        row = con.execute(f"SELECT count(*), {exprs} FROM read_parquet('{e['parquet']}')").fetchone()
        check(f"duckdb {case} count", row[0], e["count"])
        for n, got in zip(names, row[1:]):
            want = e["sums"][n]
            check(f"duckdb {case} sum({n})", float(got) if isinstance(want, float) else int(got), want)

    # pyarrow: the Arrow IPC file, with the recstore schema in its metadata,
    # and the Parquet file, to the same table.
    for case in ("vertices", "particles"):
        e = exp[case]
        with pa.ipc.open_file(e["arrow"]) as f:
            table = f.read_all()
        check(f"pyarrow {case} rows", table.num_rows, e["count"])
        check(f"pyarrow {case} schema metadata", b"recstore:schema" in (table.schema.metadata or {}), True)
        for n, want in e["sums"].items():
            check(f"pyarrow {case} sum({n})", total(arrow_column(table, n)), want)
        from_parquet = pq.read_table(e["parquet"])
        check(f"pyarrow {case}: parquet == arrow", from_parquet.equals(table), True)

    # numpy: the .npy file maps, and its records are the store's, byte for byte.
    for case in ("vertices", "particles"):
        e = exp[case]
        a = np.load(e["npy"], mmap_mode="r")
        check(f"numpy {case} is a memmap", isinstance(a, np.memmap), True)
        check(f"numpy {case} itemsize", a.dtype.itemsize, e["stride"])
        check(f"numpy {case} shape", a.shape, (e["count"],))
        store = np.memmap(e["store"], dtype=a.dtype, mode="r", offset=e["data_offset"], shape=(e["count"],))
        check(f"numpy {case} records equal the store's", a.tobytes() == store.tobytes(), True)
        for n, want in e["sums"].items():
            m = re.fullmatch(r"(.*)\[(\d+)\]", n)
            values = a[m.group(1)][:, int(m.group(2))] if m else a[n]
            check(f"numpy {case} sum({n})", total(values), want)

    # Text and bool fields: strings and booleans to every client.
    e = exp["tagged"]
    want = list(zip(e["labels"], e["units"], e["valid"]))
    rel = con.execute(f"SELECT label, unit, valid, typeof(label), typeof(valid) "
                      f"FROM read_parquet('{e['parquet']}')").fetchall()
    check("duckdb tagged values", [r[:3] for r in rel], want)
    check("duckdb tagged types", {(r[3], r[4]) for r in rel}, {("VARCHAR", "BOOLEAN")})
    with pa.ipc.open_file(e["arrow"]) as f:
        table = f.read_all()
    for source, t in (("arrow", table), ("parquet", pq.read_table(e["parquet"]))):
        check(f"pyarrow {source} tagged types",
              [str(t.schema.field(n).type) for n in ("label", "unit", "valid")],
              ["string", "string", "bool"])
        check(f"pyarrow {source} tagged values",
              list(zip(*(t.column(n).to_pylist() for n in ("label", "unit", "valid")))), want)
    a = np.load(e["npy"])
    check("numpy tagged dtype", [a.dtype[n].str for n in ("label", "unit", "valid")], ["|S16", "|S3", "|b1"])
    check("numpy tagged values",
          [(r["label"].decode(), r["unit"].decode(), bool(r["valid"])) for r in a], want)

    if failures:
        sys.exit("\n".join(failures))
    print("ok")


main()

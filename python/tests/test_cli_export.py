"""The arrays Python reads are the records the Rust CLI exports, field by
field, for every bundled schema, and a store the CLI imported reads the same
from Python."""

import csv
import json

import numpy as np
import pytest
import recstore

from conftest import ROOT, SCHEMAS, get, leaves, random_records, run_cli


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda p: p.stem)
def test_python_arrays_equal_the_cli_export(tmp_path, schema):
    path = tmp_path / "s.recs"
    with recstore.create(path, schema=schema) as w:
        w.append(random_records(w.dtype, 300, seed=3))
    out = tmp_path / "out.csv"
    run_cli("export", path, out)
    with open(out, newline="", encoding="utf-8") as f:
        header, *cells = list(csv.reader(f))
    r = recstore.open(path)
    assert len(cells) == len(r)
    for p, dt in leaves(r.dtype):
        base = dt.subdtype[0] if dt.subdtype else dt
        name = ".".join(p)
        cols = [i for i, h in enumerate(header) if h == name or h.startswith(name + "[")]
        assert cols, f"no column {name} in {header}"
        values = [[row[i] for i in cols] for row in cells]
        if base.kind == "b":
            values = [[{"true": True, "false": False}[v] for v in row] for row in values]
        elif base.kind == "S":
            values = [[v.encode() for v in row] for row in values]
        exported = np.array(values, dtype=np.float64
                            if base.kind == "f" else object).astype(base.newbyteorder("="))
        mine = get(r.records, p).reshape(len(r), -1)
        np.testing.assert_array_equal(mine, exported, err_msg=name)


def test_a_store_the_cli_imported_reads_the_same(tmp_path):
    path = tmp_path / "demo.recs"
    run_cli("create", path, "--schema", ROOT / "schemas/colored_vertex.toml")
    run_cli("import", path, ROOT / "samples/colored_vertex.csv")
    lines = (ROOT / "samples/colored_vertex.csv").read_text().splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","))) for line in lines[1:] if line]
    r = recstore.open(path)
    assert len(r) == len(rows)
    for i, row in enumerate(rows):
        for col, text in row.items():
            name, _, element = col.partition("[")
            value = get(r.records[i], (name,))
            if element:
                value = value[int(element.rstrip("]"))]
            assert value == np.array(text, dtype=value.dtype), (i, col)
    info = json.loads(run_cli("info", path, "--json").stdout)
    mine = r.info()
    for key in ("record", "size", "align", "stride", "fingerprint", "fields", "count",
                "capacity", "data_offset", "chunk_records", "sequence", "format_version"):
        assert mine[key] == info[key], key

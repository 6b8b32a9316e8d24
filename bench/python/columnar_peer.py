"""recstore's columnar exports against the Python tools people would use
instead (issue 15), timed in one run on the same data:

- Parquet export: `recstore export v.recs v.parquet` against pyarrow
  building the same table from a numpy structured array and writing it
  with `pq.write_table(compression="zstd")` (goal >= 1x);
- Parquet import: `recstore import` (read, check, append, durable commit)
  against `pq.read_table` (goal >= 0.8x);
- .npy export: `recstore export v.recs v.npy` against `numpy.save`
  (goal >= 0.9x);
- DuckDB: the same query over the Parquet export and over `read_csv` of
  the CSV export.

recstore runs as the release binary (target/release/recstore), timed as a
whole process; the Python baselines are timed in-process (imports excluded).
Each cell is the median of --runs runs. With --memory N it instead exports
an N-record store to Parquet and reports the peak RSS of the process (and
its anonymous and file-backed parts).

Usage: columnar_peer.py [--n 10000000] [--runs 3] [--quick] [--memory N]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = ROOT / "target" / "release" / "recstore"
DTYPE = np.dtype({"names": ["position", "color"], "formats": [("<f4", 3), ("<u2", 3)],
                  "offsets": [0, 12], "itemsize": 20})


def vertices(n, seed=1):
    rng = np.random.default_rng(seed)
    a = np.zeros(n, dtype=DTYPE)
    # A mesh-like spread: positions on a grid with noise, colours in bands.
    a["position"] = (rng.standard_normal((n, 3)) * 10).astype(np.float32)
    a["color"] = rng.integers(0, 4096, (n, 3), dtype=np.uint16) * 16
    return a


def table_from_numpy(a):
    cols = {}
    for name in a.dtype.names:
        v = np.ascontiguousarray(a[name])
        width = v.shape[1]
        cols[name] = pa.FixedSizeListArray.from_arrays(pa.array(v.reshape(-1)), width)
    return pa.table(cols)


def recstore(*args):
    subprocess.run([str(BIN), *map(str, args)], check=True, stdout=subprocess.DEVNULL)


def timed(fn, runs, before=None):
    times = []
    for _ in range(runs):
        if before:
            before()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def rm(*paths):
    for p in paths:
        if os.path.exists(p):
            os.remove(p)


def compare(n, runs, d):
    a = vertices(n)
    src = d / "src.npy"
    np.save(src, a)
    store = d / "v.recs"
    recstore("create", store, "--like", src)
    recstore("import", store, src)
    rows = []

    def row(what, ours, theirs, goal):
        ratio = theirs / ours
        rows.append((what, ours, theirs, ratio, goal))

    pq_out, pa_out = d / "v.parquet", d / "pa.parquet"
    ours = timed(lambda: recstore("export", store, pq_out), runs, lambda: rm(pq_out))
    theirs = timed(lambda: pq.write_table(table_from_numpy(a), pa_out, compression="zstd"), runs)
    row("Parquet export (vs pyarrow from numpy, zstd)", ours, theirs, 1.0)
    sizes = (os.path.getsize(pq_out), os.path.getsize(pa_out))

    imp = d / "imp.recs"
    ours = timed(lambda: recstore("import", imp, pq_out), runs,
                 lambda: (rm(imp), recstore("create", imp, "--like", pq_out)))
    theirs = timed(lambda: pq.read_table(pq_out), runs)
    row("Parquet import (vs pq.read_table)", ours, theirs, 0.8)
    theirs1 = timed(lambda: pq.read_table(pq_out, use_threads=False), runs)
    row("Parquet import (vs pq.read_table, 1 thread)", ours, theirs1, None)

    npy_out, np_out = d / "v.npy", d / "np.npy"
    ours = timed(lambda: recstore("export", store, npy_out), runs, lambda: rm(npy_out))
    theirs = timed(lambda: np.save(np_out, a), runs, lambda: rm(np_out))
    row(".npy export (vs numpy.save)", ours, theirs, 0.9)

    arrow_out = d / "v.arrow"
    ours = timed(lambda: recstore("export", store, arrow_out), runs, lambda: rm(arrow_out))
    theirs = timed(lambda: pa.ipc.new_file(str(d / "pa.arrow"), table_from_numpy(a).schema).close(), 1)

    def write_ipc():
        t = table_from_numpy(a)
        with pa.ipc.new_file(str(d / "pa.arrow"), t.schema) as w:
            w.write_table(t)
    theirs = timed(write_ipc, runs)
    row("Arrow IPC export (vs pyarrow from numpy)", ours, theirs, None)

    csv_out = d / "v.csv"
    recstore("export", store, csv_out)
    con = duckdb.connect()
    q_pq = f"SELECT sum(color[1]), sum(position[1]) FROM read_parquet('{pq_out}')"
    q_csv = f"SELECT sum(\"color[0]\"), sum(\"position[0]\") FROM read_csv('{csv_out}')"
    a1, a2 = con.execute(q_pq).fetchone(), con.execute(q_csv).fetchone()
    assert a1[0] == a2[0], (a1, a2)
    t_pq = timed(lambda: con.execute(q_pq).fetchone(), runs)
    t_csv = timed(lambda: con.execute(q_csv).fetchone(), runs)

    print(f"## Columnar export and import (issue 15), N = {n:,} colour vertices, median of {runs}\n")
    print("| workload | recstore | baseline | ratio (baseline / recstore) | goal |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for what, ours, theirs, ratio, goal in rows:
        g = f">= {goal}x" if goal else "-"
        print(f"| {what} | {ours * 1e3:.0f} ms | {theirs * 1e3:.0f} ms | {ratio:.2f}x | {g} |")
    print(f"\nParquet sizes: recstore {sizes[0] / 1e6:.1f} MB, pyarrow {sizes[1] / 1e6:.1f} MB.")
    print(f"DuckDB `sum` over the Parquet export: {t_pq * 1e3:.0f} ms; over `read_csv` of the CSV export "
          f"({os.path.getsize(csv_out) / 1e6:.0f} MB): {t_csv * 1e3:.0f} ms ({t_csv / t_pq:.1f}x slower).")


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmHWM", "RssAnon", "RssFile", "VmRSS"):
                out[k] = int(v.split()[0]) * 1024
    return out


def memory(n, d):
    src = d / "big.npy"
    chunk = 10_000_000
    m = np.lib.format.open_memmap(src, mode="w+", dtype=DTYPE, shape=(n,))
    for i in range(0, n, chunk):
        m[i:i + chunk] = vertices(min(chunk, n - i), seed=i)
    m.flush()
    del m
    store = d / "big.recs"
    recstore("create", store, "--like", src)
    t = time.perf_counter()
    recstore("import", store, src)
    t_import = time.perf_counter() - t
    os.remove(src)
    out = d / "big.parquet"
    p = subprocess.Popen([str(BIN), "export", str(store), str(out)], stdout=subprocess.DEVNULL)
    peak = {"RssAnon": 0, "RssFile": 0, "VmHWM": 0}
    t = time.perf_counter()
    while p.poll() is None:
        try:
            s = status(p.pid)
        except (FileNotFoundError, ProcessLookupError):
            break
        for k in peak:
            peak[k] = max(peak[k], s.get(k, 0))
        time.sleep(0.05)
    elapsed = time.perf_counter() - t
    assert p.returncode == 0
    print(f"## Peak memory of a Parquet export, N = {n:,} ({os.path.getsize(store) / 1e9:.1f} GB store, "
          f"{os.path.getsize(out) / 1e9:.2f} GB Parquet, {elapsed:.0f} s; the .npy import took {t_import:.0f} s)\n")
    print(f"peak RSS (VmHWM) {peak['VmHWM'] / 2**20:.0f} MiB; of it, at most {peak['RssAnon'] / 2**20:.0f} MiB "
          f"anonymous (heap) and {peak['RssFile'] / 2**20:.0f} MiB file-backed (the store's mapped pages, page cache)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="a smoke run: 10^5 records, 1 run")
    ap.add_argument("--memory", type=int, default=0)
    ap.add_argument("--dir", default=None, help="where to put the files (default: a temporary directory)")
    args = ap.parse_args()
    if not BIN.exists():
        sys.exit(f"{BIN} is missing: cargo build --release -p recstore-cli")
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        if args.memory:
            memory(args.memory, Path(d))
        elif args.quick:
            compare(100_000, 1, Path(d))
        else:
            compare(args.n, args.runs, Path(d))


main()

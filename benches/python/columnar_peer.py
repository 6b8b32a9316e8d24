"""recstore's columnar exports against the Python tools people would use
instead (issue 15), timed in one run on the same data:

- Parquet export: `recstore export v.recs v.parquet` against pyarrow
  building the same table from a numpy structured array and writing it
  with `pq.write_table(compression="zstd")` (goal >= 1x);
- Parquet import: `recstore import` (read, check, append, durable commit)
  against `pq.read_table` (goal >= 0.8x);
- .npy export: `recstore export v.recs v.npy` against `numpy.save`
  (goal >= 0.9x), plain and followed by `fsync` (recstore's export is
  durable: synced before it is renamed into place);
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
import json
import os
import resource
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
    subprocess.run([str(BIN), "--quiet", *map(str, args)], check=True, stdout=subprocess.DEVNULL)


def cpu():
    """CPU seconds (user + sys) of this process, its threads and its waited-for children."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def timed(fn, runs, before=None):
    """Median wall time and median CPU time of `runs` runs of fn."""
    walls, cpus = [], []
    for _ in range(runs):
        if before:
            before()
        c, t = cpu(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(cpu() - c)
    return float(np.median(walls)), float(np.median(cpus))


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
    load0 = os.getloadavg()[0]

    def row(what, ours, theirs, goal):
        rows.append((what, ours, theirs, goal))

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
    info = subprocess.run([str(BIN), "info", str(store), "--json"], check=True, capture_output=True, text=True)
    offset = json.loads(info.stdout)["data_offset"]

    # Each run starts with no dirty pages (the last run's output removed,
    # then `sync`): otherwise whoever runs next pays for the write-back of
    # the one before.
    def clean(*paths):
        return lambda: (rm(*paths), os.sync())

    def save_synced():
        with open(np_out, "wb") as f:
            np.save(f, a)
            f.flush()
            os.fsync(f.fileno())

    def save_mapped():
        np.save(np_out, np.memmap(store, dtype=a.dtype, mode="r", offset=offset, shape=(n,)))

    def copy_floor(sync):
        """The floor of any export from the store's file: its record bytes
        copied into a new file by the kernel (`copy_file_range`, no trip
        through user memory), with or without the `fsync`."""
        def run():
            size = n * a.dtype.itemsize
            with open(store, "rb") as src, open(np_out, "wb") as dst:
                done = 0
                while done < size:
                    done += os.copy_file_range(src.fileno(), dst.fileno(), size - done,
                                               offset + done, done)
                if sync:
                    os.fsync(dst.fileno())
        return run

    ours = timed(lambda: recstore("export", store, npy_out), runs, clean(npy_out))
    theirs = timed(lambda: np.save(np_out, a), runs, clean(np_out))
    row(".npy export (vs numpy.save of the array in memory)", ours, theirs, 0.9)
    # recstore's export is durable (the file is synced before it is renamed
    # into place): the same for numpy.
    theirs = timed(save_synced, runs, clean(np_out))
    row(".npy export (vs numpy.save of the array in memory + fsync)", ours, theirs, 0.9)
    theirs = timed(save_mapped, runs, clean(np_out))
    row(".npy export (vs numpy.save of the store, np.memmap)", ours, theirs, None)
    floor = timed(copy_floor(False), runs, clean(np_out))
    row("floor: the store's bytes copied, no sync (vs numpy.save of the array in memory)",
        floor, timed(lambda: np.save(np_out, a), runs, clean(np_out)), None)
    row(".npy export (vs the floor copy + fsync)", ours, timed(copy_floor(True), runs, clean(np_out)), None)

    arrow_out = d / "v.arrow"
    ours = timed(lambda: recstore("export", store, arrow_out), runs, lambda: rm(arrow_out))

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
    print("| workload | recstore wall | baseline wall | ratio | recstore CPU | baseline CPU | CPU ratio | goal |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for what, (ow, oc), (tw, tc), goal in rows:
        g = f">= {goal}x" if goal else "-"
        print(f"| {what} | {ow * 1e3:.0f} ms | {tw * 1e3:.0f} ms | {tw / ow:.2f}x "
              f"| {oc * 1e3:.0f} ms | {tc * 1e3:.0f} ms | {tc / oc:.2f}x | {g} |")
    print("\nratio = baseline / recstore (above 1: recstore is faster); CPU = user + sys of all threads "
          "(recstore as a whole process, the baselines in-process). "
          f"Load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} when done, on {os.cpu_count()} CPUs.")
    print(f"\nParquet sizes: recstore {sizes[0] / 1e6:.1f} MB, pyarrow {sizes[1] / 1e6:.1f} MB.")
    print(f"DuckDB `sum` over the Parquet export: {t_pq[0] * 1e3:.0f} ms wall ({t_pq[1] * 1e3:.0f} ms CPU); "
          f"over `read_csv` of the CSV export ({os.path.getsize(csv_out) / 1e6:.0f} MB): {t_csv[0] * 1e3:.0f} ms "
          f"wall ({t_csv[1] * 1e3:.0f} ms CPU): {t_csv[0] / t_pq[0]:.1f}x slower ({t_csv[1] / t_pq[1]:.1f}x the CPU).")


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
    export = peak_of([str(BIN), "--quiet", "export", str(store), str(out)])
    print(f"## Peak memory, N = {n:,} colour vertices ({os.path.getsize(store) / 1e9:.1f} GB store, "
          f"{os.path.getsize(out) / 1e9:.2f} GB Parquet; the .npy import that made the store took {t_import:.0f} s)\n")
    os.remove(store)
    back = d / "back.recs"
    recstore("create", back, "--like", out)
    imp = peak_of([str(BIN), "--quiet", "import", str(back), str(out)])
    print("| run | wall | peak RSS (VmHWM) | of it anonymous (heap), at most | file-backed, at most |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for what, (elapsed, peak) in (("export to Parquet", export), ("import from Parquet", imp)):
        print(f"| {what} | {elapsed:.0f} s | {peak['VmHWM'] / 2**20:.0f} MiB | {peak['RssAnon'] / 2**20:.0f} MiB "
              f"| {peak['RssFile'] / 2**20:.0f} MiB |")


def peak_of(cmd):
    """Runs cmd, sampling its memory every 50 ms: (seconds, peaks)."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
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
    assert p.wait() == 0, cmd
    return elapsed, peak


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


if __name__ == "__main__":
    main()

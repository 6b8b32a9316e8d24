"""recstore.dask.read_stores on a distributed LocalCluster of 1 and then 2
worker processes (one thread each): the sum of one column and of every column
over 200 stores of the colour vertex, hot page cache. The scaling ratio is
the 1-worker time over the 2-worker time (2.0 would be perfect). A baseline
runs the same sums in this process with no Dask (open each store, sum its
numpy view), to show what Dask's scheduling costs.

Writes target/bench-data/dask.json and target/bench-data/dask.md (a section
of BENCHMARKS.md; benches/src/bin/report.rs takes it in). Usage:
bench_dask.py [--quick] [--dir DIR]; --quick (CI's smoke run) reads 20 small
stores once per cluster and only prints.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import recstore

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "target" / "bench-data"
DT = np.dtype([("position", "<f4", 3), ("color", "<u2", 3)], align=True)


def write_stores(where: Path, stores: int, records: int) -> list[Path]:
    rng = np.random.default_rng(1)
    paths = []
    for k in range(stores):
        recs = np.zeros(records, DT)
        recs["position"] = rng.integers(-1000, 1000, (records, 3))
        recs["color"] = rng.integers(0, 65536, (records, 3), dtype=np.uint16)
        p = where / f"s{k:04}.recs"
        with recstore.create(p, DT, name="ColoredVertex", capacity=records) as w:
            w.append(recs)
        paths.append(p)
    return paths


def direct(paths, every: bool) -> float:
    """The same sums with no Dask: one process, numpy over each mapping."""
    total = 0.0
    for p in paths:
        with recstore.open(p) as r:
            recs = r.records
            if every:
                total += float(recs["position"].sum(dtype=np.float64))
                total += float(recs["color"].sum(dtype=np.int64))
            else:
                total += float(recs["color"][:, 0].sum(dtype=np.int64))
    return total


def _nothing(i: int) -> int:
    return i


def timed(fn, reps: int) -> tuple[float, object]:
    fn()  # warm: imports on the workers, page cache
    times, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20 small stores, once; only print")
    ap.add_argument("--dir", help="where to write the stores (default: a temporary directory)")
    ap.add_argument("--stores", type=int, default=200)
    ap.add_argument("--records", type=int, default=50_000, help="records per store")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    if args.quick:
        args.stores, args.records, args.reps = 20, 1000, 1

    import dask
    import distributed

    import recstore.dask as rd

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        paths = write_stores(Path(tmp), args.stores, args.records)
        glob = str(Path(tmp) / "*.recs")
        expected = {every: direct(paths, every) for every in (False, True)}
        results: dict = {"stores": args.stores, "records_per_store": args.records,
                         "reps": args.reps, "cpus": os.cpu_count(),
                         "load_before": os.getloadavg()[0], "runs": {}}
        base = {}
        for every in (False, True):
            base[every], _ = timed(lambda: direct(paths, every), args.reps)
        results["runs"]["direct"] = {"one": base[False], "every": base[True]}
        df = rd.read_stores(glob)
        sums = {
            "one": lambda: df["color[0]"].sum(),
            "one, optimized": lambda: df["color[0]"].sum().optimize(),
            "every": lambda: df.sum().sum(),
            "every, optimized": lambda: df.sum().sum().optimize(),
        }
        results["runs"]["sync"] = {
            k: timed(lambda: f().compute(scheduler="sync"), args.reps)[0] for k, f in sums.items()}
        for workers in (1, 2):
            with distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                          processes=True, host="127.0.0.1",
                                          dashboard_address=":0") as cluster, \
                    distributed.Client(cluster) as client:
                run = {"empty": timed(lambda: client.gather(client.map(
                    _nothing, range(len(paths)), pure=False)), args.reps)[0]}
                for k, f in sums.items():
                    run[k], got = timed(lambda: f().compute(), args.reps)
                    want = expected[k.startswith("every")]
                    assert float(got) == want, (k, got, want)
            results["runs"][f"{workers} worker"] = run
        results["load_after"] = os.getloadavg()[0]

    r = results["runs"]
    results["ratio"] = {k: r["1 worker"][k] / r["2 worker"][k] for k in sums}
    n = args.stores * args.records

    def ms(x: float) -> str:
        return f"{x * 1e3:.0f} ms"

    names = {"one": "one column (`color[0]`)", "one, optimized": "one column, `.optimize()` first",
             "every": "every column (6)", "every, optimized": "every column, `.optimize()` first"}
    lines = [
        "## Dask (issue 15)",
        "",
        f"`benches/python/bench_dask.py`: `recstore.dask.read_stores` over {args.stores} stores "
        f"of {args.records:,} colour vertices ({n:,} records, {n * DT.itemsize / 1e6:.0f} MB), "
        f"hot page cache, on a `distributed.LocalCluster` of 1 then 2 worker processes (one "
        f"thread each) on this {os.cpu_count()}-core machine; median of {args.reps} after a "
        f"warm-up. \"direct\" is the same sums in one process without Dask (open each store, "
        f"numpy over its view); \"Dask, no cluster\" is `read_stores` computed by Dask's "
        f"synchronous scheduler in this process. Load average {results['load_before']:.1f} "
        f"before the run, {results['load_after']:.1f} after.",
        "",
        "| sum | direct (no Dask) | Dask, no cluster | 1 worker | 2 workers | "
        "scaling (1 worker / 2 workers) |",
        "|---|---|---|---|---|---|",
    ]
    for k, name in names.items():
        lines.append(f"| {name} | {ms(r['direct'][k.split(',')[0]])} | {ms(r['sync'][k])} | "
                     f"{ms(r['1 worker'][k])} | {ms(r['2 worker'][k])} | "
                     f"{results['ratio'][k]:.2f}x |")
    lines += [
        "",
        f"Dask's own floor: {args.stores} empty tasks (`client.map` of a no-op) take "
        f"{ms(r['1 worker']['empty'])} on 1 worker and {ms(r['2 worker']['empty'])} on 2, "
        f"while reading and summing one partition of {args.records:,} records takes "
        f"{r['sync']['every, optimized'] / args.stores * 1e3:.1f} ms (every column, Dask's "
        f"synchronous scheduler in one process). With partitions this small, scheduling is "
        f"most of a cluster's time: on a real cluster use stores or `partition_records` "
        f"ranges of millions of records. dask {dask.__version__}'s `compute()` does not fuse "
        f"a DataFrame's per-partition steps into one task (read, select, partial sum: three "
        f"tasks a partition); `.optimize()` first does (one).",
        "",
    ]
    md = "\n".join(lines)
    print(md)
    if not args.quick:
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "dask.json").write_text(json.dumps(results, indent=2))
        (OUT / "dask.md").write_text(md)
        print(f"wrote {OUT / 'dask.md'} ({platform.node()})")


if __name__ == "__main__":
    main()

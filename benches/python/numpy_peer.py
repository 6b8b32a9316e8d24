"""numpy's memmap of the very recstore files the Rust bench wrote, timed
in the same run: open + first record, full scan of one field, 10^6
random reads. Writes target/bench-data/numpy.json for the report:
{"workload": {"N": median_ns}}. Usage: numpy_peer.py [--quick]"""
import json
import sys
import time
from pathlib import Path

import numpy as np

DTYPE = np.dtype({"names": ["position", "color"], "formats": [("<f4", 3), ("<u2", 3)],
                  "offsets": [0, 12], "itemsize": 20})
data = Path(__file__).resolve().parent.parent.parent / "target" / "bench-data"
quick = "--quick" in sys.argv


def median_ns(fn, budget=1.0, at_most=200):
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < (1 if quick else 10) or (time.perf_counter() - start < budget and len(times) < at_most):
        t = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - t)
    return float(np.median(times))


out = {"open": {}, "scan": {}, "open+scan": {}, "random": {}}
for entry in json.loads((data / "manifest.json").read_text()):
    n, path, offset = entry["n"], entry["path"], entry["data_offset"]

    def open_map():
        return np.memmap(path, dtype=DTYPE, mode="r", offset=offset, shape=(n,))

    out["open"][str(n)] = median_ns(lambda: int(open_map()[0]["color"][0]))
    mm = open_map()
    out["scan"][str(n)] = median_ns(lambda: int(mm["color"][:, 0].sum(dtype=np.uint64)))
    out["open+scan"][str(n)] = median_ns(lambda: int(open_map()["color"][:, 0].sum(dtype=np.uint64)))
    idx = np.random.default_rng(1).integers(0, n, 1_000_000)
    out["random"][str(n)] = median_ns(lambda: int(mm[idx]["color"][:, 0].sum(dtype=np.uint64)))
(data / "numpy.json").write_text(json.dumps(out, indent=1))
print(json.dumps(out))
